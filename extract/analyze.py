"""Transcript + question set -> Findings: which questions were asked, and what was answered.

The rule that shapes every threshold here: the worst error is telling a patient a question
was answered when it was not. So a question is "answered" only when the reply contains what
the question set says an answer must contain; a reply that is on topic but lacks it is
"partial"; a deflection is "unanswered"; and a question never matched is "not asked".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, utils

from extract.findings import (Artifacts, Asked, Findings, ItemFinding, ProcedureFinding,
                              QuestionFinding, RedFlag, Span, SurgeonNumbers)
from extract.normalize import normalize, numbers, percentages, proportions
from extract.questionset import Item, Question, QuestionSet
from extract.sentences import Sentence, split_sentences
from recorder.transcript import Transcript, clock

# rapidfuzz scores are 0-100. Tuned on the sample visit and tests/corpus.
VERBATIM_CUTOFF = 78  # token_sort_ratio to a question's wording: read (nearly) verbatim
PARAPHRASE_CUTOFF = 45  # ...enough when every concept of the question is also present
NEAR_CONCEPT_CUTOFF = 62  # ...enough when all but one concept is present
CONCEPT_FUZZY_CUTOFF = 88  # partial_ratio for a concept word garbled by the recogniser
CONCEPT_FUZZY_MIN_CHARS = 7  # shorter words must appear exactly ("mri", "prp")
PHRASE_CUTOFF = 90  # partial_ratio for a deflection, red-flag or agreement phrase
ALIAS_FUZZY_MIN_CHARS = 10  # procedure aliases this long may match fuzzily
ANSWER_MAX_S = 90.0  # an answer is looked for up to this long after the question
ANSWER_MAX_SENTENCES = 10
STATUS_RANK = {"answered": 3, "partial": 2, "unanswered": 1, "not_asked": 0}
_QUESTION_START = re.compile(
    r"^(?:\w+,\s*)?(what|which|how|have|has|do|does|did|is|are|am|can|could|would|will|should|"
    r"if|when|where|why|who|i'd like to know|i want to know|tell me)\b")


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None


def _fuzzy_in(phrase: str, text: str, cutoff: float, min_chars: int) -> bool:
    """`phrase` appears in `text` exactly, or nearly (recogniser errors) when long enough.

    partial_ratio slides the shorter string along the longer, so a text shorter than the
    phrase ("No.") would match any phrase containing it: only look inside longer texts.
    """
    if _contains(text, phrase):
        return True
    return (min_chars <= len(phrase) <= len(text)
            and fuzz.partial_ratio(phrase, text, processor=utils.default_process,
                                   score_cutoff=cutoff) > 0)


def _has_phrase(text: str, phrases: tuple[str, ...]) -> str | None:
    """The first phrase found in text, exactly or (for longer phrases) nearly."""
    return next((p for p in phrases
                 if _fuzzy_in(p, text, PHRASE_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)), None)


def _concepts_hit(text: str, concepts: tuple[tuple[str, ...], ...]) -> int:
    return sum(any(_fuzzy_in(word, text, CONCEPT_FUZZY_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)
                   for word in group) for group in concepts)


def _looks_like_question(text: str) -> bool:
    return text.rstrip().endswith("?") or _QUESTION_START.match(text) is not None


@dataclass(frozen=True)
class _Asking:
    """One place where a question or item was asked: sentences first..last."""

    target: str  # question or item id
    first: int
    last: int
    score: float
    matched: str


def _ask_score(text: str, forms: tuple[str, ...], concepts: tuple[tuple[str, ...], ...],
               ) -> tuple[float, str] | None:
    """How well `text` asks a question with these wordings and concepts; None if it does not."""
    best_score, best_form = 0.0, ""
    for form in forms:
        score = fuzz.token_sort_ratio(text, form, processor=utils.default_process)
        if score > best_score:
            best_score, best_form = score, form
    if best_score >= VERBATIM_CUTOFF:
        return best_score, best_form
    if not concepts or not _looks_like_question(text):
        return None
    hits = _concepts_hit(text, concepts)
    if hits == len(concepts) and best_score >= PARAPHRASE_CUTOFF:
        return best_score, best_form
    if len(concepts) >= 3 and hits == len(concepts) - 1 and best_score >= NEAR_CONCEPT_CUTOFF:
        return best_score, best_form
    return None


FRAGMENT_MAX_WORDS = 6  # a "sentence" this short is likely a piece cut off a longer one


def _is_fragment(text: str) -> bool:
    return len(text.split()) <= FRAGMENT_MAX_WORDS or not text.rstrip().endswith((".", "?", "!"))


def _find_askings(sentences: tuple[Sentence, ...], target: str, forms: tuple[str, ...],
                  concepts: tuple[tuple[str, ...], ...]) -> list[_Asking]:
    found: list[_Asking] = []
    index = 0
    while index < len(sentences):
        single = _ask_score(sentences[index].norm, forms, concepts)
        if single:
            found.append(_Asking(target, index, index, *single))
            index += 1
            continue
        # A question the recogniser cut in two: only when the first half is a fragment and
        # neither half asks it alone.
        if (index + 1 < len(sentences) and _is_fragment(sentences[index].norm)
                and not _ask_score(sentences[index + 1].norm, forms, concepts)):
            pair = _ask_score(f"{sentences[index].norm} {sentences[index + 1].norm}", forms,
                              concepts)
            if pair:
                found.append(_Asking(target, index, index + 1, *pair))
                index += 2
                continue
        index += 1
    return found


# --- What an answer contains ----------------------------------------------------------

@dataclass(frozen=True)
class _Judgement:
    met: bool  # the reply contains what the question asks for
    on_topic: bool  # the reply is about the question, whether or not it is complete
    facts: tuple[str, ...]
    missing: str  # what is missing, when not met


def _found(text: str, words: tuple[str, ...]) -> list[str]:
    return [word for word in words if word.strip() and word.strip() in text]


def judge(requirement: str, text: str, evidence: dict[str, tuple[str, ...]]) -> _Judgement:
    """Whether normalised answer text meets a requirement of the question set."""
    levels = re.findall(r"\b[lstc]\d{1,2}-[lst]\d{1,2}\b", text)
    props = proportions(text)
    vague = _found(text, evidence.get("vague_quantities", ()))
    if requirement == "structure":
        facts = levels + _found(text, evidence.get("structure", ()))
        return _Judgement(bool(facts), bool(facts), tuple(facts), "specific structure")
    if requirement == "proportion":
        return _Judgement(bool(props), bool(props or vague), tuple(props),
                          "percentage or proportion")
    if requirement == "candidacy_with_reason":
        candidacy = _found(text, evidence.get("candidacy", ()))
        reasons = _found(text, evidence.get("reason", ()))
        return _Judgement(bool(candidacy and reasons), bool(candidacy),
                          tuple(candidacy + reasons), "reason for the candidacy decision"
                          if candidacy else "yes or no on candidacy")
    if requirement == "treatments_with_rates":
        treatments = _found(text, evidence.get("treatments", ()))
        rates = [f"{value:g}%" for value in percentages(text)]
        return _Judgement(bool(treatments and rates), bool(treatments or rates),
                          tuple(treatments + rates),
                          "success rates" if treatments else "named treatments")
    if requirement == "quantified_risk":
        risk = _found(text, evidence.get("risk_words", ()))
        quantities = props or ([f"{n:g}" for n in numbers(text)] if risk else [])
        return _Judgement(bool(quantities), bool(risk or vague), tuple(quantities + risk),
                          "number for the risk")
    if requirement == "number":
        found = [f"{n:g}" for n in numbers(text)]
        return _Judgement(bool(found), True, tuple(found), "number")
    return _Judgement(bool(text.strip()), bool(text.strip()), (), "answer")


# --- Questions ------------------------------------------------------------------------

def _answer_sentences(sentences: tuple[Sentence, ...], asking: _Asking,
                      boundaries: list[int]) -> tuple[Sentence, ...]:
    """The reply: the sentences after the question, up to the next question or topic."""
    stop = next((b for b in boundaries if b > asking.last), len(sentences))
    asked_end = sentences[asking.last].end
    reply = [s for s in sentences[asking.last + 1:stop] if s.start - asked_end <= ANSWER_MAX_S]
    return tuple(reply[:ANSWER_MAX_SENTENCES])


def _span(sentences: tuple[Sentence, ...]) -> Span:
    return Span(start=round(sentences[0].start, 2), end=round(sentences[-1].end, 2),
                text=" ".join(s.text for s in sentences))


def _judge_question(question: Question, asking: _Asking, sentences: tuple[Sentence, ...],
                    boundaries: list[int], question_set: QuestionSet) -> QuestionFinding:
    asked_sentences = sentences[asking.first:asking.last + 1]
    reply = _answer_sentences(sentences, asking, boundaries)
    asked = Asked(start=round(asked_sentences[0].start, 2), end=round(asked_sentences[-1].end, 2),
                  text=" ".join(s.text for s in asked_sentences), score=round(asking.score, 1),
                  matched=asking.matched)
    base = dict(id=question.id, text=question.text, asked=asked)
    when = clock(asked.start)
    if not reply:
        return QuestionFinding(**base, status="unanswered", answer=None,
                               evidence=f"Asked at {when}, but the next question followed "
                                        "before any reply.")
    answer = _span(reply)
    text = " ".join(s.norm for s in reply)
    verdict = judge(question.requires, text, question_set.evidence)
    deflection = _has_phrase(text, question_set.deflections)
    low = any(s.low_confidence for s in reply)
    common = dict(**base, answer=answer, facts=verdict.facts, low_confidence=low)
    if verdict.met:
        facts = ", ".join(dict.fromkeys(verdict.facts))
        return QuestionFinding(**common, status="answered",
                               evidence=f"The reply gives what the question asks for ({facts}).")
    if deflection:
        return QuestionFinding(**common, status="unanswered",
                               evidence=f"The reply deflected (\"{deflection}\") and gave no "
                                        f"{verdict.missing}.")
    if verdict.on_topic:
        return QuestionFinding(**common, status="partial",
                               evidence=f"The reply was on topic but gave no {verdict.missing}.")
    return QuestionFinding(**common, status="unanswered",
                           evidence=f"Nothing in the reply gave {question.answer_must_contain}.")


# --- Items, numbers, procedures, red flags --------------------------------------------

def _item_outcome(item: Item, askings: list[_Asking], sentences: tuple[Sentence, ...],
                  boundaries: list[int]) -> ItemFinding:
    asked = _span(sentences[askings[0].first:askings[0].last + 1]) if askings else None
    replies = [s for a in askings for s in _answer_sentences(sentences, a, boundaries)]
    if item.id == "referral":
        # A referral offered at any point counts, asked for or not.
        replies += [s for s in sentences if _has_phrase(s.norm, item.agree) and s not in replies]
    for sentence in replies:
        if _has_phrase(sentence.norm, item.refuse):
            return ItemFinding(item.id, "refused", asked, _span((sentence,)))
    for sentence in replies:
        if not _has_phrase(sentence.norm, item.agree):
            continue
        if item.counts and not _has_phrase(sentence.norm, item.counts):
            if _has_phrase(sentence.norm, item.not_counts):
                return ItemFinding(item.id, "other_surgeon", asked, _span((sentence,)))
            continue
        return ItemFinding(item.id, "agreed", asked, _span((sentence,)))
    if replies:
        return ItemFinding(item.id, "said", asked, _span(tuple(replies[:3])))
    return ItemFinding(item.id, "not_discussed", asked, None)


_NOT_FUSED = ("not having", "don't end up", "do not end up", "end up not", "never have",
              "never get", "avoid surgery", "avoid fusion", "decide against", "choose not",
              "not fused", "without fusion", "don't need surgery", "don't need fusion")


def surgeon_numbers(sentences: tuple[Sentence, ...]) -> SurgeonNumbers:
    fusions = revision = not_fused = None
    quotes: list[Span] = []
    for sentence in sentences:
        text = sentence.norm
        plain = [n for n in numbers(text) if f"{n:g}%" not in text]
        if fusions is None and "fusion" in text and re.search(r"\b(year|annually)\b", text):
            counts = [n for n in plain if n >= 1 and n != 5]  # "5 years" is not a count
            if counts:
                fusions = int(counts[0])
                quotes.append(_span((sentence,)))
        if revision is None and "revision" in text and percentages(text):
            revision = percentages(text)[0]
            quotes.append(_span((sentence,)))
        if not_fused is None and percentages(text) and any(p in text for p in _NOT_FUSED):
            not_fused = percentages(text)[0]
            quotes.append(_span((sentence,)))
    return SurgeonNumbers(fusions_per_year=fusions, revision_rate_5yr_pct=revision,
                          pct_not_fused=not_fused, quotes=tuple(quotes))


def _procedure_mentions(sentences: tuple[Sentence, ...], question_set: QuestionSet,
                        ) -> tuple[ProcedureFinding, ...]:
    findings = []
    for procedure in question_set.procedures:
        mentions = []
        for sentence in sentences:
            if _has_phrase(sentence.norm, procedure.not_this):
                continue
            if any(_fuzzy_in(alias, sentence.norm, PHRASE_CUTOFF, ALIAS_FUZZY_MIN_CHARS)
                   for alias in procedure.aliases):
                mentions.append(_span((sentence,)))
        findings.append(ProcedureFinding(procedure.id, procedure.name, bool(mentions),
                                         tuple(mentions)))
    return tuple(findings)


def _red_flags(sentences: tuple[Sentence, ...], question_set: QuestionSet,
               items: tuple[ItemFinding, ...]) -> tuple[RedFlag, ...]:
    flags: list[RedFlag] = []
    reasons = question_set.evidence.get("reason", ())
    for rule in question_set.red_flags:
        for position, sentence in enumerate(sentences):
            if not rule.phrases or not _has_phrase(sentence.norm, rule.phrases):
                continue
            if rule.kind == "not_candidate_no_reason":
                following = " ".join(s.norm for s in sentences[position:position + 2])
                if _found(following, reasons):
                    continue
            flags.append(RedFlag(rule.kind, round(sentence.start, 2), round(sentence.end, 2),
                                 sentence.text, rule.why))
    for item, kind in (("comparison", "refused_comparison"), ("referral", "refused_referral")):
        finding = next((i for i in items if i.id == item), None)
        rule = question_set.red_flag(kind)
        if finding and finding.outcome == "refused" and finding.quote:
            flags.append(RedFlag(kind, finding.quote.start, finding.quote.end, finding.quote.text,
                                 rule.why if rule else ""))
    return tuple(sorted(flags, key=lambda f: f.start))


def verdict_for(artifacts: Artifacts) -> str:
    if artifacts.count == 5:
        return "equipped"
    return "partial" if artifacts.count >= 3 else "second_consultation_warranted"


# --- The whole analysis ---------------------------------------------------------------

def analyze_sentences(sentences: tuple[Sentence, ...], question_set: QuestionSet) -> Findings:
    question_askings = {
        q.id: _find_askings(sentences, q.id, (normalize(q.text), *q.paraphrases), q.concepts)
        for q in question_set.questions}
    item_askings = {i.id: _find_askings(sentences, i.id, i.asked, i.concepts)
                    for i in question_set.items}
    boundaries = sorted({a.first for found in (*question_askings.values(), *item_askings.values())
                         for a in found})
    questions = []
    for question in question_set.questions:
        candidates = [
            _judge_question(question, asking, sentences, boundaries, question_set)
            for asking in question_askings[question.id]]
        if not candidates:
            questions.append(QuestionFinding(
                id=question.id, text=question.text, status="not_asked", asked=None, answer=None,
                evidence="No sentence in the transcript asks this question or a paraphrase of it."))
            continue
        # Asked more than once: one question, judged by its best reply.
        questions.append(max(candidates, key=lambda f: STATUS_RANK[f.status]))
    items = tuple(_item_outcome(item, item_askings[item.id], sentences, boundaries)
                  for item in question_set.items)
    numbers_said = surgeon_numbers(sentences)
    item = {i.id: i for i in items}
    critical = [q for q in questions if any(c.critical and c.id == q.id
                                            for c in question_set.questions)]
    artifacts = Artifacts(
        written_comparison=item.get("comparison") is not None
        and item["comparison"].outcome == "agreed",
        five_answers=all(q.status == "answered" for q in questions),
        volume_and_revision=numbers_said.fusions_per_year is not None
        and numbers_said.revision_rate_5yr_pct is not None,
        referral=item.get("referral") is not None and item["referral"].outcome == "agreed",
        delay_risk_understood=bool(critical) and all(q.status == "answered" for q in critical),
    )
    goal = next((s for s in sentences if _has_phrase(s.norm, question_set.goal_phrases)), None)
    return Findings(
        question_set=question_set.name, questions=tuple(questions),
        procedures=_procedure_mentions(sentences, question_set),
        surgeon_numbers=numbers_said, red_flags=_red_flags(sentences, question_set, items),
        items=items, artifacts=artifacts, verdict=verdict_for(artifacts),
        goal=_span((goal,)) if goal else None)


def analyze(transcript: Transcript, question_set: QuestionSet, nlp) -> Findings:
    """The findings for one transcript; `nlp` is a spaCy pipeline from extract.nlp.load_nlp."""
    return analyze_sentences(split_sentences(transcript, nlp), question_set)
