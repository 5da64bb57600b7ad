"""The analyzer's parts, one by one: lemmas, negation, typed numbers, sides, requirements.

No spaCy model and no embedder: these are the pure functions the analyzer is built from.
"""

from __future__ import annotations

import pytest

from extract.lexicon import Terms, lemma
from extract.negation import asserted
from extract.normalize import normalize
from extract.questionset import REQUIREMENTS, load_question_set
from extract.requirements import About, Evidence, fraction_percent, judge, proportions
from extract.turns import PATIENT, PRACTICE, infer_patient_turns, side_of_label, sides


@pytest.mark.parametrize("a, b", [("chances", "chance"), ("waiting", "wait"),
                                  ("improved", "improve"), ("surgeries", "surgery"),
                                  ("herniations", "herniation")])
def test_inflections_share_a_lemma(a, b):
    assert lemma(a) == lemma(b)


def test_terms_are_whole_words_never_substrings():
    terms = Terms(["some", "most", "too", "herniat*", "without surgery"])
    assert terms.found("someone's mostly took it") == []
    assert terms.found("a herniated disc, better without surgery") == ["herniat*",
                                                                        "without surgery"]


@pytest.mark.parametrize("text, said", [
    ("those don't work", True),
    ("if those don't work, we can talk about surgery", False),
    ("we could decide today", True),
    ("you don't have to decide today", False),
])
def test_negation_and_conditionals(text, said):
    terms = Terms(["those don't work", "decide today"])
    assert (asserted(terms, normalize(text)) is not None) is said


@pytest.mark.parametrize("text, found", [
    ("about sixty percent improve", ["60%"]),
    ("three out of four people get better", ["3 in 4"]),
    ("about half of people improve", ["half"]),
    ("it takes half an hour", []),
    ("a year and a half of therapy", []),
    ("i've done over two hundred of these", []),
    ("you're 52 and healthy", []),
])
def test_proportions_are_typed(text, found):
    assert proportions(normalize(text)) == found


def test_about_half_is_fifty_percent():
    assert fraction_percent(normalize("about half of them never have it")) == 50.0


@pytest.mark.parametrize("label, side", [
    ("Patient", PATIENT), ("Companion", PATIENT), ("Interpreter", PATIENT), ("Wife", PATIENT),
    ("Surgeon", PRACTICE), ("Dr. Brennan", PRACTICE), ("PA", PRACTICE), ("Nurse", PRACTICE),
    ("Speaker 1", None), (None, None)])
def test_speaker_labels_name_a_side(label, side):
    assert side_of_label(label) == side


def test_unnamed_speakers_take_the_side_of_who_asks():
    assert sides(["Speaker 1", "Speaker 2"], {"Speaker 2": 3}) == {
        "Speaker 1": PRACTICE, "Speaker 2": PATIENT}


def test_a_back_channel_after_a_reply_is_the_patients():
    turns = {0: "what percentage improve without surgery?", 1: "about 60% of people do.",
             2: "okay.", 3: "and the rest need more time."}
    assert infer_patient_turns(turns, {0}) == {0, 2}


@pytest.fixture(scope="module")
def evidence():
    return Evidence(load_question_set().evidence)


def test_the_requirement_registry_is_what_the_loader_accepts():
    assert set(REQUIREMENTS) == {"structure", "proportion", "candidacy_with_reason",
                                 "treatments_with_rates", "quantified_risk", "number",
                                 "on_topic"}


def test_a_case_count_is_no_proportion(evidence):
    about = About(subject=Terms(["without surgery"]))
    said = [normalize("I've taken out over two hundred of these cysts."),
            normalize("It's one of the most satisfying operations I do.")]
    assert not judge("proportion", said, evidence, about).met


def test_a_bare_decision_is_partial_with_its_flag(evidence):
    about = About(subject=Terms(["fibrin", "biologic"]))
    bare = judge("candidacy_with_reason", [normalize("You're not a candidate for that.")],
                 evidence, about)
    assert not bare.met and bare.bare_decision
    reasoned = judge("candidacy_with_reason",
                     [normalize("You're not a candidate, because the disc has collapsed.")],
                     evidence, about)
    assert reasoned.met


def test_a_candidacy_for_something_else_is_not_the_answer(evidence):
    about = About(subject=Terms(["fibrin", "biologic"]))
    said = [normalize("You're a good candidate for fusion, because you're young.")]
    assert not judge("candidacy_with_reason", said, evidence, about).met


def test_treatments_need_their_rates(evidence):
    about = About()
    rated = [normalize("Supervised physical therapy helps about fifty-five percent.")]
    unrated = [normalize("Physical therapy and an epidural are worth trying.")]
    assert judge("treatments_with_rates", rated, evidence, about).met
    partial = judge("treatments_with_rates", unrated, evidence, about)
    assert not partial.met and partial.on_topic


def test_a_majority_beside_a_deflection_is_on_topic_without_its_number(evidence):
    # "The majority. I'd rather not pin a number on it.": partial, not unanswered; a hedged
    # risk ("some people get worse, some don't") gives no vague quantity to keep.
    about = About(subject=Terms(["without surgery", "on its own"]), deflected=True)
    said = [normalize("The majority settle down on their own."),
            normalize("I'd rather not pin a number on it.")]
    proportion = judge("proportion", said, evidence, about)
    assert not proportion.met and proportion.vague
    risk = judge("quantified_risk", [normalize("Some people get worse, some don't.")], evidence,
                 About(subject=Terms(["worse"]), deflected=True))
    assert not risk.met and risk.vague == ()
