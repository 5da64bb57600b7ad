"""Single behaviours of the matcher, each on a few turns made into a timed transcript.

The labelled corpus (test_extract_corpus.py) measures the whole; these name what broke.
"""

from __future__ import annotations

import pytest

from extract.analyze import analyze
from extract.asking import _leans_on, looks_like_question
from extract.findings import Findings
from extract.sentences import split_sentences
from extract.transcript import Segment, Transcript, Word
from extract.turns import back_channel, person, sounds_like_patient
from testkit.corpus import cue_transcript, script_transcript

Q5 = ("If I delay surgery by six months while trying non-surgical options, what is the "
      "realistic risk of irreversible damage?")
Q3 = ("Have you reviewed whether I am a candidate for biologic disc repair such as "
      "intra-annular fibrin injection?")


@pytest.fixture(scope="module")
def run(nlp, question_set):
    def findings(*turns: str, seed: str = "unit") -> Findings:
        pairs = tuple((line.split(":", 1)[0], line.split(":", 1)[1].strip()) for line in turns)
        return analyze(script_transcript(pairs, seed), question_set, nlp)
    return findings


def test_a_number_inside_a_deflection_is_not_a_quantified_risk(run):
    findings = run(f"PATIENT: {Q5}",
                   "SURGEON: You're fifty two. You don't want to wait until you're fifty three.")
    q5 = findings.question("Q5")
    assert q5.status == "unanswered" and "you don't want to wait" in q5.evidence
    assert not findings.artifact("delay_risk_understood")


def test_vague_reassurance_is_partial_and_a_proportion_answers(run):
    assert run(f"PATIENT: {Q5}", "SURGEON: The risk is low, it is unlikely.").question(
        "Q5").status == "partial"
    answered = run(f"PATIENT: {Q5}", "SURGEON: Rare, under one in a hundred.").question("Q5")
    assert answered.status == "answered" and "1 in 100" in answered.facts


def test_not_a_candidate_needs_a_reason(run):
    bare = run(f"PATIENT: {Q3}", "SURGEON: You're not a candidate.")
    assert bare.question("Q3").status == "partial"  # questions.md: a bare decision is partial
    assert [f.kind for f in bare.red_flags] == ["not_candidate_no_reason"]
    reasoned = run(f"PATIENT: {Q3}", "SURGEON: You're not a candidate, because the disc "
                   "has collapsed and there is no tear left to seal.")
    assert reasoned.question("Q3").status == "answered" and not reasoned.red_flags


def test_garbled_recogniser_text_without_punctuation_is_still_matched(run):
    findings = run("PATIENT: have you reviewed whether i am a candidate for biologic disk repair "
                   "such as intra annular fiber injection",
                   "SURGEON: yes you could be a candidate because the tear at l five s one is "
                   "small and spinal decompression therapy helps thirty six point eight percent")
    q3 = findings.question("Q3")
    assert q3.status == "answered" and "because" in q3.facts
    discussed = {p.id for p in findings.procedures if p.discussed}
    assert discussed == {"fibrin", "decompression"}


def test_a_question_run_into_its_answer_is_cut_apart(run):
    # One unpunctuated run: the question's wording is cut out, the rest is the reply.
    findings = run("PATIENT: what percentage of patients with this exact diagnosis improve "
                   "without surgery i'd say fifty five percent or so improve without surgery "
                   "with therapy")
    q2 = findings.question("Q2")
    assert q2.status == "answered"
    assert "fifty five" not in q2.asked.text and "fifty five" in q2.answer.text


@pytest.mark.parametrize("run_on, number, value", [
    ("how many of those do you do a year about sixty of those a year", "volume", 60),
    ("what is your revision rate about six percent at five years", "revision", 6.0),
])
def test_a_short_question_run_into_a_short_reply_is_cut_apart(by_meaning, run_on, number,
                                                               value):
    # No punctuation and no pause: however short the run, a wording inside it with a few more
    # words after it is a question and its reply.
    found = by_meaning(f"PATIENT: {run_on}")
    assert {n.id: n.value for n in found.numbers}[number] == value


def test_a_question_asked_twice_is_one_question_judged_by_its_best_reply(run):
    q2 = "What percentage of patients with this exact diagnosis improve without surgery?"
    findings = run(f"PATIENT: {q2}", "SURGEON: It varies.", "PATIENT: Sorry, I'll ask again. "
                   f"{q2}", "SURGEON: About half, fifty percent.")
    assert [q.id for q in findings.questions if q.asked] == ["Q2"]
    assert findings.question("Q2").status == "answered"
    assert "50%" in findings.question("Q2").facts


def test_two_questions_read_together_share_the_reply(run):
    findings = run("PATIENT: Based on my imaging, what is the specific structural problem "
                   "causing my pain? And what percentage of patients with this exact diagnosis "
                   "improve without surgery?",
                   "SURGEON: An annular tear at L5-S1. About sixty percent improve.")
    assert [findings.question(q).status for q in ("Q1", "Q2")] == ["answered", "answered"]
    assert findings.question("Q1").answer_confidence == "medium"


def test_surgical_decompression_and_a_platelet_count_are_not_the_named_procedures(run):
    findings = run("SURGEON: Your platelet count is normal. I recommend a laminectomy, a "
                   "surgical decompression.")
    assert not any(p.discussed for p in findings.procedures)


def test_a_referral_to_another_surgeon_is_not_the_referral_asked_for(run):
    findings = run("PATIENT: Could you refer me to a non-surgical spine specialist?",
                   "SURGEON: I'll send you to my partner, he's a spine surgeon.")
    referral = next(i for i in findings.items if i.id == "referral")
    assert referral.outcome == "not_counting" and not findings.artifact("referral")


def test_the_answer_confidence_survives_the_json_round_trip(run):
    findings = run(f"PATIENT: {Q5}", "SURGEON: About two percent.")
    assert findings.question("Q5").answer_confidence in ("high", "medium")
    again = Findings.from_json(findings.to_json())
    assert again.question("Q5").answer_confidence == findings.question("Q5").answer_confidence


def test_a_number_about_something_else_after_a_deflection_is_not_an_answer(run):
    q2 = "What percentage of patients with this exact diagnosis improve without surgery?"
    findings = run(f"PATIENT: {q2}", "SURGEON: I don't have numbers for that. My fusion "
                   "patients do very well. Ninety percent would have the surgery again.",
                   f"PATIENT: {Q5}", "SURGEON: Hard to say.", "PATIENT: Okay.",
                   "SURGEON: The garage takes fifty percent off if you validate your ticket.")
    assert findings.question("Q2").status == "unanswered"
    assert findings.question("Q5").status == "unanswered"


def test_candidacy_for_something_else_and_wear_and_tear_are_not_answers(run):
    findings = run("PATIENT: Based on my imaging, what is the specific structural problem "
                   "causing my pain?", "SURGEON: Honestly, it's wear and tear.",
                   f"PATIENT: {Q3}", "SURGEON: You're a good candidate for fusion, because "
                   "you're young and healthy.")
    assert findings.question("Q1").status == "partial"
    assert findings.question("Q3").status == "unanswered"


def test_numbers_about_the_operation_answer_nothing_that_was_asked(run):
    q2 = "What percentage of patients with this exact diagnosis improve without surgery?"
    findings = run(f"PATIENT: {q2}", "SURGEON: Fusion works about ninety percent of the time.",
                   f"PATIENT: {Q5}", "SURGEON: The operation has about a two percent infection "
                   "risk, so there is risk either way.")
    assert findings.question("Q2").status == "unanswered"
    assert findings.question("Q5").status == "partial"
    answered = run(f"PATIENT: {q2}", "SURGEON: About sixty percent improve without surgery, "
                   "so fusion can wait.")
    assert answered.question("Q2").status == "answered"


def test_an_answer_after_the_next_question_counts_when_it_says_so(run):
    q2 = "What percentage of patients with this exact diagnosis improve without surgery?"
    q1 = "Based on my imaging, what is the specific structural problem causing my pain?"
    late = run(f"PATIENT: {q1}", "SURGEON: Let me pull the images up.", f"PATIENT: {q2}",
               "SURGEON: About forty percent. Going back to your first question, there is an "
               "annular tear at L4-L5.")
    assert late.question("Q1").status == "answered"
    assert late.question("Q1").answer_confidence == "low"
    never = run(f"PATIENT: {q1}", "SURGEON: Let me pull the images up.", f"PATIENT: {q2}",
                "SURGEON: About forty percent, with a herniated disc like many people have.")
    assert never.question("Q1").status == "unanswered"


# --- Timed words without speaker labels: the asker's own words are never the reply --------

Q2 = "What percentage of patients with this exact diagnosis improve without surgery?"


@pytest.fixture(scope="module")
def by_meaning(nlp, question_set, embedder):
    def findings(*turns: str, seed: str = "unit") -> Findings:
        pairs = tuple((line.split(":", 1)[0], line.split(":", 1)[1].strip()) for line in turns)
        return analyze(script_transcript(pairs, seed), question_set, nlp, embedder=embedder)
    return findings


@pytest.mark.parametrize("seed", ["a", "b", "c"])
def test_a_number_the_patient_asks_back_is_not_the_answer(run, seed):
    q2 = run(f"PATIENT: {Q2}", "SURGEON: Most people get better with time.",
             "PATIENT: Is that like sixty percent? I'm trying to fill in the box.",
             "SURGEON: I'd rather not pin a number on it. It's the majority.",
             seed=seed).question("Q2")
    assert q2.status != "answered"
    assert "sixty" not in q2.answer.text and "box" not in q2.answer.text


@pytest.mark.parametrize("seed", ["a", "b", "c"])
def test_the_patient_moving_on_to_another_question_ends_the_reply(by_meaning, seed):
    q1 = by_meaning("PATIENT: What exactly is on the MRI that's causing this?",
                    "SURGEON: I don't go through the pictures line by line.",
                    "PATIENT: I've been reading about a fibrin sealant they put into the disc "
                    "wall, biologic disc repair.", seed=seed).question("Q1")
    assert q1.status == "unanswered" and "disc" not in q1.answer.text


def test_who_is_speaking_by_their_words():
    assert person("My back hurts when I sit.") > 0 > person("Your MRI shows a tear.")
    assert sounds_like_patient("Okay.") and sounds_like_patient("Is that sixty percent?")
    assert not sounds_like_patient("About sixty percent of people improve.")


def test_a_question_read_out_in_quotes_is_a_question():
    assert looks_like_question("number 1. 'what is the structural problem causing my pain?'")
    assert not looks_like_question("number 1. 'the structural problem causing my pain.'")


def test_a_question_finished_by_a_fragment_asks(by_meaning):
    found = by_meaning("PATIENT: What exactly is wrong in there? On the pictures.",
                       "SURGEON: The disc at L4-L5 has a tear pressing on the nerve.")
    assert found.question("Q1").status == "answered"
    aside = by_meaning("SURGEON: Any numbness in the feet? On the pictures, the disc is fine.")
    assert aside.question("Q1").status == "not_asked"


def test_every_concept_of_a_question_outweighs_a_closer_partial_reading(by_meaning):
    # Close to Q2 too ("odds", "non-surgical"), but only Q5 has every concept group here.
    found = by_meaning("PATIENT: If I give the non-surgical route six months, what are the "
                       "odds that toe weakness becomes permanent?",
                       "SURGEON: About five percent.")
    assert [q.id for q in found.questions if q.asked] == ["Q5"]


@pytest.mark.parametrize("turn, asked", [
    ("Suppose I hold off for six months. I'd do the physio first. What's the chance I end up "
     "with damage I can't get back?", "Q5"),
    ("The scan. Can you tell me what they saw on it? Like what's pressing on what?", "Q1")])
def test_a_question_leaning_on_the_two_sentences_before_it(by_meaning, turn, asked):
    found = by_meaning(f"PATIENT: {turn}", "SURGEON: About five percent.")
    assert [q.id for q in found.questions if q.asked] == [asked]


def test_a_relative_clause_in_the_surgeons_number_is_no_question(by_meaning):
    # ", which is..." goes on with a statement: the surgeon saying the item's words with
    # their number is the reply, not the patient asking for it again.
    found = by_meaning("PATIENT: How many of these do you do in a year, and how often do "
                       "they have to be redone?",
                       "SURGEON: About a hundred and ten a year. My revision rate at five years "
                       "is about seven percent, which is a bit under the national figure.")
    assert {n.id: n.value for n in found.numbers}["revision"] == 7.0


def test_a_deferred_answer_named_by_the_place_of_its_question(by_meaning):
    # The reply is closer in meaning to another question; "your first question" names it.
    q1 = "Based on my imaging, what is the specific structural problem causing my pain?"
    found = by_meaning(f"PATIENT: {q1}", "SURGEON: Give me a second, the scans are still loading.",
                       f"PATIENT: Meanwhile, {Q2[0].lower()}{Q2[1:]}",
                       "SURGEON: Roughly half improve within a year without an operation. Now, "
                       "your first question: the films show a herniated disc at L5-S1.")
    assert found.question("Q1").status == "answered"
    assert found.question("Q1").answer_confidence == "low"


@pytest.mark.parametrize("reply, status", [
    ("Pretty low. Most people can hold off that long and do fine.", "partial"),
    ("Everyone is different. Most people do fine.", "unanswered"),
])
def test_a_qualitative_risk_said_first_is_on_topic(run, reply, status):
    # "Pretty low" names the risk asked about by leaving it out: the reply's first statement
    # answers what was just asked, unless the reply deflects.
    assert run(f"PATIENT: {Q5}", f"SURGEON: {reply}").question("Q5").status == status


def test_an_unpunctuated_statement_with_an_auxiliary_is_no_loose_asking(by_meaning):
    # "... is one some people like ... i don't have ..." holds the concept words of "how many
    # people don't have the operation" but is no question: it is the reply to Q4.
    found = by_meaning("PATIENT: what conservative treatments have a documented success rate "
                       "above fifty percent for my condition",
                       "SURGEON: core work is one people try and so is yoga but i don't have "
                       "good numbers for those")
    q4 = found.question("Q4")
    assert q4.answer is not None and "yoga" in q4.answer.text
    assert found.question("Q2").status == "not_asked"


@pytest.mark.parametrize("asking, reply, question", [
    ("What happens if he puts off the surgery for six months?",
     "Under two percent end up with weakness that stays.", "Q5"),
    ("Would the fibrin injection work for her?",
     ("She is not a candidate, because the disc has collapsed and there is no wall left to "
      "seal."), "Q3"),
])
def test_a_companion_asking_in_the_third_person_asks_the_patients_question(
        by_meaning, asking, reply, question):
    # The wordings are in the patient's voice ("...if I put off surgery"); read for someone
    # else ("...if he puts off..."), a wording is as close as when the patient reads it.
    found = by_meaning(f"COMPANION: {asking}", f"SURGEON: {reply}")
    assert found.question(question).status == "answered"
    assert [q.id for q in found.questions if q.asked] == [question]


@pytest.mark.parametrize("asking, reply, number, value", [
    ("how many fusions at this level do you perform each year",
     "around ninety fusions at this level each year", "volume", 90),
    ("what percentage of the patients you evaluate for fusion end up not having it",
     "roughly forty percent of patients i evaluate for fusion end up not having it",
     "not_fused", 40.0),
])
def test_an_unpunctuated_reply_echoing_the_wording_is_no_asking(
        by_meaning, asking, reply, number, value):
    # A recogniser writes no full stop: the surgeon repeating the item's words with the
    # number, with no question word or auxiliary opening a clause, is the reply, however
    # close it is to the wording read.
    found = by_meaning(f"PATIENT: {asking}", f"SURGEON: {reply}")
    assert {n.id: n.value for n in found.numbers}[number] == value


Q4 = "What conservative treatments have a documented success rate above 50% for my condition?"


@pytest.mark.parametrize("reply, status", [
    # treatments named, then their numbers refused: on topic without the rates
    ("Acupuncture is one some people like, and a walking program, but I don't have good "
     "numbers for those.", "partial"),
    # ...but not beside a dismissal, nor when things are named only after the refusal
    ("Acupuncture, a walking program. I don't have numbers, and honestly it's a waste of time.",
     "unanswered"),
    ("I don't keep numbers on that. What I can say is the fusion does well. A brace won't fix "
     "a slip.", "unanswered"),
])
def test_treatments_named_and_their_rates_refused_are_partial(run, reply, status):
    assert run(f"PATIENT: {Q4}", f"SURGEON: {reply}").question("Q4").status == status


@pytest.mark.parametrize("refusal", ["I don't give percentages for that.",
                                     "I don't keep figures on that."])
def test_a_refusal_to_give_percentages_or_figures_is_a_deflection(run, refusal):
    # Compared as lemmas: "percentages" and "figures" are refusals to quantify like "numbers".
    q5 = run(f"PATIENT: {Q5}", f"SURGEON: {refusal} Some people get worse, some don't.",
             ).question("Q5")
    assert q5.status == "unanswered" and refusal.lower().rstrip(".") in q5.evidence.lower()


# --- Timed words: a hesitation before a question is a pause like a change of speaker --------

def _spoken(*sentences: tuple[float, str]) -> Transcript:
    """Timed words in one segment, no speakers: each sentence after the silence given (s)."""
    words, cursor = [], 0.5
    for pause, sentence in sentences:
        cursor += pause
        for word in sentence.split():
            words.append(Word(round(cursor, 2), round(cursor + 0.3, 2), word, 0.95))
            cursor += 0.36
    return Transcript(engine="import:test", model="none", language="en",
                      duration_s=round(cursor, 2), segments=(Segment(
                          start=words[0].start, end=words[-1].end,
                          text=" ".join(w.text for w in words), words=tuple(words)),))


HESITATIONS = [
    # The daughter hesitates as long as speakers take turns (0.6 s and more) before the
    # question whose topic is only in her previous sentence.
    pytest.param("I've been reading about a biologic option, a fibrin sealant in the disc wall.",
                 "Did you consider whether Mom could be a candidate for that?",
                 "I haven't looked into that, and I'm not going to.", "Q3", "unanswered",
                 "fibrin", id="pointing-back"),
    # "it" is named only after the pause: the two stretches are one asking of Q1.
    pytest.param("First, what exactly is it?", "On the MRI.",
                 "At L3-L4 there's narrowing of the canal, stenosis, from a synovial cyst.",
                 "Q1", "answered", "MRI", id="finished-by-a-fragment"),
]


@pytest.mark.parametrize("hesitation_s", [0.3, 0.8])
@pytest.mark.parametrize("before, after, reply, question, status, named", HESITATIONS)
def test_an_asking_cut_by_a_hesitation_is_one_asking(
        nlp, question_set, embedder, hesitation_s, before, after, reply, question, status,
        named):
    findings = analyze(_spoken((0.0, before), (hesitation_s, after), (1.2, reply)),
                       question_set, nlp, embedder=embedder)
    found = findings.question(question)
    assert found.status == status and named in found.asked.text


def test_a_stretch_with_a_number_or_spoken_to_the_listener_is_not_leant_on(nlp):
    # Across a pause, "...it?" leans only on a stretch that sounds like the asker's own story:
    # one with a number is the surgeon's reply ("My ... rate is about 4 percent"), and one
    # in the second person is the surgeon explaining.
    sentences = split_sentences(_spoken(
        (0.0, "My five-year reoperation rate for single-level fusion is about 4 percent."),
        (1.0, "Do you ever talk people out of it?"),
        (1.0, "Your MRI shows narrowing, and you are improving."),
        (1.0, "Do I need another MRI to check on it?"),
        (1.0, "My niece sent me an article about the fibrin injection."),
        (1.0, "Have you looked at whether I could have that?"),
    ), nlp)
    assert [s.turn for s in sentences] == [0, 1, 2, 3, 4, 5]
    assert [_leans_on(sentences, n, n + 1, cue_turns=False) for n in (0, 2, 4)] == [
        False, False, True]
    assert not _leans_on(sentences, 4, 5, cue_turns=True)  # cues are turns: never across


def test_a_reply_cut_in_between_two_questions_is_no_lead_in(nlp, question_set, embedder):
    # No pause long enough for a change of speaker: a statement with a number right after a
    # question is its reply, not words leading up to the next question.
    found = analyze(_spoken((0.0, "Do you operate on a lot of people like me?"),
                            (0.2, "Around eighty fusions a year."),
                            (0.3, "And how often do those need another operation?"),
                            (1.2, "Five percent of mine, at five years.")),
                    question_set, nlp, embedder=embedder)
    assert {n.id: n.value for n in found.numbers} == {"volume": 80, "revision": 5.0,
                                                      "not_fused": None}


# --- Speaker labels: the practice's own back-channels do not use up the reply ------------

@pytest.mark.parametrize("asker, answerer", [("Patient", "Surgeon"),
                                             ("Speaker 1", "Speaker 2")])
def test_a_reply_interrupted_by_the_surgeons_pager_still_reaches_its_number(
        nlp, question_set, embedder, asker, answerer):
    # Ten one-word acknowledgements into a pager between the start of the reply and its
    # number: words that say nothing leave the reply its budget of sentences.
    found = analyze(cue_transcript(
        (asker, Q2),
        (answerer, "So for a disc like yours, what we usually see is"),
        (answerer, ("Excuse me, that is the ward on my pager. Yes. Yep. Uh-huh. Right. Okay. "
                    "Sure. Mm-hmm. Yeah. Okay. Thanks.")),
        (answerer, "Apologies. Roughly six in ten people settle down without an operation."),
    ), question_set, nlp, embedder=embedder)
    assert found.question("Q2").status == "answered"
    assert "six in ten" in found.question("Q2").answer.text


def test_only_words_that_keep_the_talk_going_are_a_back_channel():
    assert back_channel("mm-hmm.") and back_channel("yeah. okay. thanks.")
    # A short answer is no back-channel: "No." can be all the reply says.
    assert not back_channel("no.") and not back_channel("very unlikely.")
