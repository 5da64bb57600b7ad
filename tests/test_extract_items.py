"""The verdict's parts judged on a whole visit: the referral, the written comparison, the
surgeon's numbers and the same-day pressure, each on a few turns written for the rule."""

from __future__ import annotations

import pytest

from extract.analyze import analyze
from extract.lexicon import Terms
from extract.negation import asserted, denied
from extract.normalize import normalize
from extract.requirements import About, Evidence, judge
from testkit.corpus import cue_transcript


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


@pytest.mark.parametrize("turns, item, outcome", [
    # The referral: agreed, then the specialist named in the next sentence.
    ((("patient", "Could you refer me to someone non-surgical for a second opinion?"),
      ("surgeon", "Absolutely."),
      ("surgeon", "Dr. Huang is a physiatrist one floor down. I'll send the referral today.")),
     "referral", "agreed"),
    # Offered unasked, the specialist in the speaker's next cue.
    ((("surgeon", "For the injection I'm sending you to Dr. Haddad."),
      ("surgeon", "He's an interventional pain specialist at the Riverside campus.")),
     "referral", "agreed"),
    # Another surgeon is a referral, not the non-surgical one asked for.
    ((("surgeon", "If you want a second opinion, my partner Dr. Ames can see you next week."),),
     "referral", "not_counting"),
    # A generic "yes" unasked agrees to nothing.
    ((("patient", "Can you hear me all right?"),
      ("surgeon", "Yes, I'll put the kettle on while we wait.")),
     "comparison", "not_discussed"),
    ((("patient", "Can you write down the surgery and a couple of other options?"),
      ("surgeon", ("The visit summary will say lumbar fusion. I don't write up options I "
                   "wouldn't recommend."))),
     "comparison", "refused"),
])
def test_an_item_is_judged_on_the_whole_visit(nlp, question_set, turns, item, outcome):
    findings = analyze(cue_transcript(*turns), question_set, nlp)
    assert next(i.outcome for i in findings.items if i.id == item) == outcome


@pytest.mark.parametrize("turns, number, value", [
    # The count at the level asked about, not the total.
    ((("patient", "How many fusions do you do at L4-L5 a year?"),
      ("surgeon", "I do about 45 lumbar fusions a year, roughly 20 of them at L4-L5.")),
     "volume", 20),
    # A literature figure is nobody's own.
    ((("surgeon", ("If we were talking fusions, the literature puts the five-year revision "
                   "rate around ten percent, but he doesn't need a fusion.")),),
     "revision", None),
    # A number named to the surgeon with no question ("And your revision rate."): a bare
    # figure in the reply is the surgeon's own, as in a reply to the question itself.
    ((("patient", "And, um, your own redo rate."), ("surgeon", "Seven percent or so.")),
     "revision", 7.0),
    # A twelve-week programme is no count of operations.
    ((("surgeon", ("The fusion has a good result at two years, and the twelve-week program "
                   "helps about 55 percent.")),),
     "volume", None),
])
def test_the_surgeons_numbers_are_typed(nlp, question_set, turns, number, value):
    findings = analyze(cue_transcript(*turns), question_set, nlp)
    assert next(n.value for n in findings.numbers if n.id == number) == value
