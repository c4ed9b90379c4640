"""Polarity, antonyms and swaps between a claim and the sentence it restates (text in no
claim set)."""

from __future__ import annotations

from rag.clauses import (
    antonym_substituted,
    attempt_claimed_done,
    clauses,
    negated,
    polarity_conflict,
    role_conflict,
    slot_pairs,
    swapped,
)


def test_no_one_negates_what_follows_in_the_polarity_check() -> None:
    sentence = "The mayor says no one was hurt in the blast."
    assert polarity_conflict("The mayor says nobody was hurt in the blast.", sentence) is None
    assert polarity_conflict("The mayor says people were hurt in the blast.", sentence) == (
        "negation"
    )


def test_negated_keeps_its_old_reading_of_no_one_for_the_answerer() -> None:
    assert not negated("no one of them came")


def test_an_implicit_negative_agrees_with_a_negation() -> None:
    assert (
        polarity_conflict(
            "Some results have not yet been checked.", "Results are yet to be checked."
        )
        is None
    )
    assert (
        polarity_conflict(
            "Divers have not yet found the wreck.", "Divers are still trying to find the wreck."
        )
        is None
    )
    assert (
        polarity_conflict(
            "The accounts were kept from the auditors.",
            "The accounts were not made known to the auditors.",
        )
        is None
    )
    assert (
        polarity_conflict(
            "The ministry knows little more than what is in the report.",
            "The ministry does not know much more than what is in the report.",
        )
        is None
    )


def test_a_negated_implicit_negative_says_the_opposite() -> None:
    sentence = "The report says losses were concealed from the auditors at meetings last year."
    claim = "The report says losses were not kept from the auditors at meetings last year."
    assert polarity_conflict(claim, sentence) == "negation"


def test_an_implicit_negative_alone_flips_nothing() -> None:
    assert (
        polarity_conflict("The bill is still awaiting approval.", "The bill is yet to be approved.")
        is None
    )


def test_everyday_opposites_are_antonyms() -> None:
    assert (
        polarity_conflict(
            "The patient is in a stable condition.", "The patient is in a critical condition."
        )
        == "antonym"
    )
    assert (
        polarity_conflict(
            "The team faces certain relegation.", "The team faces possible relegation."
        )
        == "antonym"
    )


def test_an_antonym_in_another_form_on_the_aligned_words_is_an_antonym() -> None:
    sentence = "The new stadium drew praise from local residents."
    assert antonym_substituted("The new stadium drew criticism from local residents.", sentence)
    assert not antonym_substituted("The new stadium drew praise from nearby residents.", sentence)
    assert not antonym_substituted(
        "The new stadium did not draw criticism from local residents.", sentence
    )


def test_two_stretches_trading_places_is_a_swap() -> None:
    sentence = (
        "She says state funding has ended and the club now seeks support from private donors."
    )
    claim = "She says funding from private donors has ended and the club now seeks state support."
    assert swapped(claim, sentence)


def test_one_phrase_moved_or_a_reworded_sentence_is_no_swap() -> None:
    assert not swapped(
        "Yesterday the board approved the plan.", "The board approved the plan yesterday."
    )
    assert not swapped(
        "Counting in the remote seats won't begin until Monday, once the boxes are moved.",
        "In some of the remote seats counting will not even start until Monday after the "
        "boxes are carried to one place.",
    )


def test_a_name_ending_a_long_aligned_stretch_is_paired_with_the_sentences() -> None:
    claim = "Nine people were hurt on the roads, with two injuries in both Kent and Essex."
    sentence = "Nine people were hurt on the roads, with two injuries in both Kent and Surrey."
    assert ("Essex", "Surrey", True) in slot_pairs(claim, sentence)


def test_two_negatives_agree_with_two_negatives_in_other_words() -> None:
    sentence = '"Nothing in the rules would prevent the board making that call," she said.'
    claim = "She says nothing in the rules would stop the board making that call."
    assert polarity_conflict(claim, sentence) is None
    assert (
        polarity_conflict(
            "She says nothing stops the board making that call.",
            "The rules stop the board making that call.",
        )
        == "negation"
    )


def test_a_sentence_rewritten_in_many_words_on_both_sides_is_no_swap() -> None:
    sentence = (
        "The national boating toll for the Easter holiday period stands at 45, "
        "eight fewer than for the same time last year."
    )
    claim = "Holiday boating deaths are down on last year's figure for the same period."
    assert not swapped(claim, sentence)


def test_a_claim_that_states_as_done_what_is_only_attempted_flips_it() -> None:
    sentence = "Engineers are still trying to repair the damaged cable."
    assert attempt_claimed_done("Engineers have repaired the damaged cable.", sentence)
    assert not attempt_claimed_done("Engineers are working to repair the damaged cable.", sentence)
    assert not attempt_claimed_done("Engineers have not repaired the damaged cable.", sentence)


def test_an_opposite_word_in_another_place_of_the_sentence_is_no_antonym() -> None:
    sentence = (
        "Okafor made up for missing the club's 1998 victory through injury by beating "
        "Lindqvist in straight sets."
    )
    claim = "Okafor, who missed the club's 1998 triumph through injury, defeated Lindqvist."
    assert polarity_conflict(claim, sentence) is None


def test_before_and_after_about_different_events_are_no_antonym() -> None:
    sentence = "The keeper dropped the ball into his own net before clearing it."
    claim = "After the keeper dropped the ball, the referee said it had crossed the line."
    assert polarity_conflict(claim, sentence) is None


def test_an_opposite_word_in_the_same_place_is_still_an_antonym() -> None:
    sentence = "The staff were paid more than $300 million for their work."
    claim = "The staff earned less than $300 million."
    assert polarity_conflict(claim, sentence) == "antonym"


def test_a_fall_to_a_level_is_no_negation_though_declined_to_is_one() -> None:
    sentence = "It blamed the drop on tighter rules and reduced grants."
    claim = "It linked the fall to tighter rules and reduced grants."
    assert polarity_conflict(claim, sentence) is None
    refused = "The minister declined to back the tighter rules."
    assert polarity_conflict("The minister backed the tighter rules.", refused) == "negation"


def test_opposites_of_news_usage_flip_where_their_counterpart_stands() -> None:
    assert (
        polarity_conflict(
            "The late frost was a boost to the orchard growers.",
            "The late frost was a blow to the orchard growers, the co-op said.",
        )
        == "antonym"
    )
    assert (
        polarity_conflict(
            "The union disputed that the mill had no choice but to close.",
            "The union accepted the mill had no choice but to close.",
        )
        == "antonym"
    )
    assert (
        polarity_conflict(
            "Her late goal gave the visitors a two-goal lead.",
            "Her late goal gave the hosts a two-goal lead.",
        )
        == "antonym"
    )
    assert (
        polarity_conflict(
            "The singer rarely toured with the band.", "The singer frequently toured with the band."
        )
        == "antonym"
    )
    # the same word on both sides is no flip
    assert (
        polarity_conflict("The plan has one clear upside.", "The plan has one clear upside.")
        is None
    )


def test_a_calling_before_a_name_belongs_to_the_subject_not_the_verb() -> None:
    sentence = "Velmar striker Ivo Dant has been declared fit despite an alleged assault on Friday."
    assert "Ivo Dant" in " ".join(clauses(sentence)[0].subjects)
    passage = [
        sentence,
        "Dant, 27, is not believed to be badly hurt after the assault in Norby.",
        "He was out with two friends after Velmar's 3-1 win over Kells.",
    ]
    claim = "Dant was allegedly assaulted in Norby while out with two friends after the win."
    assert not role_conflict(claim, passage)


def test_rather_than_agrees_with_a_contrasting_not_and_flips_nothing_alone() -> None:
    sentence = "The guild will hold its spring fair in Dunmore and not Carrow, it was announced."
    assert (
        polarity_conflict("The fair will be held in Dunmore rather than Carrow.", sentence) is None
    )
    assert (
        polarity_conflict("The fair will be held in Dunmore instead of Carrow.", sentence) is None
    )
    assert polarity_conflict("The fair will be held in Carrow.", sentence) == "negation"
    assert polarity_conflict("The fair will be held in Carrow rather than Dunmore.", sentence) == (
        "negation"
    )
    # alone, "rather than" is no negation to set against a plain mention
    assert (
        polarity_conflict(
            "The envoy urged both sides to choose talks over conflict.",
            "The envoy urged both sides to choose talks rather than conflict.",
        )
        is None
    )


def test_a_negation_about_names_the_claim_never_gives_is_about_something_else() -> None:
    sentence = "A win against Rovers would put Alder through if Brook fail to beat Kelso."
    assert polarity_conflict("Alder would go through by beating Rovers", sentence) is None
    assert polarity_conflict("Brook beat Kelso", sentence) == "negation"


def test_not_preventing_is_set_against_preventing() -> None:
    sentence = "The coating is used to prevent the hull being damaged by ice in winter."
    claim = "The coating does not prevent the hull being damaged by ice in winter."
    assert polarity_conflict(claim, sentence) == "negation"
    assert (
        polarity_conflict("The coating is used to stop the hull being damaged by ice.", sentence)
        is None
    )


def test_doing_more_against_doing_less_as_phrasal_verbs_is_an_antonym() -> None:
    sentence = "The new edition ramps up the puzzles and the humour."
    assert polarity_conflict(
        "The new edition tones down the puzzles and the humour.", sentence
    ) == ("antonym")
    assert polarity_conflict("The new edition ramps up the puzzles.", sentence) is None


def test_a_word_capitalised_only_to_open_a_sentence_is_no_party_to_a_role() -> None:
    passage = [
        "Retail sales are seen as a large part of household spending, which is half of output.",
        "Looking ahead, the maker forecast sales growth of 2% over the next four years.",
        "Velco Motors is buying the rest of the parts firm it does not already own.",
    ]
    # "Consumer" opens the claim, "Looking" and "Retail" their sentences: no one's predicate
    assert not role_conflict(
        "Household spending, of which retail sales are a large part, is half of output.",
        passage,
    )
    assert not role_conflict(
        "Velco Motors is forecasting sales growth of 2% over the coming four years.", passage
    )


def test_a_figure_in_a_reported_clause_is_no_subject() -> None:
    passage = [
        "Velco said the outlook for the trade in Asia this year was flat.",
        "However, the firm said it expected margins to be lower in 2006, at 3% of sales, not 6%.",
    ]
    assert not role_conflict("Velco expects its margin to slip to 3% of sales in 2006.", passage)


def test_he_after_a_named_subject_carries_that_subjects_role() -> None:
    passage = [
        "Orme is keen to stress that his offer is more than a gesture, and he gave warm praise "
        "to the work of youth coach Dana Pell and her staff."
    ]
    assert role_conflict("Youth coach Dana Pell gave warm praise to the work of Orme.", passage)
    assert not role_conflict("Orme gave warm praise to the work of Dana Pell.", passage)
    # "He will attack …": the pronoun is the subject, not the name after the verb
    assert clauses("He will attack Velco's record on pay.")[0].subjects == ()


def test_another_form_of_the_same_party_is_no_swap() -> None:
    sentence = (
        "Mr Orme will campaign for Tory hopefuls Ana Bell and Tim Roe, the first to stand as a "
        "Conservative candidate in the ward."
    )
    claim = (
        "Orme will campaign for Conservative hopefuls Ana Bell and Tim Roe, the first to stand as "
        "a Tory in the ward."
    )
    assert not swapped(claim, sentence)


def test_missing_out_on_denies_as_being_denied_does() -> None:
    sentence = "Ivo Dant was denied the title on the last day when he could not catch Ana Bell."
    claim = "Ivo Dant missed out on the title on the last day, unable to catch Ana Bell."
    assert polarity_conflict(claim, sentence) is None
    assert polarity_conflict("Ivo Dant won the title on the last day.", sentence) == "negation"


def test_dismissing_claims_agrees_with_rejecting_them() -> None:
    sentence = "The mayor dismissed claims that the plan would raise rents."
    assert (
        polarity_conflict("The mayor rejected claims that the plan would raise rents.", sentence)
        is None
    )


def test_opposing_is_set_against_defending() -> None:
    sentence = "The firm filed a brief in defence of the two file-sharing networks."
    assert polarity_conflict("The firm filed a brief opposing the two networks.", sentence) == (
        "antonym"
    )
    assert polarity_conflict("The firm filed a brief defending the two networks.", sentence) is None


def test_he_opening_a_new_sentence_is_not_read_as_the_last_subject_named() -> None:
    passage = [
        "Ivo Dant is struggling for form this winter.",
        "Ana Bell won the women's race again.",
        "He started well in the final but could not stay with the leaders.",
    ]
    claim = "Ivo Dant started well in the final but could not stay with the leaders."
    assert not role_conflict(claim, passage)


def test_a_name_the_claim_adds_inside_a_negation_does_not_excuse_the_flip() -> None:
    sentence = "Mr Orme is required to make an offer for the remaining shares he does not own."
    claim = "Mr Orme is not required to make an offer for the remaining Velco shares."
    assert polarity_conflict(claim, sentence) == "negation"


def test_a_subjects_head_not_its_modifier_or_apposition_is_its_name() -> None:
    (first,) = clauses("Norland's biggest ferry operator, Baltline, has ordered six ships.")
    assert first.subjects == ("Baltline",)
    (second,) = clauses("Baltline, the pan-Nordic ferry operator, has ordered six ships.")
    assert second.subjects == ("Baltline",)
    (third,) = clauses("Norland bookmakers have tipped Baltline to win the contract.")
    assert third.subjects == ()
    (fourth,) = clauses("Rebel gunmen wounded two guards near Ostrava.")
    assert fourth.subjects == ()


def test_a_passive_restated_with_a_common_noun_doer_is_no_role_swap() -> None:
    passage = ["The Vesper has been tipped by Norland bookmakers to win the best film award."]
    claim = "Norland bookmakers have tipped The Vesper to take the best film award."
    assert not role_conflict(claim, passage)


def test_a_name_after_a_description_or_an_opening_phrase_is_the_subject() -> None:
    (first,) = clauses("Shipping magnate Ola Brandt recently set up Fjordair.")
    assert "Ola Brandt" in first.subjects
    (second,) = clauses("Two weeks ago, Nordvik Oil quietly delayed its pipeline.")
    assert second.subjects == ("Nordvik Oil",)


def test_turning_down_is_rejecting() -> None:
    sentence = "Last week, the board rejected a £2bn offer from Valmet."
    assert polarity_conflict("The board turned down a £2bn offer from Valmet.", sentence) is None
    assert polarity_conflict("The board accepted a £2bn offer from Valmet.", sentence)


def test_an_antonym_in_another_inflection_is_still_the_opposite() -> None:
    sentence = "There was talk of fare reductions for pensioners in the city's budget."
    assert antonym_substituted(
        "There was talk of fare rises for pensioners in the city's budget.", sentence
    )
    assert not antonym_substituted(
        "There was talk of fare cuts for pensioners in the city's budget.", sentence
    )


def test_beginning_and_ending_are_opposites() -> None:
    sentence = "The Harbour Festival begins on Friday and runs for ten days."
    assert antonym_substituted("The Harbour Festival ends on Friday.", sentence)
    assert not antonym_substituted("The Harbour Festival opens on Friday.", sentence)


def test_a_side_of_an_antonym_said_in_another_word_is_no_flip() -> None:
    sentence = "Shares in mills have dropped amid concerns that higher pulp costs will hit profit."
    faithful = "Mill shares fell on worries that rising pulp costs would dent profit."
    assert polarity_conflict(faithful, sentence) is None
    twisted = "Mill shares rose on worries that rising pulp costs would dent profit."
    assert polarity_conflict(twisted, sentence) == "antonym"


def test_the_doer_of_a_passive_restated_as_the_subject_is_no_role_swap() -> None:
    passage = ["State-owned Velco bought the Ostra unit in a sale forced by Norland."]
    assert not role_conflict("Norland forced the sale of Ostra to state-owned Velco.", passage)


def test_an_irregular_verb_ends_a_subject_of_common_nouns() -> None:
    (first,) = clauses("Valmet's shares went up on talk of a bid by Ostra.")
    assert first.subjects == ()
    assert first.predicate[:1] == ("went",)


def test_whether_or_not_negates_nothing() -> None:
    assert not negated("The valve shuts at noon whether or not the tank is full.")
    sentence = "The valve shuts at noon regardless of whether the tank is full."
    assert (
        polarity_conflict("The valve shuts at noon whether or not the tank is full.", sentence)
        is None
    )
    assert negated("The valve does not shut at noon.")


def test_delaying_and_bringing_forward_civil_and_criminal_are_opposites() -> None:
    sentence = "The opening of the Ostra bridge has been delayed by a month."
    assert polarity_conflict(
        "The opening of the Ostra bridge has been brought forward by a month.", sentence
    )
    civil = "Velco is seeking damages in a civil lawsuit filed on Monday."
    assert antonym_substituted(
        "Velco is seeking damages in a criminal lawsuit filed on Monday.", civil
    )


def test_a_superlative_or_comparative_is_its_adjectives_side_of_a_pair() -> None:
    sentence = "Some of the band's earliest demos are going under the hammer in Lisbon."
    assert antonym_substituted(
        "Some of the band's latest demos are going under the hammer in Lisbon.", sentence
    )
    assert not antonym_substituted(
        "Some of the band's first demos are going under the hammer in Lisbon.", sentence
    )
    harder = "It is also the toughest level you are likely to play."
    assert antonym_substituted("It is also the easiest level you are likely to play.", harder)
