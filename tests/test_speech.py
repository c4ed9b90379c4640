"""Speakers (rag/speech.py), negation/polarity and roles (rag/clauses.py), on text written for
these tests."""

from __future__ import annotations

from rag.clauses import (
    clause_texts,
    clauses,
    negated,
    polarity_conflict,
    role_conflict,
    slot_pairs,
    swapped,
)
from rag.speech import (
    Attribution,
    antecedent_before,
    attribute,
    attributions,
    described_person,
    same_entity,
    speaker_of_claim,
    subject_name,
)

MARKET = [
    "The harbour authority's chair, Odile Brenner, said on Monday that the new quay would not "
    "open before spring, claiming that the dredging contract had failed to meet its deadline.",
    "Some shipping lines have already moved their sailings to the northern port, she said.",
    "“We cannot ask captains to wait another season,” said Mr Tavish Orme, who runs the pilots' "
    "union.",
    "“The channel is silting faster than anyone expected.”",
    "Lena Vasquez, an economist at the Coastal Trade Institute, believes the delay will cost "
    "the town jobs.",
    "The council has been slow to act, the economist said – but she suggested a rescue fund "
    "could help.",
    "Freight volumes fell by a fifth last year, according to port figures.",
    "The mayor has backed the rescue fund, while the treasurer has rejected it.",
]


def test_a_sentence_naming_its_speaker_is_attributed_directly() -> None:
    assert attribute(MARKET, 0) == Attribution("Odile Brenner", "direct", "said")


def test_a_participle_report_keeps_the_subject_of_the_report_before_it() -> None:
    speakers = [a.speaker for a in attributions(MARKET, 0)]
    assert speakers == ["Odile Brenner", "Odile Brenner"]


def test_she_said_resolves_to_the_speaker_of_the_sentence_before() -> None:
    assert attribute(MARKET, 1) == Attribution("Odile Brenner", "pronoun", "said")


def test_a_name_after_the_verb_that_closes_a_quote_is_the_speaker() -> None:
    assert attribute(MARKET, 2).speaker == "Mr Tavish Orme"
    assert attribute(MARKET, 2).via == "direct"


def test_a_quotation_after_an_introduced_speaker_is_attributed_by_context() -> None:
    assert attribute(MARKET, 3) == Attribution("Mr Tavish Orme", "context", "said")


def test_an_apposition_after_the_name_does_not_replace_the_name() -> None:
    assert attribute(MARKET, 4).speaker == "Lena Vasquez"


def test_a_claim_speaker_given_with_a_description_is_the_name_before_it() -> None:
    assert speaker_of_claim("Odile Brenner, the authority's chair, said the quay was late.") == (
        "Odile Brenner"
    )
    assert speaker_of_claim("Odile Brenner, Portlake's chair, said the quay was late.") == (
        "Odile Brenner"
    )
    claim = "Tavish Orme, deputy director of the pilots guild, said captains could not wait."
    assert speaker_of_claim(claim) == "Tavish Orme"
    # a time before the comma is no speaker
    assert speaker_of_claim("After New Year, officials said the quay was late.") is None


def test_a_possessive_description_after_the_verb_runs_to_the_name() -> None:
    texts = ["“The quay is late,” said the authority's harbour master Ilse Dorn."]
    assert attribute(texts, 0).speaker == "authority's harbour master Ilse Dorn"
    texts = ["“The quay is late,” said Portlake's harbour master Ilse Dorn."]
    assert same_entity(attribute(texts, 0).speaker or "", "Ilse Dorn")


def test_a_definite_description_stands_for_the_earlier_speaker() -> None:
    found = attributions(MARKET, 5)
    assert [a.speaker for a in found] == ["Lena Vasquez", "Lena Vasquez"]
    assert {a.via for a in found} == {"pronoun"}


def test_according_to_names_a_source() -> None:
    assert attribute(MARKET, 6) == Attribution("port figures", "direct", "according to")


def test_a_sentence_reporting_no_one_has_no_speaker() -> None:
    assert attribute(MARKET, 7) == Attribution(None, "none", None)


def test_reporting_verbs_inside_a_quotation_name_no_speaker() -> None:
    quoted = ["“Everyone said the bridge was safe,” the engineer wrote."]
    assert attribute(quoted, 0).verb == "wrote"


def test_a_claim_speaker_is_a_name_not_a_pronoun_or_common_noun() -> None:
    assert speaker_of_claim("Odile Brenner warned that the quay would be late.") == "Odile Brenner"
    assert speaker_of_claim("According to Lena Vasquez, jobs will go.") == "Lena Vasquez"
    assert speaker_of_claim("She said the quay would be late.") is None
    assert speaker_of_claim("Officials said the quay would be late.") is None


def test_same_entity_matches_surnames_titles_and_case_but_not_other_numbers() -> None:
    assert same_entity("Brenner", "Odile Brenner")
    assert same_entity("Ms Brenner", "The harbour authority's chair, Odile Brenner")
    assert same_entity("Unicef", "UNICEF")
    assert same_entity("Kenya", "Kenyan")
    assert not same_entity("Clause 7", "Clause 8")
    assert not same_entity("Odile Brenner", "Lena Vasquez")


def test_negated_sees_words_contractions_and_negating_verbs() -> None:
    assert negated("the quay would not open before spring")
    assert negated("the contractor won't finish")
    assert negated("the minister ruled out a rescue")
    assert negated("the firm failed to pay its staff")
    assert not negated("the quay will open in spring")
    assert not negated("the plan is not without merit")  # two cues cancel


def test_a_claim_that_drops_the_sentences_negation_conflicts() -> None:
    sentence = MARKET[0]
    assert polarity_conflict("Brenner said the new quay would open before spring.", sentence) == (
        "negation"
    )
    assert polarity_conflict(
        "Brenner said the new quay would not open until spring.", sentence
    ) is (None)


def test_a_claim_that_adds_a_negation_conflicts() -> None:
    sentence = "The regulator approved the merger of the two dairies on Friday."
    claim = "The regulator did not approve the merger of the two dairies."
    assert polarity_conflict(claim, sentence) == "negation"


def test_a_negation_elsewhere_in_the_sentence_does_not_count_against_the_claim() -> None:
    claim = "Brenner said the dredging contract had missed its deadline."
    assert polarity_conflict("Brenner spoke on Monday about the dredging contract.", MARKET[0]) is (
        None
    )
    assert polarity_conflict(claim, MARKET[0]) is None


def test_an_antonym_flip_conflicts_but_a_negated_antonym_agrees() -> None:
    sentence = "Analysts think a settlement before the summer is likely."
    assert polarity_conflict(
        "Analysts think a settlement before summer is unlikely.", sentence
    ) == ("antonym")
    assert polarity_conflict(
        "Analysts think a settlement before summer is not unlikely.", sentence
    ) is (None)
    falling = "Freight volumes fell by a fifth last year."
    assert polarity_conflict("Freight volumes rose by a fifth last year.", falling) == "antonym"
    assert polarity_conflict("Freight volumes did not rise last year.", falling) is None


def test_openness_against_ruling_out_is_an_antonym() -> None:
    sentence = "The union has signalled openness to a shorter working week."
    assert polarity_conflict("The union has ruled out a shorter working week.", sentence) == (
        "antonym"
    )


def test_clauses_split_at_while_and_pair_subjects_with_predicates() -> None:
    parts = clauses(MARKET[7])
    assert [p.subjects for p in parts] == [("mayor",), ("treasurer",)] or len(parts) == 2
    assert "support" in parts[0].predicate  # "backed", read through the synonym list
    assert "reject" in parts[1].predicate
    assert not parts[0].negated


def test_swapping_who_did_what_is_a_role_conflict() -> None:
    passage = ["Norway has backed the fishing quota, while Iceland has rejected it."]
    assert role_conflict(
        "Iceland has backed the fishing quota, while Norway has rejected it.", passage
    )
    assert not role_conflict("Norway has backed the fishing quota.", passage)
    assert not role_conflict("Norway backed the fishing quota but Iceland rejected it.", passage)


def test_a_negative_prefix_makes_an_antonym_but_a_negated_one_agrees() -> None:
    sentence = "The inspectors found the safety checks inadequate."
    assert polarity_conflict("The inspectors found the safety checks adequate.", sentence) == (
        "antonym"
    )
    assert polarity_conflict("The inspectors found the safety checks not adequate.", sentence) is (
        None
    )


def test_a_nested_double_negation_cancels_but_coordinated_negations_do_not() -> None:
    assert not negated("the deal would not have happened without the bank")
    assert negated("the firm has no money and no plan")
    sentence = "The deal would not have happened without the support of the regional bank."
    assert (
        polarity_conflict("The deal only happened because the regional bank backed it.", sentence)
        is None
    )
    assert polarity_conflict(
        "The deal would have happened without the regional bank.", sentence
    ) == ("negation")


def test_avoiding_something_negates_it() -> None:
    sentence = "The strike was timed to avoid interruptions to the power supply."
    assert (
        polarity_conflict(
            "The strike was timed so the power supply would not be interrupted.", sentence
        )
        is None
    )
    assert (
        polarity_conflict("The strike was timed to interrupt the power supply.", sentence)
        == "negation"
    )


def test_a_negated_synonym_is_still_a_negation() -> None:
    sentence = "Four guards were injured during the riot, officials said."
    assert polarity_conflict("Four guards were not hurt during the riot.", sentence) == "negation"
    assert polarity_conflict("Four guards were hurt during the riot.", sentence) is None


def test_an_antonym_counts_even_when_the_other_word_also_appears() -> None:
    sentence = "Forecasters expect high temperatures and high winds."
    assert polarity_conflict("Forecasters expect low temperatures and high winds.", sentence) == (
        "antonym"
    )


def test_a_negation_in_another_clause_of_the_sentence_is_not_held_against_the_claim() -> None:
    sentence = "The club confirmed the coach had left, but it would not comment on the reasons."
    assert polarity_conflict("The club confirmed the coach had left.", sentence) is None


def test_a_comma_before_as_or_with_starts_a_new_clause():
    assert clause_texts(
        "Prices stay high, as shops don't pass on the savings, with the grocer noting it"
    ) == ["Prices stay high", "as shops don't pass on the savings", "with the grocer noting it"]


def test_a_name_closing_a_clause_without_a_comma_is_the_speaker() -> None:
    sentences = [
        "Two walkers were found near the ridge at 6:30pm (8:30am GMT) park ranger Ines Moldt said.",
        "One of them had a broken ankle, she said.",
    ]
    assert attribute(sentences, 0).speaker == "Ines Moldt"
    assert attribute(sentences, 1).speaker == "Ines Moldt"


def test_a_description_after_a_closing_quote_is_the_speaker() -> None:
    sentences = ["“We have not reached the cellar yet,” said a Dunmore fire officer."]
    speaker = attribute(sentences, 0).speaker
    assert speaker is not None and same_entity(speaker, "Dunmore fire officer")


def test_a_name_after_according_to_ends_where_the_clause_goes_on() -> None:
    claim = "According to Ms Ferrante the board kept meeting and the bank did nothing."
    assert speaker_of_claim(claim) == "Ms Ferrante"


def test_the_subject_of_a_clause_before_saying_is_its_speaker() -> None:
    unnamed = "The growers' council has criticised the levy, saying the ministry ignored them."
    assert attribute([unnamed], 0).speaker is None
    named = "Lindqvist Freight has criticised the levy, saying the ministry ignored them."
    assert attribute([named], 0).speaker == "Lindqvist Freight"


def test_a_subject_shared_by_two_verbs_is_the_speaker_of_the_second() -> None:
    claim = "Senator Okafor will not name the programs to be cut and says she is not worried."
    assert speaker_of_claim(claim) == "Senator Okafor"


def test_nouns_and_names_that_look_like_reporting_verbs_report_no_one() -> None:
    assert attribute(["Early reports suggested a gas leak in the depot."], 0).speaker != "Early"
    assert attribute(["Trade with the United States grew by a tenth."], 0) == Attribution(
        None, "none", None
    )
    assert attribute(["Several houses, believed to be empty, burned down."], 0).via == "none"
    assert attribute(["The routes will not be revealed before the race."], 0).via == "none"


def test_a_subordinate_clause_word_is_not_part_of_the_speaker() -> None:
    claim = "Because she expects a wet winter, she says the dam is unlikely to run dry."
    assert speaker_of_claim(claim) is None


def test_a_definite_description_stands_for_the_named_body_that_holds_its_noun() -> None:
    sentences = [
        "The Department of Coastal Works has published a report on sea walls.",
        "The Harbour Pilots Guild says the report ignores the northern beaches.",
        "But the department says the walls will be rebuilt by 2030.",
    ]
    speaker = attribute(sentences, 2).speaker
    assert speaker is not None and same_entity(speaker, "Department of Coastal Works")


def test_two_names_trading_places_around_the_same_words_are_swapped() -> None:
    assert swapped("Harwick beat Oldham 3-1 on Sunday.", "Oldham beat Harwick 3-1 on Sunday.")
    assert swapped(
        "Customs seized the cargo after Ellis tipped off Brandt.",
        "Customs seized the cargo after Brandt tipped off Ellis.",
    )
    assert swapped(
        "The permit went to the council in May, with the trust receiving a copy in June.",
        "The permit went to the trust in May, with the council receiving a copy in June.",
    )


def test_passive_voice_reordered_lists_and_the_same_order_are_not_swaps() -> None:
    assert not swapped("Oldham were beaten by Harwick.", "Harwick beat Oldham.")
    assert not swapped(
        "Spain, Italy and Greece signed the pact.", "Italy, Spain and Greece signed the pact."
    )
    assert not swapped("Harwick beat Oldham on Sunday.", "Harwick beat Oldham 3-1.")


def test_names_and_dates_in_the_same_place_are_paired_but_not_the_first_word() -> None:
    pairs = slot_pairs(
        "Rangers patrolled the valley near Elmsworth in March.",
        "Rangers patrolled the valley near Fairhaven in October.",
    )
    assert [(x, y) for x, y, _listed in pairs] == [("Elmsworth", "Fairhaven"), ("March", "October")]
    assert slot_pairs("Several boats sank.", "Four boats sank.") == []
    assert slot_pairs("The ferry may sail on 4 June.", "The ferry could sail on 4 June.") == []


def test_opposites_beyond_the_first_list_conflict() -> None:
    sentence = "The harvest was a good one and grain is cheaper in the north this year."
    assert polarity_conflict("The harvest was a poor one.", sentence) == "antonym"
    assert polarity_conflict("Grain is more expensive in the north this year.", sentence) == (
        "antonym"
    )
    assert polarity_conflict("Grain is less expensive in the north this year.", sentence) is None
    assert polarity_conflict("Exports climbed sharply in May.", "Exports slumped in May.") == (
        "antonym"
    )
    assert polarity_conflict("The ferry service was unreliable.", "The ferry service was reliable.")


def test_a_clause_joining_two_sentences_is_read_against_both() -> None:
    from rag.chunk import chunk_article
    from rag.types import Article, Hit
    from rag.verify import Passage
    from rag.verify_rules import meaning_reason

    article = Article(
        article_id="grain",
        title="Grain exports",
        text=(
            "The co-operative is shipping its grain to the coast by road this winter. "
            "That is worrying for the growers, because freight is far cheaper by rail."
        ),
        published="2025-01-01",
        source="grain.txt",
    )
    passage = Passage.of(1, Hit(chunk_article(article, max_tokens=400)[0], 1.0))
    claim = (
        "The co-operative is shipping its grain to the coast by road this winter, which is "
        "worrying for the growers because freight is far more expensive by rail."
    )
    assert meaning_reason(claim, passage, passage.sentences[0]) == "antonym"
    kept = claim.replace("far more expensive", "far cheaper")
    assert meaning_reason(kept, passage, passage.sentences[0]) is None


def test_two_ways_of_setting_oneself_against_a_thing_agree() -> None:
    sentence = "Nurses are fighting a proposed pay cap and want more staff on night shifts."
    assert polarity_conflict("The nurses are opposing a proposed pay cap.", sentence) is None
    assert polarity_conflict(
        "The nurses have accepted a proposed pay cap.", "Nurses rejected a pay cap."
    )


def test_the_subject_of_a_participle_clause_does_its_own_part() -> None:
    passage = [
        "The audit was sent to the Harbour Trust in May, with the Port Authority receiving a "
        "copy in June."
    ]
    assert not role_conflict("The Port Authority received a copy of the audit in June.", passage)
    assert role_conflict(
        "The Harbour Trust backed the levy.",
        ["The Harbour Trust opposed the fee.", "The Port Authority backed the levy."],
    )


def test_a_flip_in_the_sentences_second_clause_is_read_when_the_claim_draws_on_it() -> None:
    sentence = (
        "Ferry crews are sailing extra routes around the bay they have charted near Norvik, "
        "but are unlikely to join any strike at the depot."
    )
    claim = (
        "Ferry crews sailing extra routes around the bay near Norvik are likely to join a "
        "strike at the depot."
    )
    assert polarity_conflict(claim, sentence) == "antonym"
    faithful = "Ferry crews are sailing extra routes around the bay they have charted near Norvik."
    assert polarity_conflict(faithful, sentence) is None


def test_a_negation_in_a_later_clause_counts_for_the_words_the_claim_takes_from_it() -> None:
    sentence = (
        "The council says it will have to consider delaying some library works because of "
        "the flood bill, but says no works will be cancelled."
    )
    claim = "The council says that because of the flood bill, some library works will be cancelled."
    assert polarity_conflict(claim, sentence) == "negation"


def test_a_hedge_followed_by_a_negation_says_what_its_opposite_says() -> None:
    sentence = "The dockers are unlikely to join the walkout."
    assert polarity_conflict("The dockers probably won't join the walkout.", sentence) is None
    assert polarity_conflict("The dockers will probably not join the walkout.", sentence) is None
    assert polarity_conflict("The dockers probably will join the walkout.", sentence) == "antonym"


def test_not_yet_keeps_its_negation_on_what_follows() -> None:
    assert negated("The plan has not yet been approved by the board.")
    assert (
        polarity_conflict(
            "The plan has been approved by the board.",
            "The plan has not yet been approved by the board.",
        )
        == "negation"
    )


def test_pleased_and_disappointed_and_cut_and_raise_are_opposites() -> None:
    assert (
        polarity_conflict(
            "The mayor says she is disappointed with the new tram timetable.",
            "The mayor says she is pleased with the new tram timetable.",
        )
        == "antonym"
    )
    assert (
        polarity_conflict(
            "The lender again raised its mortgage rates yesterday.",
            "The lender again cut its mortgage rates yesterday.",
        )
        == "antonym"
    )


def test_ranks_and_hyphenated_counts_are_numbers() -> None:
    from rag.verify_rules import numbers_in

    assert numbers_in("It was the club's fourth title in a row.") == {"4"}
    assert numbers_in("It is the sixth title for the club.", passage=True) == {"6"}
    assert numbers_in("after a two-hour meeting") == {"2"}
    assert numbers_in("after a five-hour meeting", passage=True) == {"5"}
    # shares and "the first time" are not ranks
    assert numbers_in("a third of the boats") == set()
    assert numbers_in("for the first time") == set()


def test_a_name_after_a_comma_and_said_that_goes_on_with_a_verb_is_what_was_said() -> None:
    claim = "The port's spokeswoman, Ms Ida Crane, said Halloran had not been consulted."
    assert speaker_of_claim(claim) == "Ms Ida Crane"
    assert speaker_of_claim("The quay will open in May, said Ms Ida Crane.") == "Ms Ida Crane"
    assert speaker_of_claim("The quay will open in May, said Crane on Monday.") == "Crane"


def test_a_role_the_passage_gives_one_person_alone_speaks_for_that_person() -> None:
    from rag.verify_rules import _same_speaker

    texts = [
        "The board wants 36 Norrland dockers back and has given leader Marta Olsen two days.",
        "The Norrland leader said her members would not return before Friday.",
    ]
    assert _same_speaker("Olsen", "Norrland leader", texts)
    assert not _same_speaker("Brenner", "Norrland leader", texts)
    two = [*texts, "Their rivals' leader Piet Kral said he would wait."]
    assert not _same_speaker("Olsen", "Norrland leader", two)


def test_a_claim_making_the_passive_subject_the_doer_swaps_roles() -> None:
    from rag.verify_rules import passive_swap

    sentence = "Ms Ida Crane was warned of the closure by the harbour master, Tom Reyes, on Friday."
    assert passive_swap(
        "Ms Ida Crane warned the harbour master, Tom Reyes, of the closure.", sentence
    )
    assert not passive_swap("Tom Reyes warned Ms Ida Crane of the closure on Friday.", sentence)
    assert not passive_swap("Ms Ida Crane was warned of the closure by Tom Reyes.", sentence)
    hidden = "The audit says debts run up by Norvale were concealed from Castlegate last year."
    assert passive_swap("The audit says Castlegate concealed debts from Norvale last year.", hidden)
    assert not passive_swap(
        "The audit says Norvale concealed debts from Castlegate last year.", hidden
    )
    # a name after a preposition is no subject
    killed = "Two guards were killed when a shell fell near the gate."
    assert not passive_swap("A shell that fell near Hollin killed two guards.", killed)


def test_a_hedged_negative_agrees_with_a_negation_but_flips_nothing_alone() -> None:
    sentence = (
        "Harbour pilots are working double shifts, but are unlikely to join any strike at "
        "the docks."
    )
    claim = (
        "Harbour pilots are working double shifts but are not expected to join any strike "
        "at the docks."
    )
    assert polarity_conflict(claim, sentence) is None
    likely = "Harbour pilots are likely to join a strike at the docks."
    assert polarity_conflict(likely, sentence) == "antonym"
    # "very improbable" rewords "unlikely that" without a negation of its own
    source = "It is highly unlikely that the port will raise its fees in the next six months."
    assert (
        polarity_conflict("A port fee rise in the next six months is very improbable.", source)
        is None
    )


def test_a_name_word_and_its_ies_plural_are_one_name() -> None:
    from rag.speech import alike

    assert alike("authority", "authorities")
    assert alike("treasuries", "treasury")
    assert not alike("authority", "authors")


def test_a_word_opening_the_claim_is_no_part_of_the_name_after_it() -> None:
    from rag.verify_rules import _names

    claim = "Despite Okafor's warning, the council says the bridge will reopen in Lisle."
    assert _names(claim) == ["Okafor's", "Lisle"]
    assert _names("Dunmore Rail says the line will reopen.") == ["Dunmore Rail"]


def test_he_said_never_stands_for_a_holiday_or_a_month() -> None:
    sentences = [
        "Norway's Queen Ingrid Dahl spoke of the floods in her annual Christmas address in "
        "December.",
        "“We must help one another,” she said.",
    ]
    assert attribute(sentences, 1).speaker == "Norway's Queen Ingrid Dahl"


def test_a_claim_may_describe_its_speaker_without_naming_them() -> None:
    claim = "The local fire brigade says no residents were hurt."
    assert speaker_of_claim(claim) is None
    assert speaker_of_claim(claim, described=True) == "local fire brigade"
    assert speaker_of_claim("Police officials said it was over.", described=True) is None


def test_a_plural_subject_reports_with_the_base_form_of_the_verb() -> None:
    sentences = [
        "Farmers warn that the drought will cut the harvest.",
        "Dock workers point out the risk.",
    ]
    assert attribute(sentences, 0).speaker == "Farmers"
    assert speaker_of_claim("The grain traders point out that prices rose.", described=True)


def test_a_participle_after_a_comma_reports_the_clauses_subject_not_the_name_before_it() -> None:
    claim = "Okafor signed once deals were agreed for Ann Lisle and Ben Tarr, saying they mattered."
    assert speaker_of_claim(claim, described=True) == "Okafor"
    assert speaker_of_claim("Ann Lisle spoke on Friday, saying they mattered.") == "Ann Lisle"


def test_a_sentence_going_on_with_a_quotation_opened_before_it_reports_who_closes_it() -> None:
    sentences = [
        "Ana Reyes rebuilt the old mill last year.",
        '"We could not sell the looms.',
        'Nobody wanted them any more," she said.',
    ]
    assert attribute(sentences, 2).speaker == "Ana Reyes"
    curly = ["Ana Reyes rebuilt the old mill.", "“We could not sell it.", "Nobody came,” she said."]
    assert attribute(curly, 2).speaker == "Ana Reyes"


def test_he_stands_for_the_subject_of_the_sentence_before_not_its_last_name() -> None:
    sentences = [
        "Harbour pilot Ivo Marsh has criticised the plan to charge Dalton Shipping more.",
        "The fees are far too high, he said.",
    ]
    assert attribute(sentences, 1).speaker == "Ivo Marsh"


def test_a_participle_after_a_pronoun_subject_reports_whom_the_pronoun_stands_for() -> None:
    sentences = [
        "Ivo Marsh spoke first.",
        "He attacked the fees and the plan for Eastgate Wharf, telling reporters trade would go.",
    ]
    assert attribute(sentences, 1).speaker == "Ivo Marsh"


def test_the_subject_of_a_sentence_is_the_name_it_opens_with_past_its_roles() -> None:
    assert subject_name("Party co-chairman Rhea Quist has opened the meeting.") == "Rhea Quist"
    assert subject_name("Talk show host Bo Lind, whose show ran for years, said so.") == "Bo Lind"
    assert subject_name("Along with two others, gallery owner Sam Pryce appeared.") == "Sam Pryce"
    assert subject_name("Ivo Marsh claims the Eastgate Cup was fixed.") == "Ivo Marsh"
    assert subject_name("The firm said it would appeal.") is None


def test_a_role_stands_for_the_one_person_the_text_gives_it() -> None:
    text = (
        "The Danish fisheries minister at the centre of the quota row says he will not resign. "
        "Lars Holm claims the figures were wrong. Talk show host Bo Lind disagreed."
    )
    assert described_person("the Danish minister", text) == "Lars Holm"
    assert described_person("the TV host", text) is None  # "TV" stands nowhere before "host"
    assert described_person("the show host", text) == "Bo Lind"
    assert described_person("the Swedish minister", text) is None
    two = "Sports minister Ann Berg spoke. Later, finance minister Jo Vik spoke."
    assert described_person("the minister", two) is None


def test_a_described_speaker_resolved_to_a_name_keeps_its_description() -> None:
    sentences = [
        "Farm Weekly has said that milk prices fell.",
        "Dairy sales dropped by a tenth, according to the farming weekly.",
    ]
    found = attribute(sentences, 1)
    assert found.via == "pronoun"
    assert found.described == "the farming weekly"


def test_he_opening_a_passage_stands_for_the_last_subject_of_the_article_before_it() -> None:
    before = (
        "The festival opened on Friday. Mr Okafor, who has run it since 2001, said he was pleased. "
    )
    assert antecedent_before(before) == "Okafor"
    assert antecedent_before('"It was a long night," he told reporters. ') is None


def test_a_name_after_the_verb_of_a_subject_opening_the_sentence_is_what_was_said() -> None:
    claim = "Tavish Orme, who runs the pilots' union, said Velco hopes to settle the dispute."
    assert speaker_of_claim(claim) == "Tavish Orme"
    assert speaker_of_claim("The quay is late, said Mr Orme.") == "Mr Orme"


def test_a_name_beside_the_description_after_according_to_is_the_speaker() -> None:
    sentence = "According to the port authority, Harbourco, traffic fell by a third in May."
    assert speaker_of_claim(sentence) == "Harbourco"
    assert (
        speaker_of_claim("According to Harbourco, traffic fell by a third in May.") == "Harbourco"
    )


def test_a_participle_opening_a_sentence_is_no_subject_and_its_he_is_the_one_before() -> None:
    assert subject_name("Cycling back from the studio in May, he was hit by a van.") is None
    assert subject_name("Asked about the merger, she said little.") is None
    assert subject_name("Speaking to reporters, Ada Voss said it was over.") == "Ada Voss"
    assert subject_name("Stirling has signed a striker.") == "Stirling"  # a name in -ing
    sentences = (
        "Tomas Varga announced a tour.",
        "Cycling back from a late session in Lisbon, he was hit by a van.",
        '"I am lucky to be here," he later said.',
    )
    assert attribute(sentences, 2).speaker == "Tomas Varga"


def test_two_apostrophes_written_for_a_double_quote_open_and_close_a_quotation() -> None:
    sentences = (
        "Ana Ruiz was left out of the squad.",
        "''We gave Ana a chance but it did not work out,'' said Tomas Varga.",
        "''It was a sensible precaution.",
    )
    assert attribute(sentences, 1).speaker == "Tomas Varga"
    assert attribute(sentences, 2).speaker == "Tomas Varga"


def test_a_role_after_the_verb_of_a_closed_quotation_leads_to_the_speakers_name() -> None:
    assert attribute(('"Sales were poor," said chief executive Ada Voss.',), 0).speaker == (
        "chief executive Ada Voss"
    )
    assert attribute(('"Sales were poor," said Acme boss Ada Voss.',), 0).speaker == (
        "Acme boss Ada Voss"
    )


def test_a_place_is_no_antecedent_of_he() -> None:
    sentences = ("The shape of Portugal's economy in graphics", "But he denied raising taxes.")
    assert attribute(sentences, 1).speaker is None


def test_an_aside_after_the_subject_and_the_noun_say_leave_the_speaker_alone() -> None:
    sentence = (
        "But Ola Berg, speaking exclusively to reporters, also admits Ian Moss, who has "
        "been linked with Velco, will have the final say on his future."
    )
    found = attributions([sentence], 0)
    assert [a.speaker for a in found] == ["Ola Berg"]


def test_clarifying_reports_speech() -> None:
    sentences = ("Ada Voss spoke on Friday.", "She clarified that she meant this weekend.")
    assert attribute(sentences, 1).speaker == "Ada Voss"


def test_the_name_after_told_is_the_listener_not_the_speaker() -> None:
    sentence = '"Growth will slow," Ada Voss, chief economist at Velco, told Radio Norland.'
    assert attribute((sentence,), 0).speaker == "Ada Voss"


def test_a_role_set_off_by_commas_before_a_name_makes_the_name_the_subject() -> None:
    assert subject_name("Velco's lawyer, Ada Voss, reacted angrily to the ruling.") == "Ada Voss"
    sentences = (
        "Velco's lawyer, Ada Voss, reacted angrily to the ruling.",
        '"This only helps our case," he told reporters.',
    )
    assert attribute(sentences, 1).speaker == "Ada Voss"


def test_a_description_of_no_person_does_not_stand_for_the_last_person() -> None:
    sentences = (
        "Mr Olsen explained that Velco would not sue the airport.",
        "The company said it had to cancel 77 flights.",
    )
    assert attribute(sentences, 1).speaker is None
    spokesman = ("Jo Lee runs the press office.", "The spokesman said flights resumed.")
    assert attribute(spokesman, 1).speaker == "Jo Lee"
