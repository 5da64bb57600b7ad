"""Transcript + question set -> Findings: which questions were asked, and what was answered.

The rule that shapes every threshold: the worst error is telling a patient a question was
answered when it was not. So a question is "answered" only when the reply contains what the
question set says an answer must contain (extract/requirements.py); a reply on topic without
it, or a decision without its reason, is "partial"; a deflection or nothing on topic is
"unanswered"; and a question never matched is "not asked".

The steps, each in its own module:
- extract/sentences.py: the transcript as timed sentences, each with its turn and speaker;
- extract/turns.py: which side each speaker is on (the patient's asks, the practice's answers);
- extract/asking.py: where each question is asked, by meaning, guarded by concept words;
- extract/replies.py: which sentences answer it, over the whole visit, by content;
- extract/requirements.py: what the reply contains, typed (a proportion, a structure...);
- extract/items.py: the surgeon's numbers, the comparison, the referral, red flags.
Every threshold is a field of extract.settings.AnalyzerSettings.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from extract.asking import LOOK_ALIKE, Asking, Target, find_askings, split_run_ons
from extract.findings import ArtifactFinding, Asked, Findings, QuestionFinding, Span
from extract.items import ItemJudge
from extract.lexicon import Terms, words
from extract.negation import QUANTITIES, asserted, refuses_to_quantify
from extract.questionset import Artifact, Question, QuestionSet
from extract.replies import Replies, Reply
from extract.requirements import About, Evidence, judge
from extract.sentences import Sentence, split_sentences
from extract.settings import DEFAULT_SETTINGS, AnalyzerSettings
from extract.transcript import Transcript, clock
from extract.turns import PATIENT, PRACTICE, infer_patient_turns, sides

STATUS_RANK = {"answered": 3, "partial": 2, "unanswered": 1, "not_asked": 0}


@dataclass(frozen=True)
class Compiled:
    """A question set compiled once for matching: word lists as Terms, targets."""

    question_set: QuestionSet
    targets: tuple[Target, ...]
    evidence: Evidence
    deflections: Terms
    # The deflections that refuse more than a number: hedges ("it varies") and dismissals
    # ("those don't work"). Beside a refusal of the number alone ("I don't have good numbers
    # on those"), treatments the reply names still make it partial (questions.md).
    beyond_numbers: Terms
    about: dict[str, About]


_COMPILED: dict[int, Compiled] = {}


def compile_question_set(question_set: QuestionSet) -> Compiled:
    """The compiled form, made once per question set object (the live checklist
    re-analyses the visit every few seconds with the same set)."""
    cached = _COMPILED.get(id(question_set))
    if cached is not None and cached.question_set is question_set:
        return cached
    targets = [Target(q.id, tuple(dict.fromkeys((q.text.lower(), *q.paraphrases))),
                      tuple(Terms(group) for group in q.concepts), Terms(()))
               for q in question_set.questions]
    targets += [Target(i.id, i.asked, tuple(Terms(group) for group in i.concepts),
                       Terms(i.agree + i.refuse), question=False)
                for i in question_set.items if i.asked]
    if question_set.look_alikes:
        targets.append(Target(LOOK_ALIKE, question_set.look_alikes, (), Terms(())))
    other = Terms(question_set.evidence.get("other_subjects", ()))
    dismissal = question_set.red_flag("dismissal")
    deflections = question_set.deflections + (dismissal.phrases if dismissal else ())
    compiled = Compiled(
        question_set=question_set, targets=tuple(targets),
        evidence=Evidence(question_set.evidence),
        deflections=Terms(deflections),
        beyond_numbers=Terms([d for d in deflections if not QUANTITIES & set(words(d))]),
        about={q.id: About(topic=Terms([w for group in q.concepts for w in group]),
                           subject=Terms(q.concepts[-1] if q.concepts else ()), other=other)
               for q in question_set.questions})
    _COMPILED[id(question_set)] = compiled
    return compiled


def _as_said(fact: str, said: str) -> str:
    """A fact as the reply said it: an entry matched by its start ("herniat*") is shown as
    the word the surgeon used ("herniated"), never with the question set's wildcard."""
    if not fact.endswith("*"):
        return fact
    stem = fact.rstrip("*")
    found = re.search(rf"\b{re.escape(stem)}\w*", said, flags=re.IGNORECASE)
    return found.group(0).lower() if found else stem


def _span(sentences) -> Span:
    return Span(start=round(sentences[0].start, 2), end=round(sentences[-1].end, 2),
                text=" ".join(s.text for s in sentences))


class _Analysis:
    def __init__(self, sentences: tuple[Sentence, ...], compiled: Compiled,
                 settings: AnalyzerSettings, embedder, cue_turns: bool):
        sentences = split_run_ons(sentences, list(compiled.targets))
        self.sentences = sentences
        self.compiled = compiled
        self.qs = compiled.question_set
        self.settings = settings
        labels = [s.speaker for s in sentences]
        self.labelled = any(label is not None for label in labels)
        side_by_label = sides(labels, Counter())
        side = [side_by_label.get(label) for label in labels]
        askings = find_askings(sentences, side, list(compiled.targets), settings, embedder,
                               cue_turns)
        if self.labelled and any(label not in side_by_label for label in labels if label):
            # Labels that name no side ("Speaker 1"): the one who asks is the patient's. The
            # prepared questions say who that is; the items (a companion asking for the
            # surgeon's numbers, the cost, a referral) only when no question was found.
            questions = {q.id for q in self.qs.questions}
            askers = (Counter(sentences[a.first].speaker for key, found in askings.items()
                              if key in questions for a in found)
                      or Counter(sentences[a.first].speaker for found in askings.values()
                                 for a in found))
            side_by_label = sides(labels, askers)
            side = [side_by_label.get(label) for label in labels]
            askings = find_askings(sentences, side, list(compiled.targets), settings, embedder,
                                   cue_turns)
        self.cue_turns = cue_turns
        if not self.labelled and cue_turns:
            asking_turns = {sentences[i].turn for found in askings.values() for a in found
                            for i in range(a.first, a.last + 1)}
            texts: dict[int, str] = {}
            for sentence in sentences:
                texts[sentence.turn] = f"{texts.get(sentence.turn, '')} {sentence.norm}"
            patient = infer_patient_turns(texts, asking_turns)
            side = [PATIENT if s.turn in patient else None for s in sentences]
        self.side = side
        self.askings = askings
        questions = [t for t in compiled.targets
                     if t.id in {q.id for q in self.qs.questions}]
        items = [t for t in compiled.targets if t.id in {i.id for i in self.qs.items}]
        self.replies = Replies(sentences, side, askings, questions, settings, embedder,
                               labelled=self.labelled, cue_turns=cue_turns, items=items)
        self.items = ItemJudge(self)

    def question(self, question: Question) -> QuestionFinding:
        candidates = [self._judge(question, asking) for asking in self.askings[question.id]]
        if not candidates:
            return QuestionFinding(
                id=question.id, text=question.text, status="not_asked", asked=None, answer=None,
                evidence="No sentence in the transcript asks this question or a paraphrase of it.")
        return max(candidates, key=lambda f: STATUS_RANK[f.status])

    def _deflects(self, sentence: Sentence) -> str | None:
        return (asserted(self.compiled.deflections, sentence.norm)
                or refuses_to_quantify(sentence.norm))

    def _verdict(self, question: Question, sentences: tuple[Sentence, ...]):
        about = self.compiled.about[question.id]
        deflection = next((d for s in sentences if (d := self._deflects(s))), None)
        verdict = judge(question.requires, [s.norm for s in sentences], self.compiled.evidence,
                        replace(about, deflected=deflection is not None,
                                topic_carry=self.settings.topic_carry_sentences))
        return verdict, deflection

    def _named_then_refused(self, question: Question, sentences: tuple[Sentence, ...]):
        """What a reply named before it refused the numbers for it ("PRP is one people try,
        and core work, but I don't have good numbers on those"): on topic without them.
        Nothing when the reply also hedges or dismisses ("those don't work"), or names
        things only after the refusal (in reply to something else)."""
        if any(asserted(self.compiled.beyond_numbers, s.norm) for s in sentences):
            return ()
        first = next(n for n, s in enumerate(sentences) if self._deflects(s))
        return self._verdict(question, sentences[:first + 1])[0].named

    def _judge(self, question: Question, asking: Asking) -> QuestionFinding:
        asked_sentences = self.sentences[asking.first:asking.last + 1]
        reply: Reply = self.replies.reply(asking)
        asked = Asked(start=round(asked_sentences[0].start, 2),
                      end=round(asked_sentences[-1].end, 2),
                      text=" ".join(s.text for s in asked_sentences), score=asking.score,
                      matched=asking.matched)
        base = dict(id=question.id, text=question.text, asked=asked)
        sentences = reply.sentences
        verdict, deflection = self._verdict(question, sentences) if sentences else (None, None)
        confidence = reply.confidence
        if verdict is None or not verdict.met:
            window_end = (max(s.index for s in sentences) + 1 if sentences
                          else asking.last + 1)
            late = self.replies.late(asking, window_end)
            if late:
                late_verdict, _ = self._verdict(question, late)
                if late_verdict.met:
                    sentences = tuple(sorted(set(sentences) | set(late), key=lambda s: s.index))
                    verdict = late_verdict
                    confidence = "low"
        if not sentences:
            return QuestionFinding(**base, status="unanswered", answer=None,
                                   evidence=f"Asked at {clock(asked.start)}, but no reply to it "
                                            "was found.")
        common = dict(**base, answer=_span(sentences), facts=verdict.facts,
                      low_confidence=any(s.low_confidence for s in sentences),
                      answer_confidence=confidence)
        if verdict.met:
            said = " ".join(s.text for s in sentences)
            facts = ", ".join(dict.fromkeys(_as_said(fact, said) for fact in verdict.facts))
            return QuestionFinding(**common, status="answered", evidence="The reply gives what "
                                   f"the question asks for ({facts}).")
        if verdict.bare_decision:
            return QuestionFinding(**common, status="partial",
                                   evidence=f"The reply gave a decision (\"{verdict.facts[0]}\") "
                                            "but no reason for it.")
        named = self._named_then_refused(question, sentences) if deflection else ()
        if named:
            return QuestionFinding(**common, status="partial",
                                   evidence=f"The reply named {', '.join(named)} but gave no "
                                            f"{verdict.missing} (\"{deflection}\").")
        if deflection and verdict.vague:
            return QuestionFinding(**common, status="partial",
                                   evidence=f"The reply gave only \"{verdict.vague[0]}\" and no "
                                            f"{verdict.missing} (\"{deflection}\").")
        if deflection:
            return QuestionFinding(**common, status="unanswered",
                                   evidence=f"The reply deflected (\"{deflection}\") and gave no "
                                            f"{verdict.missing}.")
        if verdict.on_topic:
            return QuestionFinding(**common, status="partial", evidence="The reply was on topic "
                                   f"but gave no {verdict.missing}.")
        return QuestionFinding(**common, status="unanswered", evidence="Nothing in the reply "
                               f"gave {question.answer_must_contain}.")

    def findings(self) -> Findings:
        questions = tuple(self.question(q) for q in self.qs.questions)
        items = tuple(self.items.item(i) for i in self.qs.items)
        numbers = self.items.numbers()
        artifacts = tuple(
            ArtifactFinding(a.id, artifact_present(a, self.qs, questions, items, numbers))
            for a in self.qs.artifacts)
        return Findings(
            question_set=self.qs.name, question_set_file=self.qs.source, questions=questions,
            procedures=self.items.procedures(), numbers=numbers,
            red_flags=self.items.red_flags(items, questions), items=items, artifacts=artifacts,
            verdict=verdict_for(sum(a.present for a in artifacts), self.qs), goal=self.items.goal())


def artifact_present(artifact: Artifact, question_set: QuestionSet, questions, items,
                     numbers) -> bool:
    """Whether the findings meet the artifact's rule (questionset.ARTIFACT_RULES)."""
    if artifact.needs == "all_questions":
        return all(q.status == "answered" for q in questions)
    if artifact.needs in ("critical_questions", "questions"):
        wanted = (set(artifact.ids) if artifact.needs == "questions"
                  else {q.id for q in question_set.questions if q.critical})
        chosen = [q for q in questions if q.id in wanted]
        return bool(chosen) and all(q.status == "answered" for q in chosen)
    if artifact.needs == "item":
        return any(i.id == artifact.ids[0] and i.outcome in artifact.outcomes for i in items)
    said = {n.id for n in numbers if n.value is not None}
    return set(artifact.ids) <= said


def verdict_for(count: int, question_set: QuestionSet) -> str:
    """The first of the set's verdicts whose `at_least` the artifacts in hand reach."""
    return next(v.id for v in question_set.verdicts if count >= v.at_least)


def analyze_sentences(sentences: tuple[Sentence, ...], question_set: QuestionSet, *,
                      embedder=None, settings: AnalyzerSettings = DEFAULT_SETTINGS,
                      cue_turns: bool = False) -> Findings:
    """The findings for sentences already split (extract.sentences.split_sentences).

    `cue_turns`: each sentence's `turn` is one speaker's turn (a subtitle cue per turn), not
    a stretch between pauses, so the turns can be told apart without speaker labels.
    """
    return _Analysis(sentences, compile_question_set(question_set), settings,
                     embedder, cue_turns).findings()


def analyze(transcript: Transcript, question_set: QuestionSet, nlp, *, embedder=None,
            settings: AnalyzerSettings = DEFAULT_SETTINGS) -> Findings:
    """The findings for one transcript.

    `nlp`: a spaCy pipeline (extract.nlp.load_nlp; a blank one works). `embedder`: a
    sentence embedder (extract.embedding.load_embedder), or None to match by words only.
    """
    cue_turns = bool(transcript.segments) and not any(s.words for s in transcript.segments)
    return analyze_sentences(split_sentences(transcript, nlp, settings.turn_pause_s),
                             question_set, embedder=embedder, settings=settings,
                             cue_turns=cue_turns)


__all__ = ["analyze", "analyze_sentences", "compile_question_set", "verdict_for",
           "STATUS_RANK", "PATIENT", "PRACTICE"]
