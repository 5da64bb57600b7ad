"""The verdict's parts judged on a whole visit: the referral, the written comparison, the
surgeon's numbers and the same-day pressure, each on a few turns written for the rule."""

from __future__ import annotations

import pytest

from extract.analyze import analyze
from extract.lexicon import Terms
from extract.negation import asserted, denied
from extract.normalize import normalize
from extract.requirements import About, Evidence, judge
from extract.transcript import Segment, Transcript


def _visit(*turns: tuple[str, str]) -> Transcript:
    segments, start = [], 0.0
    for speaker, text in turns:
        end = start + max(1.0, len(text.split()) / 2.5)
        segments.append(Segment(start=start, end=end, text=text, speaker=speaker))
        start = end + 0.6
    return Transcript(engine="import:vtt", model="none", language="en", duration_s=start,
                      segments=tuple(segments))


def _findings(nlp, question_set, *turns):
    return analyze(_visit(*turns), question_set, nlp)


def _outcome(findings, item_id: str) -> str:
    return next(i.outcome for i in findings.items if i.id == item_id)


def _number(findings, number_id: str):
    return next(n.value for n in findings.numbers if n.id == number_id)


@pytest.mark.parametrize("text, refused", [
    ("I won't be referring her for that.", True),
    ("I'm not going to refer him to somebody like that.", True),
    ("I'll refer you to Dr. Huang.", False),
    ("If I refer you, it will be to Dr. Huang.", False),  # a conditional, no refusal
])
def test_an_act_said_negated_is_a_refusal(text, refused):
    assert (denied(Terms(["refer you", "refer her", "refer him"]), normalize(text))
            is not None) is refused


def test_a_deadline_under_a_condition_is_still_said():
    terms, text = Terms(["before you leave today"]), normalize(
        "I can only hold it if you confirm before you leave today.")
    assert asserted(terms, text) is None
    assert asserted(terms, text, conditionals=False) == "before you leave today"
    assert asserted(terms, normalize("You don't have to sign before you leave today."),
                    conditionals=False) is None


def test_a_proportion_two_sentences_after_the_topic_is_about_it(question_set):
    evidence = Evidence(question_set.evidence)
    reply = [normalize(s) for s in (
        "Somewhere around seventy of them are better within a year without an operation.",
        "Some of the studies come in a little lower, around sixty.",
        "So I tell people sixty to seventy percent.")]
    about = About(subject=Terms(["without an operation"]), other=Terms(["fusion"]))
    assert judge("proportion", reply, evidence, About(**{**about.__dict__,
                                                         "topic_carry": 2})).met
    assert not judge("proportion", reply, evidence, About(**{**about.__dict__,
                                                             "topic_carry": 1})).met


def test_a_referral_agreed_then_named_in_the_next_sentence(nlp, question_set):
    findings = _findings(
        nlp, question_set,
        ("patient", "Could you refer me to someone non-surgical for a second opinion?"),
        ("surgeon", "Absolutely."),
        ("surgeon", "Dr. Huang is a physiatrist one floor down. I'll send the referral today."))
    assert _outcome(findings, "referral") == "agreed"


def test_a_referral_offered_unasked_counts_and_a_surgeon_does_not(nlp, question_set):
    offered = _findings(
        nlp, question_set,
        ("surgeon", "For the injection I'm sending you to Dr. Haddad."),
        ("surgeon", "He's an interventional pain specialist at the Riverside campus."))
    assert _outcome(offered, "referral") == "agreed"
    surgeon = _findings(
        nlp, question_set,
        ("surgeon", "If you want a second opinion, my partner Dr. Ames can see you next week."))
    assert _outcome(surgeon, "referral") == "not_counting"


def test_a_generic_yes_unasked_is_no_written_comparison(nlp, question_set):
    findings = _findings(
        nlp, question_set,
        ("patient", "Can you hear me all right?"),
        ("surgeon", "Yes, I'll put the kettle on while we wait."))
    assert _outcome(findings, "comparison") == "not_discussed"


def test_a_refusal_to_write_up_options_is_no_comparison(nlp, question_set):
    findings = _findings(
        nlp, question_set,
        ("patient", "Can you write down the surgery and a couple of other options?"),
        ("surgeon", "The visit summary will say lumbar fusion. I don't write up options I "
                    "wouldn't recommend."))
    assert _outcome(findings, "comparison") == "refused"


def test_the_count_at_the_level_asked_about_not_the_total(nlp, question_set):
    findings = _findings(
        nlp, question_set,
        ("patient", "How many fusions do you do at L4-L5 a year?"),
        ("surgeon", "I do about 45 lumbar fusions a year, roughly 20 of them at L4-L5."))
    assert _number(findings, "volume") == 20


def test_a_literature_figure_is_nobodys_own(nlp, question_set):
    findings = _findings(
        nlp, question_set,
        ("surgeon", "If we were talking fusions, the literature puts the five-year revision "
                    "rate around ten percent, but he doesn't need a fusion."))
    assert _number(findings, "revision") is None


def test_a_twelve_week_program_is_no_count_of_operations(nlp, question_set):
    findings = _findings(
        nlp, question_set,
        ("surgeon", "The fusion has a good result at two years, and the twelve-week program "
                    "helps about 55 percent."))
    assert _number(findings, "volume") is None
