"""The checker's rules on text in no claim set: what a claim changes in its passage."""

from __future__ import annotations

from rag.answer.relation import name_changed
from rag.types import Chunk, Hit
from rag.verify import Passage
from rag.verify_rules import (
    aligned_change,
    clause_support,
    fact_reason,
    meaning_reason,
    name_held,
    named_in_full,
    numbers_in,
    passive_swap,
    relative_swap,
    who_voice_swap,
)


def passage(text: str, title: str = "A story", n: int = 0, article: str = "") -> Passage:
    chunk = Chunk(
        chunk_id=f"story#{n}",
        article_id="story",
        n=n,
        text=text,
        char_start=0,
        char_end=len(text),
        title=title,
        published="2024-05-01",
        source="test",
        content_hash="x",
    )
    return Passage.of(1, Hit(chunk, 1.0), article)


def reason(claim: str, text: str, title: str = "A story", n: int = 0) -> str | None:
    """What the checker's rules say of the claim against this passage (fact, then meaning)."""
    p = passage(text, title, n)
    best = max(p.sentences, key=lambda s: len(set(s.text.split()) & set(claim.split())))
    return fact_reason(claim, p) or meaning_reason(claim, p, best)


def test_another_time_word_after_an_unchanged_next_is_a_date_change() -> None:
    sentence = "The council will vote on the budget next week."
    assert aligned_change("The council will vote on the budget next month.", sentence, "") == "date"
    assert aligned_change("The council will vote on the budget next week.", sentence, "") is None


def test_a_day_word_for_a_longer_relative_time_is_a_date_change() -> None:
    sentence = "The storm is expected to reach the coast in the next hour."
    changed = "The storm is expected to reach the coast tomorrow morning."
    assert aligned_change(changed, sentence, "") == "date"


def test_coming_and_next_say_the_same_time() -> None:
    sentence = "Prices will keep rising over the next few days."
    assert aligned_change("Prices will keep rising in the coming days.", sentence, "") is None


def test_another_rank_is_a_number_change_even_when_the_passage_has_that_number() -> None:
    text = "The festival lasted three days. The choir won the prize for the second year in a row."
    assert reason("The choir won the prize for the third year in a row.", text) == "number"
    assert reason("The choir won the prize for the second year in a row.", text) is None


def test_a_duration_in_other_units_is_the_same_number() -> None:
    text = "Police may hold a suspect for up to 48 hours without charge."
    assert reason("Police may hold a suspect for up to two days without charge.", text) is None
    assert reason("Police may hold a suspect for up to three days without charge.", text) == (
        "number"
    )
    year = "The ban will last a year."
    assert reason("The ban will last twelve months.", year) is None


def test_a_share_named_by_a_power_of_ten_is_read_as_a_decimal() -> None:
    text = "The skier won by one hundredth of a second, the closest finish in years."
    assert reason("The skier won by 0.01 seconds.", text) is None
    assert reason("The skier won by a tenth of a second.", text) == "number"
    assert "0.1" in numbers_in("Turnout rose 10% this year.", passage=True)


def test_the_last_decade_is_ten_years() -> None:
    text = "She called it the best film of the last decade."
    assert reason("She called it the best film of the last ten years.", text) is None
    assert reason("She called it the best film of the last five years.", text) == "number"


def test_a_cause_the_passage_lacks_is_judged_on_its_own() -> None:
    p = passage("The mill closed its doors in March. Its owners gave no reason.")
    made_up = "The mill closed its doors in March because floods ruined the machinery."
    assert clause_support(made_up, p, lambda _s: 1.0, frozenset()) < 0.3
    faithful = "The mill closed its doors in March, after its owners gave no reason."
    assert clause_support(faithful, p, lambda _s: 1.0, frozenset()) >= 0.3
    # an adverb before the connective, and an aside after the cause, do not hide it
    driven = "The mill closed its doors in March, driven mainly by the flooded cellars."
    assert clause_support(driven, p, lambda _s: 1.0, frozenset()) < 0.3
    aside = "The mill closed because the floods came, saying its owners gave no reason."
    assert clause_support(aside, p, lambda _s: 1.0, frozenset()) < 0.3


def test_a_count_spelled_out_in_several_words_is_read_as_one_number() -> None:
    assert "230" in numbers_in("Two hundred and thirty boats set out.", passage=True)
    assert "3500" in numbers_in("three thousand five hundred fans", passage=True)
    text = "Two hundred and thirty boats set out from the harbour at dawn."
    assert reason("Of the 230 boats that set out from the harbour, all returned.", text) != (
        "number"
    )


def test_a_country_word_opening_the_claim_is_a_name_to_check() -> None:
    text = "Danish freighter Ostmark is in second place, two miles behind the leader."
    assert reason("Finnish freighter Ostmark is in second place.", text) == "entity"
    assert reason("Danish freighter Ostmark is in second place.", text) is None


def test_capital_initials_of_lower_case_words_are_found() -> None:
    text = "The firm's chief executive officer, Ann Berg, says sales rose."
    assert reason("The firm's CEO says sales rose.", text) is None


def test_a_speaker_the_claim_only_describes_must_be_the_passages() -> None:
    text = (
        "Two sheds burned down overnight. The council say no residents were hurt, "
        "but four staff were treated for burns."
    )
    title = "The Parks Council says fires destroyed two sheds…"
    wrong = "The regional ambulance service says no residents were hurt."
    assert reason(wrong, text, title, n=1) == "speaker"
    right = "The parks council says no residents were hurt."
    assert reason(right, text, title, n=1) is None


def test_a_name_inside_a_quotation_is_not_its_speaker() -> None:
    text = (
        "Dr Lena Ortiz leads the clinic. "
        '"Nothing stops the approval being given by the licensing board," Dr Ortiz said.'
    )
    claim = "The licensing board said nothing stops the approval being given."
    assert reason(claim, text) == "speaker"


def test_a_title_qualified_by_a_country_names_that_countrys_holder() -> None:
    text = (
        "Norway's King Olav Berg spoke of the floods in his address. "
        '"We must help one another," he said. '
        "Denmark's King Anders Holm said the year had been hard."
    )
    assert reason("The Norwegian king said we must help one another.", text) is None
    assert reason("The Danish king said we must help one another.", text) == "speaker"


def test_a_passive_claim_clause_does_not_swap_roles() -> None:
    text = "City officials have fined the builder Karl Moss for the collapse of the wall."
    claim = "The builder Karl Moss has been fined by city officials for the collapse of the wall."
    assert reason(claim, text) is None


def test_a_joined_detail_of_two_words_the_passage_lacks_is_judged() -> None:
    p = passage("The owner says the council's claims against the club are baseless.")
    claim = (
        "The owner says the council's claims against the club are baseless "
        "and politically motivated."
    )
    assert clause_support(claim, p, lambda _s: 1.0, frozenset()) < 0.3
    faithful = "The owner says the council's claims against the club are baseless."
    assert clause_support(faithful, p, lambda _s: 1.0, frozenset()) == 1.0


def test_a_name_is_held_in_another_form_of_its_words() -> None:
    lowered = "norway's king olav berg spoke of the floods."
    assert name_held("Norwegian", lowered)
    assert not name_held("Danish", lowered)


def test_a_surname_given_in_full_elsewhere_in_the_article_is_no_invented_name() -> None:
    text = "Brenner withdrew from the race after a fall. Her father Karl Brenner coaches her."
    article = "The favourite, Lotte Brenner, was injured in May. " + text
    claim = "Lotte Brenner withdrew from the race after a fall in training."
    assert fact_reason(claim, passage(text)) == "entity"
    assert fact_reason(claim, passage(text, article=article)) is None


def test_a_full_name_the_article_never_gives_stays_an_invented_name() -> None:
    text = "Brenner withdrew from the race after a fall. Her father Karl Brenner coaches her."
    article = "The favourite, Lotte Brenner, was injured in May. " + text
    claim = "Anna Brenner withdrew from the race after a fall in training."
    assert fact_reason(claim, passage(text, article=article)) == "entity"


def test_a_described_speaker_may_be_the_person_the_article_names() -> None:
    text = "The Olympic sprint champion says the coach misled her and she wants an apology."
    article = "Greta Solvang has sued her old coach. " + text
    claim = "Greta Solvang says the coach misled her and she wants an apology."
    assert meaning_reason(claim, passage(text), passage(text).sentences[0]) == "speaker"
    full = passage(text, article=article)
    assert meaning_reason(claim, full, full.sentences[0]) is None


def test_a_speaker_named_in_the_passage_is_still_another_speaker() -> None:
    text = "Mr Hallam said the bridge would reopen in June. Ms Ortiz said repairs were late."
    article = "Tom Hallam and Rosa Ortiz spoke. " + text
    claim = "Rosa Ortiz said the bridge would reopen in June."
    full = passage(text, article=article)
    assert meaning_reason(claim, full, full.sentences[0]) == "speaker"


def test_a_speaker_named_with_a_role_is_not_taken_for_a_name_given_elsewhere() -> None:
    text = "Club chief executive Stuart Pell said half the squad are out of contract."
    article = "Forward Dane Rowe has retired. " + text
    claim = "Dane Rowe said half the squad are out of contract."
    full = passage(text, article=article)
    assert meaning_reason(claim, full, full.sentences[0]) == "speaker"


def test_time_words_the_sentence_holds_in_another_order_are_no_date_change() -> None:
    sentence = "The new series will open in Autumn next year in a longer slot."
    assert (
        aligned_change("The new series will open next autumn.", sentence, sentence.lower()) is None
    )
    assert (
        aligned_change("The new series will open in Autumn last year.", sentence, sentence.lower())
        == "date"
    )


def test_a_speaker_the_passage_gives_by_role_may_be_named_from_the_article() -> None:
    text = "The Olympic sailing champion says the race was badly run. Ola Dahl won it."
    article = "Nils Aaby finished last in the regatta. " + text
    full = passage(text, article=article)
    claim = "Nils Aaby says the race was badly run."
    assert meaning_reason(claim, full, full.sentences[0]) is None
    assert meaning_reason(claim, passage(text), passage(text).sentences[0]) == "speaker"
    wrong = "Ola Dahl says the race was badly run."
    assert meaning_reason(wrong, full, full.sentences[0]) == "speaker"


def test_a_claim_may_give_by_role_a_speaker_the_passage_names() -> None:
    text = "Holm said he had acted to protect the other crews in the race."
    article = "The Danish fisheries minister says he will not resign. Lars Holm spoke. " + text
    full = passage(text, article=article)
    claim = "The Danish minister said his aim was to protect the other crews in the race."
    assert meaning_reason(claim, full, full.sentences[0]) is None
    claim = "The Swedish minister said his aim was to protect the other crews in the race."
    assert meaning_reason(claim, full, full.sentences[0]) == "speaker"


def test_a_claim_naming_whom_he_said_stands_for_keeps_its_speaker() -> None:
    text = (
        "Party co-chairman Rhea Quist opened the meeting with a speech attacking Tom Vane. "
        'The government has "failed the regions", she told the conference.'
    )
    full = passage(text)
    claim = "Rhea Quist told the conference the government had failed the regions."
    assert meaning_reason(claim, full, full.sentences[1]) is None
    claim = "Tom Vane told the conference the government had failed the regions."
    assert meaning_reason(claim, full, full.sentences[1]) == "speaker"


def test_a_participle_or_relative_clause_the_passage_lacks_is_judged_on_its_own() -> None:
    text = "The ferry operator said crossings to the island would resume on Friday after the storm."
    p = passage(text)
    made_up = (
        "The ferry operator said crossings to the island would resume on Friday after the "
        "storm, adding that travellers would receive full refunds for every cancelled trip."
    )
    assert clause_support(made_up, p, lambda _s: 1.0, frozenset()) < 0.3
    relative = (
        "Crossings to the island resume on Friday after the storm, which damaged two harbour "
        "cranes and flooded the main car park."
    )
    assert clause_support(relative, p, lambda _s: 1.0, frozenset()) < 0.3
    # a short aside stays with the clause it hangs on
    aside = "Crossings to the island resume on Friday, the operator saying sorry."
    assert clause_support(aside, p, lambda _s: 1.0, frozenset()) >= 0.3


def test_a_word_capitalised_where_the_sentence_opens_does_not_name_the_claimed_speaker() -> None:
    text = (
        "Lawyers for the newspapers said the files must be opened to the public. "
        "Ann Lo's lawyers said she would appeal."
    )
    claim = "Ann Lo's lawyers said the files must be opened to the public."
    assert meaning_reason(claim, passage(text), passage(text).sentences[0]) == "speaker"
    claim = "Lawyers for the newspapers said the files must be opened to the public."
    assert meaning_reason(claim, passage(text), passage(text).sentences[0]) is None


def test_a_passive_turned_active_is_a_role_swap_past_auxiliaries() -> None:
    sentence = "Ann Lo has since been replaced as chair by Bo Ray."
    assert passive_swap("Ann Lo has since replaced Bo Ray as chair.", sentence)
    assert not passive_swap("Bo Ray has since replaced Ann Lo as chair.", sentence)


def test_a_passive_whose_to_opens_a_phrase_is_a_role_swap_when_turned_active() -> None:
    sentence = "The complaint was brought to the regulator's notice by two of Norvale's rivals."
    assert passive_swap("Norvale brought the complaint to the regulator's notice.", sentence)
    # "is expected to" opens an infinitive: no passive for the claim to turn round
    assert not passive_swap("Norvale expected a loss.", "Norvale is expected to post a loss.")


def test_a_speaker_restated_in_other_words_is_aligned_with_what_they_said() -> None:
    text = (
        "Talks on the new league are going well, say those behind them. "
        "Bo Ray said the council backed Portlake's entry. "
        'But he said the port must "keep its promises". '
        "Portlake has waited ten years to join the league as a council member."
    )
    claim = "Bo Ray said the council supported Portlake joining the league."
    p = passage(text)
    assert meaning_reason(claim, p, p.sentences[0]) is None
    other = "Bo Ray said Portlake has waited ten years to join the league."
    assert meaning_reason(other, p, p.sentences[0]) == "speaker"


def test_a_name_the_passage_shortens_is_held_when_the_article_gives_it_in_full() -> None:
    lowered = "the ban was a blow to the label, mr yarrow admitted."
    article = "glen yarrow runs a small label. " + lowered
    assert named_in_full("Glen Yarrow", lowered, article)
    assert not named_in_full("Tom Yarrow", lowered, article)
    assert not named_in_full("Glen Yarrow", lowered, lowered)


def test_a_who_clause_belongs_to_the_name_before_it_not_to_another() -> None:
    sentence = "Among the guests were the mayor, Ann Lo, and the poet Bo Ray, who read the tribute."
    assert relative_swap("Ann Lo read the tribute at the dinner.", sentence)
    assert not relative_swap("Bo Ray read the tribute at the dinner.", sentence)
    assert not relative_swap(
        "Ann Lo read the menu.", "Ann Lo read the menu to Bo Ray, who was late."
    )


def test_another_season_in_the_sentences_place_is_a_date_change() -> None:
    sentence = "The new ferry route will open in Spring next year with two boats."
    changed = "The new ferry route will open in the autumn of next year with two boats."
    assert aligned_change(changed, sentence, sentence.lower()) == "date"
    same = "The new ferry route will open next spring with two boats."
    assert aligned_change(same, sentence, sentence.lower()) is None


def test_a_passage_opening_with_he_speaks_of_the_person_the_article_named_before_it() -> None:
    text = "He made a short appearance in the film, in which his part was played by Ian Roe."
    article = "Festival chief Tom Baird, 60, is retiring. Mr Baird said he was proud. " + text
    p = passage(text, n=1, article=article)
    faithful = "Tom Baird made a short appearance in the film, in which Ian Roe played him."
    assert fact_reason(faithful, p) is None
    assert fact_reason(faithful, passage(text, n=1)) == "entity"
    swapped = "Ian Roe made a short appearance in the film, in which Tom Baird played the part."
    assert reason_with(swapped, p) == "role"


def reason_with(claim: str, p: Passage) -> str | None:
    return fact_reason(claim, p) or meaning_reason(claim, p, p.sentences[0])


def test_another_name_of_the_passage_in_the_restated_sentences_place_is_an_entity_change() -> None:
    text = (
        "Shares in Armin Bank and Dosk Trust - the two biggest lenders - both fell 2.5% on "
        "Monday. Norco and Velt also fell."
    )
    twisted = "Shares in Norco and Velt, the two biggest lenders, both fell 2.5%."
    assert name_changed(twisted, text.split(". ")[0] + ".")
    # dropped: the names changed, and so whose fall it was (the role check judges first)
    assert reason(twisted, text) in ("entity", "role")
    assert (
        reason("Shares in Armin Bank and Dosk Trust, the two biggest lenders, fell 2.5%.", text)
        is None
    )


def test_a_pronoun_opening_the_claim_is_no_other_name() -> None:
    # the passage opens with "She", which the checker reads as the person named before it
    text = "She said the Norland-built engines would be grounded until the checks ended."
    article = "Pilot Ana Ruiz spoke to reporters in Velmar on Friday. " + text
    p = passage(text, n=1, article=article)
    assert reason_with(text, p) is None


def test_a_word_capitalised_by_position_is_no_other_name() -> None:
    text = (
        "The mayor, Ivo Dant, is pressing to reopen the bridge, although a council spokesman "
        "said the long-held position that the bridge stays shut has not changed."
    )
    claim = (
        "Despite Dant's push, the council says its position that the bridge stays shut "
        "has not changed."
    )
    assert reason(claim, text) is None


def test_a_country_in_another_form_is_no_other_name() -> None:
    ports = "Velmar said on Friday it would strike British targets if British missiles are used."
    assert (
        reason("Velmar said it would strike British targets if UK-made missiles are used.", ports)
        is None
    )


def test_a_time_counted_back_with_ago_is_a_relative_time() -> None:
    text = "Bets on Ivo Dant winning the race were dismissed as a stunt a month ago."
    assert (
        reason("Bets on Ivo Dant winning the race were dismissed as a stunt last week.", text)
        == "date"
    )
    assert (
        reason("Bets on Ivo Dant winning the race were dismissed as a stunt last month.", text)
        is None
    )


def test_a_rank_inside_a_compound_is_a_number_change() -> None:
    text = "Ms Pell, who left the third-most senior post at the ministry, said talks had stalled."
    claim = "Ms Pell, who left the second-most senior post at the ministry, said talks had stalled."
    assert reason(claim, text) == "number"


def test_another_form_of_the_same_party_is_no_entity_change() -> None:
    sentence = "He will set out Tory plans for a quota to be set by MPs."
    lowered = f"{sentence} She is the first to stand as a Conservative in the ward.".lower()
    claim = "He will set out Conservative plans for a quota."
    assert aligned_change(claim, sentence, lowered) is None
    assert aligned_change("He will set out Labour plans for a quota.", sentence, "labour") == (
        "entity"
    )


def test_a_who_clause_turned_from_done_to_into_doing_swaps_the_roles() -> None:
    sentence = "The club wrote to Ivo Dant, who was injured in a tackle by the visiting captain."
    twisted = "The club wrote to Ivo Dant, who injured him in a tackle."
    assert who_voice_swap(twisted, sentence)
    assert not who_voice_swap(
        "The club apologised to Ivo Dant, who was hurt in a tackle.", sentence
    )
    assert reason(twisted, sentence) == "role"


def test_a_name_shortened_by_words_left_out_is_no_other_name() -> None:
    sentence = "Two years later he played a soldier in Ana Bell's Balkan war epic Harbour."
    lowered = f"{sentence} It made Ivo Dant a star.".lower()
    claim = "Two years later he played a soldier in Ana Bell's Harbour."
    assert aligned_change(claim, sentence, lowered) is None


def test_a_figure_the_sentence_restates_in_brackets_is_no_changed_number() -> None:
    sentence = "The film has earned $60m (£31.7m) in its first week on sale in the US."
    claim = "The film earned $60m in its first week on sale in the US."
    assert aligned_change(claim, sentence, sentence.lower(), claim) is None
    other = "The film earned $70m in its first week on sale in the US."
    assert aligned_change(other, sentence, sentence.lower(), other) == "number"
