"""Transcript + question set -> Findings: which questions were asked, and what was answered.

The rule that shapes every threshold here: the worst error is telling a patient a question
was answered when it was not. So a question is "answered" only when the reply contains what
the question set says an answer must contain; a reply that is on topic but lacks it is
"partial"; a deflection (or a bare "not a candidate") is "unanswered"; and a question never
matched is "not asked". Every threshold was tuned on tests/corpus (benchmarks/extract.py).

A transcript has no speaker labels, so who said what is inferred from what it does give:
pauses (a silence of sentences.TURN_PAUSE_S or more is a possible change of speaker),
question form, and which words come from the question set. How sure that inference is goes
into each finding's `answer_confidence`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from extract.findings import (
    Artifacts,
    Asked,
    Findings,
    ItemFinding,
    ProcedureFinding,
    QuestionFinding,
    RedFlag,
    Span,
    SurgeonNumbers,
)
from extract.normalize import normalize, numbers, percentages, proportions
from extract.questionset import Item, Question, QuestionSet
from extract.sentences import TURN_PAUSE_S, Sentence, plain, split_sentences
from extract.transcript import Transcript, clock

# rapidfuzz scores are 0-100.
VERBATIM_CUTOFF = 78  # token_sort_ratio to a wording: read (nearly) verbatim, question or not
PARAPHRASE_CUTOFF = 45  # ...enough for a question-shaped sentence with every concept present
NEAR_CONCEPT_CUTOFF = 62  # ...enough when all but one of three or more concepts is present
CONCEPT_FUZZY_CUTOFF = 88  # ratio to a run of whole words, for a concept word garbled by the
#                           recogniser
CONCEPT_FUZZY_MIN_CHARS = 7  # shorter words must appear exactly ("mri", "prp")
PHRASE_CUTOFF = 90  # the same, for a deflection, red-flag, agreement or alias phrase
ALIAS_FUZZY_MIN_CHARS = 10  # procedure aliases this long may match fuzzily
PREFIX_CHARS = 4  # fuzzy matching is tried only where half a phrase's words start alike:
#                   recognisers garble word endings ("fiber" for "fibrin") far more than starts
FRAGMENT_MAX_WORDS = 6  # a "sentence" this short is likely a piece cut off a longer one
PRONOUN_QUESTION_MAX_WORDS = 8  # "Would that work for me?" leans on the sentence before it
CHAIN_MAX_GAP_S = 2.0  # questions read one after another in one go, answered together; a
#                      question left unanswered is followed by a longer wait than this
ANSWER_MAX_S = 90.0  # an answer is looked for up to this long after the question
ANSWER_MAX_SENTENCES = 10
RUN_ON_MIN_WORDS = 16  # a "sentence" this long may be a question and its reply run together
#                      (a recogniser that wrote no punctuation, and no pause between turns)
RUN_ON_CUTOFF = 90  # partial_ratio of a question's wording inside such a run-on sentence
RUN_ON_MIN_FORM_WORDS = 5  # only wordings this long are specific enough to cut a sentence at
RUN_ON_MIN_PIECE_WORDS = 3  # what is left either side must be this long to stand alone
ANSWER_LEAD_SENTENCES = 2  # a number in the reply's first statements answers the question;
#                            later, only in a sentence on the question's topic
SHORT_REPLY_WORDS = 2  # "No." "Yes, once." (no number): a back-and-forth, not a statement
OBJECT_WORDS = 3  # "a candidate for <up to 3 words>": what the candidacy is for
REASON_WINDOW_SENTENCES = 2  # a reason for "not a candidate" may come in the next sentence
STATUS_RANK = {"answered": 3, "partial": 2, "unanswered": 1, "not_asked": 0}
_QUESTION_START = re.compile(
    r"^(?:\w+,\s*)?(what|which|how|have|has|do|does|did|is|are|am|can|could|would|will|should|"
    r"if|when|where|why|who|i'd like to know|i want to know|tell me)\b")
# Words with which an answer says it belongs to an earlier question, after the next one.
BACK_REFERENCES = ("going back to", "back to your", "your first question", "your earlier question",
                   "your other question", "you asked earlier", "as for your", "to answer your")
_PRONOUN = re.compile(r"\b(that|this|it|those|these|them)\b")


@lru_cache(maxsize=4096)
def _word_starts(flat: str) -> frozenset[str]:
    return frozenset(word[:PREFIX_CHARS] for word in flat.split())


class Phrases:
    """Phrases found in a sentence exactly, or nearly (recogniser errors) when long enough.

    Compiled once: one regular expression for the exact matches, and per long phrase the
    word starts that must be present before the (costlier) fuzzy comparison is tried. The
    fuzzy comparison is made against runs of whole words of about the phrase's length, so a
    phrase never matches part of a longer word ("physiotherapy" is not "physiotherapist").
    """

    def __init__(self, phrases: tuple[str, ...], cutoff: float, min_chars: int):
        self.phrases = tuple(p for p in phrases if p.strip())
        alternatives = "|".join(re.escape(p) for p in sorted(self.phrases, key=len, reverse=True))
        self._exact = (re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")
                       if self.phrases else None)
        self._cutoff = cutoff
        self._fuzzy = []
        for phrase in self.phrases:
            if len(phrase) < min_chars:
                continue
            starts = {w[:PREFIX_CHARS] for w in plain(phrase).split() if len(w) >= PREFIX_CHARS}
            self._fuzzy.append((phrase, plain(phrase), starts, (len(starts) + 1) // 2))

    def first(self, sentence: Sentence | str) -> str | None:
        """The first phrase found (exactly first, then nearly), or None."""
        if self._exact is None:
            return None
        norm, flat = ((sentence.norm, sentence.plain) if isinstance(sentence, Sentence)
                      else (sentence, plain(sentence)))
        found = self._exact.search(norm)
        if found:
            return found.group(0)
        prefixes = _word_starts(flat)
        for phrase, flat_phrase, starts, needed in self._fuzzy:
            if len(flat_phrase) > len(flat) or len(starts & prefixes) < needed:
                continue
            words = flat.split()
            length = flat_phrase.count(" ") + 1
            runs = [" ".join(words[i:i + n]) for n in (length - 1, length, length + 1) if n > 0
                    for i in range(len(words) - n + 1)]
            if process.extractOne(flat_phrase, runs, scorer=fuzz.ratio, processor=None,
                                  score_cutoff=self._cutoff):
                return phrase
        return None


def _found(text: str, words: tuple[str, ...]) -> list[str]:
    return [word for word in words if word.strip() and word.strip() in text]


def _looks_like_question(text: str) -> bool:
    return text.rstrip().endswith("?") or _QUESTION_START.match(text) is not None


# --- Finding where a question (or item) is asked ---------------------------------------

@dataclass(frozen=True)
class _Asking:
    """One place where a question or item was asked: sentences first..last."""

    target: str  # question or item id
    first: int
    last: int
    score: float
    matched: str


class _Target:
    """One question or item as the matcher sees it: its wordings and concept groups."""

    def __init__(self, target: str, forms: tuple[str, ...],
                 concepts: tuple[tuple[str, ...], ...], replies: tuple[str, ...] = ()):
        self.id = target
        # An item's agreeing or refusing words mark a reply, never an asking: "You don't
        # need a second opinion" is close in wording to "a referral for a second opinion".
        self.replies = Phrases(replies, PHRASE_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)
        self.forms = tuple(dict.fromkeys(forms))
        self.flat_forms = [plain(f) for f in self.forms]
        self.concepts = tuple(Phrases(group, CONCEPT_FUZZY_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)
                              for group in concepts)

    def score(self, sentence: Sentence | str, best: tuple[float, str]) -> tuple[float, str] | None:
        """How well a sentence asks this target, given its best wording score; None if not."""
        text = sentence.norm if isinstance(sentence, Sentence) else sentence
        if best[0] < VERBATIM_CUTOFF and not self._asks_by_concepts(sentence, text, best[0]):
            return None
        if not text.endswith("?") and self.replies.first(sentence):
            return None
        return best

    def _asks_by_concepts(self, sentence: Sentence | str, text: str, score: float) -> bool:
        if not self.concepts or score < PARAPHRASE_CUTOFF or not _looks_like_question(text):
            return False
        hits = sum(group.first(sentence) is not None for group in self.concepts)
        needed = len(self.concepts)
        return hits == needed or (needed >= 3 and hits == needed - 1
                                  and score >= NEAR_CONCEPT_CUTOFF)

    def best_form(self, text: str) -> tuple[float, str]:
        found = process.extractOne(plain(text), self.flat_forms, scorer=fuzz.token_sort_ratio,
                                   processor=None, score_cutoff=0)
        return (found[1], self.forms[found[2]]) if found else (0.0, "")


def _is_fragment(text: str) -> bool:
    return len(text.split()) <= FRAGMENT_MAX_WORDS or not text.rstrip().endswith((".", "?", "!"))


def _leans_on_previous(text: str) -> bool:
    """A short question that needs the sentence before it: "Would that work for me?"."""
    return (text.rstrip().endswith("?") and len(text.split()) <= PRONOUN_QUESTION_MAX_WORDS
            and _PRONOUN.search(text) is not None)


class _Askings:
    """Every asking of every target, scored against all sentences at once."""

    def __init__(self, sentences: tuple[Sentence, ...], targets: list[_Target]):
        self.sentences = sentences
        flats = [s.plain for s in sentences]
        self.found: dict[str, list[_Asking]] = {}
        for target in targets:
            scores = (process.cdist(flats, target.flat_forms, scorer=fuzz.token_sort_ratio,
                                    processor=None, score_cutoff=PARAPHRASE_CUTOFF, workers=1)
                      if flats and target.flat_forms else np.zeros((len(flats), 0)))
            self.found[target.id] = self._find(target, scores)

    def _find(self, target: _Target, scores) -> list[_Asking]:
        sentences = self.sentences
        found: list[_Asking] = []
        index = 0
        while index < len(sentences):
            single = self._score_one(target, scores, index)
            if single:
                found.append(_Asking(target.id, index, index, *single))
                index += 1
                continue
            pair = self._score_pair(target, scores, index)
            if pair:
                found.append(_Asking(target.id, index, index + 1, *pair))
                index += 2
                continue
            index += 1
        return found

    def _score_one(self, target: _Target, scores, index: int) -> tuple[float, str] | None:
        row = scores[index]
        if not len(row) or row.max() <= 0:
            return None
        best = int(row.argmax())
        return target.score(self.sentences[index], (float(row[best]), target.forms[best]))

    def _score_pair(self, target: _Target, scores, index: int) -> tuple[float, str] | None:
        """A question the recogniser cut in two, or a short question leaning on the sentence
        before it; only when neither half asks it alone."""
        sentences = self.sentences
        if index + 1 >= len(sentences):
            return None
        first, second = sentences[index], sentences[index + 1]
        halves_alike = scores[index].max(initial=0) > 0 or scores[index + 1].max(initial=0) > 0
        cut_question = _is_fragment(first.norm) or _leans_on_previous(second.norm)
        if not (halves_alike or cut_question) or self._score_one(target, scores, index + 1):
            return None
        joined = f"{first.norm} {second.norm}"
        best = target.best_form(joined)
        if best[0] >= VERBATIM_CUTOFF:
            return best  # read verbatim; the recogniser put a "?" or "." in the middle
        if second.pause_before >= TURN_PAUSE_S and not _is_fragment(first.norm):
            return None  # two turns, not one question cut in two
        if not cut_question:
            return None
        return target.score(joined, best)


def _words_before(words: list[str], char: int) -> int:
    """How many of `words` come before character `char` of their normalised, plain form."""
    for count in range(len(words) + 1):
        if len(plain(normalize(" ".join(words[:count + 1])))) > char:
            return count
    return len(words)


def _cut_run_on(sentence: Sentence, forms: list[str]) -> list[Sentence] | None:
    """A long sentence holding a question's wording and other words: cut around the wording."""
    words = sentence.text.split()
    if len(words) < RUN_ON_MIN_WORDS:
        return None
    best = process.extractOne(sentence.plain, forms, scorer=fuzz.partial_ratio, processor=None,
                              score_cutoff=RUN_ON_CUTOFF)
    if best is None:
        return None
    where = fuzz.partial_ratio_alignment(best[0], sentence.plain, processor=None)
    first = _words_before(words, where.dest_start)
    last = max(first + 1, _words_before(words, max(where.dest_start, where.dest_end - 1)) + 1)
    if first < RUN_ON_MIN_PIECE_WORDS:
        first = 0
    if len(words) - last < RUN_ON_MIN_PIECE_WORDS:
        last = len(words)
    if first == 0 and last == len(words):
        return None
    step = (sentence.end - sentence.start) / len(words)
    pieces = []
    for begin, end in ((0, first), (first, last), (last, len(words))):
        if begin == end:
            continue
        text = " ".join(words[begin:end])
        norm = normalize(text)
        pieces.append(replace(sentence, start=round(sentence.start + begin * step, 2),
                              end=round(sentence.start + end * step, 2), text=text, norm=norm,
                              plain=plain(norm),
                              pause_before=sentence.pause_before if begin == 0 else 0.0))
    return pieces


def _split_run_ons(sentences: tuple[Sentence, ...], targets: list[_Target],
                   ) -> tuple[Sentence, ...]:
    """Sentences with every question the recogniser ran into its neighbours cut out."""
    forms = [flat for t in targets for flat in t.flat_forms
             if len(flat.split()) >= RUN_ON_MIN_FORM_WORDS]
    result: list[Sentence] = []
    queue = list(sentences)
    while queue:
        sentence = queue.pop(0)
        pieces = _cut_run_on(sentence, forms)
        if pieces is None:
            result.append(sentence)
        else:
            queue[:0] = pieces
    return tuple(replace(s, index=i) for i, s in enumerate(result))


# --- What an answer contains ----------------------------------------------------------

@dataclass(frozen=True)
class _Judgement:
    met: bool  # the reply contains what the question asks for
    on_topic: bool  # the reply is about the question, whether or not it is complete
    facts: tuple[str, ...]
    missing: str  # what is missing, when not met
    bare_decision: bool = False  # a yes/no with no reason: not an answer (questions.md)


@dataclass(frozen=True)
class _About:
    """What a question is about, to tell its numbers from numbers about something else."""

    topic: tuple[str, ...] = ()  # every concept word of the question
    subject: tuple[str, ...] = ()  # its last concept group: the thing asked about
    other: tuple[str, ...] = ()  # evidence.other_subjects: "fusion", "the operation"

    def elsewhere(self, sentence: str) -> bool:
        """The sentence is about something else (the operation), not the thing asked."""
        return bool(_found(sentence, self.other)) and not _found(sentence, self.subject)


def _relevant_numbers(sentences: list[str], about: _About, deflected: bool) -> list[str]:
    """Proportions that answer the question: in the first sentences of the reply (unless it
    deflected), or in a sentence about the question's topic, and never in a sentence about
    something else. A reply that says "I don't have numbers" and then "90% of my fusion
    patients are happy" has not given the proportion asked for, and neither has small talk
    after the reply ("the garage takes 50% off")."""
    found, statements = [], 0
    for sentence in sentences:
        short = len(sentence.split()) <= SHORT_REPLY_WORDS and not re.search(r"\d", sentence)
        if sentence.endswith("?") or short:
            leading = False  # a clarifying question back and its "No." use up no lead
        else:
            statements += 1
            leading = statements <= ANSWER_LEAD_SENTENCES and not deflected
        if (leading or _found(sentence, about.topic)) and not about.elsewhere(sentence):
            found += proportions(sentence)
    return found


def _candidacy_about(text: str, words: tuple[str, ...], topic: tuple[str, ...]) -> list[str]:
    """Candidacy words about the thing asked: "a candidate", "a candidate for that", "a
    candidate for the fibrin injection", but not "a good candidate for fusion"."""
    found = []
    for word in words:
        for match in re.finditer(rf"{re.escape(word)}(?: for ((?:\S+ ?){{1,{OBJECT_WORDS}}}))?",
                                 text):
            about = match.group(1)
            if about is None or _PRONOUN.match(about) or _found(about, topic):
                found.append(word)
                break
    return found


def judge(requirement: str, sentences: list[str], evidence: dict[str, tuple[str, ...]],
          about: _About = _About(), deflected: bool = False) -> _Judgement:
    """Whether a reply (normalised sentences) meets a requirement of the question set.

    `about`: what the question is about. `deflected`: the reply holds a deflection, so
    numbers count only where they are on topic.
    """
    text = " ".join(sentences)
    levels = re.findall(r"\b[lstc]\d{1,2}-[lst]\d{1,2}\b", text)
    vague = _found(text, evidence.get("vague_quantities", ()))
    if requirement == "structure":
        # "Wear and tear" names no structure, though it holds the word "tear".
        vague_structure = _found(text, evidence.get("vague_structure", ()))
        specific = text
        for phrase in vague_structure:
            specific = specific.replace(phrase, " ")
        facts = levels + _found(specific, evidence.get("structure", ()))
        return _Judgement(bool(facts), bool(facts or vague_structure), tuple(facts),
                          "specific structure")
    if requirement == "proportion":
        props = _relevant_numbers(sentences, about, deflected)
        return _Judgement(bool(props), bool(props or vague), tuple(props),
                          "percentage or proportion")
    if requirement == "candidacy_with_reason":
        candidacy = _candidacy_about(text, evidence.get("candidacy", ()), about.subject)
        reasons = _found(text, evidence.get("reason", ()))
        if candidacy and not reasons:
            return _Judgement(False, False, tuple(candidacy), "reason for the candidacy decision",
                              bare_decision=True)
        return _Judgement(bool(candidacy and reasons),
                          bool(candidacy or _found(text, about.subject)),
                          tuple(candidacy + reasons), "yes or no on candidacy with its reason")
    if requirement == "treatments_with_rates":
        words = evidence.get("treatments", ())
        treatments = _found(text, words)
        # A rate counts beside a named treatment (same or previous sentence), and not in a
        # sentence about something else: "fusion succeeds in 85%" is no treatment's rate.
        rates = [rate for position, sentence in enumerate(sentences)
                 if _found(" ".join(sentences[max(0, position - 1):position + 1]), words)
                 and (_found(sentence, words) or not _found(sentence, about.other))
                 for rate in proportions(sentence)]
        return _Judgement(bool(treatments and rates), bool(treatments or proportions(text)),
                          tuple(dict.fromkeys(treatments + rates)),
                          "success rates" if treatments else "named treatments")
    if requirement == "quantified_risk":
        # Only a proportion quantifies a risk: a bare number in a deflection ("you're 52,
        # you don't want to wait") must never make a reply look answered.
        risk = _found(text, evidence.get("risk_words", ()))
        props = _relevant_numbers(
            sentences, replace(about, topic=about.topic + evidence.get("risk_words", ())),
            deflected)
        return _Judgement(bool(props), bool(risk or vague), tuple(props + risk),
                          "number for the risk")
    if requirement == "number":
        found = [f"{n:g}" for n in numbers(text)]
        return _Judgement(bool(found), True, tuple(found), "number")
    return _Judgement(bool(text.strip()), bool(text.strip()), (), "answer")


# --- Replies --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Reply:
    sentences: tuple[Sentence, ...]
    confidence: str  # "high", "medium" or "low": how sure we are these are the reply


class _Replies:
    """Where each asking's reply is: after it, up to the next asking of anything."""

    def __init__(self, sentences: tuple[Sentence, ...], askings: list[_Asking]):
        self.sentences = sentences
        self.starts = {a.first: a for a in askings}
        self.boundaries = sorted(self.starts)

    def reply(self, asking: _Asking) -> _Reply:
        sentences = self.sentences
        confidence = "high"
        after = asking.last + 1
        # Several questions read in one breath, answered together: each gets the shared reply.
        while after in self.starts and sentences[after].pause_before < CHAIN_MAX_GAP_S:
            after = self.starts[after].last + 1
            confidence = "medium"
        stop = next((b for b in self.boundaries if b >= after), len(sentences))
        asked_end = sentences[asking.last].end
        window = [s for s in sentences[after:stop] if s.start - asked_end <= ANSWER_MAX_S]
        # The asker still talking ("...Could you refer me?") is not the reply.
        while window and window[0].pause_before < TURN_PAUSE_S and window[0].norm.endswith("?"):
            window.pop(0)
        if window and window[0].pause_before < TURN_PAUSE_S:
            confidence = "medium"  # no pause: someone cut in, or the asker went on
        window = window[:ANSWER_MAX_SENTENCES]
        if window and window[0].start - asked_end > ANSWER_MAX_S / 3:
            confidence = "low"
        return _Reply(tuple(window), confidence)

    def late_reply(self, asking: _Asking) -> _Reply | None:
        """An answer given after the next question, that says so ("going back to your first
        question, ..."): the sentence that refers back, and the one after it, if it comes in
        the reply to the very next question."""
        after_next = [b for b in self.boundaries if b > asking.last][:2]
        if not after_next:
            return None
        stop = after_next[1] if len(after_next) > 1 else len(self.sentences)
        asked_end = self.sentences[asking.last].end
        for position in range(after_next[0], stop):
            sentence = self.sentences[position]
            if sentence.start - asked_end > ANSWER_MAX_S:
                return None
            if any(marker in sentence.norm for marker in BACK_REFERENCES):
                return _Reply(self.sentences[position:min(position + 2, stop)], "low")
        return None


def _span(sentences: tuple[Sentence, ...] | list[Sentence]) -> Span:
    return Span(start=round(sentences[0].start, 2), end=round(sentences[-1].end, 2),
                text=" ".join(s.text for s in sentences))


class _Analysis:
    """One transcript against one question set; each part of Findings is one method."""

    def __init__(self, sentences: tuple[Sentence, ...], question_set: QuestionSet):
        self.qs = question_set
        dismissal = question_set.red_flag("dismissal")
        # A dismissal ("those don't work") is a deflection too.
        self.deflections = Phrases(question_set.deflections + (dismissal.phrases if dismissal
                                                               else ()),
                                   PHRASE_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)
        targets = [_Target(q.id, (normalize(q.text), *q.paraphrases), q.concepts)
                   for q in question_set.questions]
        targets += [_Target(i.id, i.asked, i.concepts, i.agree + i.refuse)
                    for i in question_set.items]
        self.sentences = sentences = _split_run_ons(sentences, targets)
        self.askings = _Askings(sentences, targets).found
        self.replies = _Replies(sentences, [a for found in self.askings.values() for a in found])

    # Questions

    def question(self, question: Question) -> QuestionFinding:
        candidates = [self._judge(question, asking) for asking in self.askings[question.id]]
        if not candidates:
            return QuestionFinding(
                id=question.id, text=question.text, status="not_asked", asked=None, answer=None,
                evidence="No sentence in the transcript asks this question or a paraphrase of it.")
        # Asked more than once: one question, judged by its best reply (the first of equals).
        return max(candidates, key=lambda f: STATUS_RANK[f.status])

    def _judge(self, question: Question, asking: _Asking) -> QuestionFinding:
        asked_sentences = self.sentences[asking.first:asking.last + 1]
        reply = self.replies.reply(asking)
        asked = Asked(start=round(asked_sentences[0].start, 2),
                      end=round(asked_sentences[-1].end, 2),
                      text=" ".join(s.text for s in asked_sentences), score=round(asking.score, 1),
                      matched=asking.matched)
        base = dict(id=question.id, text=question.text, asked=asked)
        if not reply.sentences:
            return QuestionFinding(**base, status="unanswered", answer=None,
                                   evidence=f"Asked at {clock(asked.start)}, but the next "
                                            "question followed before any reply.")
        about = _About(topic=tuple(word for group in question.concepts for word in group),
                       subject=question.concepts[-1] if question.concepts else (),
                       other=self.qs.evidence.get("other_subjects", ()))
        deflection = next((d for s in reply.sentences if (d := self.deflections.first(s))), None)
        verdict = judge(question.requires, [s.norm for s in reply.sentences], self.qs.evidence,
                        about, deflected=deflection is not None)
        common = dict(**base, answer=_span(reply.sentences), facts=verdict.facts,
                      low_confidence=any(s.low_confidence for s in reply.sentences),
                      answer_confidence=reply.confidence)
        late = None if verdict.met else self.replies.late_reply(asking)
        if late is not None:
            late_verdict = judge(question.requires, [s.norm for s in late.sentences],
                                 self.qs.evidence, about)
            if late_verdict.met:
                verdict = late_verdict
                common.update(answer=_span(late.sentences), facts=late_verdict.facts,
                              answer_confidence=late.confidence,
                              low_confidence=any(s.low_confidence for s in late.sentences))
        if verdict.met:
            facts = ", ".join(dict.fromkeys(verdict.facts))
            return QuestionFinding(**common, status="answered", evidence="The reply gives what "
                                   f"the question asks for ({facts}).")
        if deflection:
            return QuestionFinding(**common, status="unanswered",
                                   evidence=f"The reply deflected (\"{deflection}\") and gave no "
                                            f"{verdict.missing}.")
        if verdict.bare_decision:
            return QuestionFinding(**common, status="unanswered",
                                   evidence=f"The reply gave a decision (\"{verdict.facts[0]}\") "
                                            "but no reason for it, which is not an answer.")
        if verdict.on_topic:
            return QuestionFinding(**common, status="partial", evidence="The reply was on topic "
                                   f"but gave no {verdict.missing}.")
        return QuestionFinding(**common, status="unanswered", evidence="Nothing in the reply "
                               f"gave {question.answer_must_contain}.")

    # Items: comparison, referral, cost...

    def _item_replies(self, item: Item) -> list[Sentence]:
        return [s for a in self.askings.get(item.id, ())
                for s in self.replies.reply(a).sentences]

    def item(self, item: Item) -> ItemFinding:
        askings = self.askings.get(item.id, [])
        asked = _span(self.sentences[askings[0].first:askings[0].last + 1]) if askings else None
        replies = self._item_replies(item)
        agree = Phrases(item.agree, PHRASE_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)
        refuse = Phrases(item.refuse, PHRASE_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)
        counts = Phrases(item.counts, PHRASE_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)
        not_counts = Phrases(item.not_counts, PHRASE_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)
        offered = []
        if item.counts:
            # A referral offered at any point counts, asked for or not; unasked, only an
            # offer naming who to (counts or not_counts) is one ("I'll send you the form" is not).
            offered = [s for s in self.sentences if s not in replies and agree.first(s)
                       and (counts.first(s) or not_counts.first(s))]
        for sentence in replies:
            if refuse.first(sentence):
                return ItemFinding(item.id, "refused", asked, _span((sentence,)))
        other = None
        for sentence in replies + offered:
            if not agree.first(sentence):
                continue
            if item.counts and not counts.first(sentence):
                if other is None and not_counts.first(sentence):
                    other = sentence
                continue
            return ItemFinding(item.id, "agreed", asked, _span((sentence,)))
        if other is not None:
            return ItemFinding(item.id, "other_surgeon", asked, _span((other,)))
        if replies:
            return ItemFinding(item.id, "said", asked, _span(replies[:3]))
        return ItemFinding(item.id, "not_discussed", asked, None)

    # The surgeon's numbers

    def _number_said(self, item_id: str, kind: str) -> tuple[float | None, Span | None]:
        """The number the item asks for, from the reply to it or a sentence stating it."""
        item = self.qs.item(item_id)
        if item is None:
            return None, None
        said = Phrases(item.said, PHRASE_CUTOFF, ALIAS_FUZZY_MIN_CHARS)
        replies = self._item_replies(item)
        stating = [s for s in self.sentences if item.said and said.first(s)]
        for sentence in [*replies[:2], *stating]:
            value = _number_of_kind(sentence.norm, kind, stated=sentence not in replies[:2])
            if value is not None:
                return value, _span((sentence,))
        return None, None

    def surgeon_numbers(self) -> SurgeonNumbers:
        fusions, fusions_quote = self._number_said("volume", "count")
        revision, revision_quote = self._number_said("revision", "percent")
        not_fused, not_fused_quote = self._number_said("not_fused", "percent")
        quotes = tuple(q for q in (fusions_quote, revision_quote, not_fused_quote) if q)
        return SurgeonNumbers(fusions_per_year=int(fusions) if fusions is not None else None,
                              revision_rate_5yr_pct=revision, pct_not_fused=not_fused,
                              quotes=tuple(dict.fromkeys(quotes)))

    # Procedures, red flags, the goal

    def procedures(self) -> tuple[ProcedureFinding, ...]:
        findings = []
        for procedure in self.qs.procedures:
            aliases = Phrases(procedure.aliases, PHRASE_CUTOFF, ALIAS_FUZZY_MIN_CHARS)
            not_this = Phrases(procedure.not_this, PHRASE_CUTOFF, ALIAS_FUZZY_MIN_CHARS)
            mentions = tuple(_span((s,)) for s in self.sentences
                             if not not_this.first(s) and aliases.first(s))
            findings.append(ProcedureFinding(procedure.id, procedure.name, bool(mentions),
                                             mentions))
        return tuple(findings)

    def red_flags(self, items: tuple[ItemFinding, ...]) -> tuple[RedFlag, ...]:
        flags: list[RedFlag] = []
        reasons = self.qs.evidence.get("reason", ())
        for rule in self.qs.red_flags:
            phrases = Phrases(rule.phrases, PHRASE_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)
            for position, sentence in enumerate(self.sentences):
                if not rule.phrases or not phrases.first(sentence):
                    continue
                if rule.kind == "not_candidate_no_reason":
                    following = self.sentences[position:position + REASON_WINDOW_SENTENCES]
                    if _found(" ".join(s.norm for s in following), reasons):
                        continue
                flags.append(RedFlag(rule.kind, round(sentence.start, 2), round(sentence.end, 2),
                                     sentence.text, rule.why))
        for item, kind in (("comparison", "refused_comparison"), ("referral", "refused_referral")):
            finding = next((i for i in items if i.id == item), None)
            rule = self.qs.red_flag(kind)
            if finding and finding.outcome == "refused" and finding.quote:
                flags.append(RedFlag(kind, finding.quote.start, finding.quote.end,
                                     finding.quote.text, rule.why if rule else ""))
        return tuple(sorted(flags, key=lambda f: f.start))

    def goal(self) -> Span | None:
        goal_phrases = Phrases(self.qs.goal_phrases, PHRASE_CUTOFF, CONCEPT_FUZZY_MIN_CHARS)
        goal = next((s for s in self.sentences if goal_phrases.first(s)), None)
        return _span((goal,)) if goal else None

    @cached_property
    def findings(self) -> Findings:
        questions = tuple(self.question(q) for q in self.qs.questions)
        items = tuple(self.item(i) for i in self.qs.items)
        numbers_said = self.surgeon_numbers()
        outcome = {i.id: i.outcome for i in items}
        critical = [q for q in questions
                    if any(c.critical and c.id == q.id for c in self.qs.questions)]
        artifacts = Artifacts(
            written_comparison=outcome.get("comparison") == "agreed",
            five_answers=all(q.status == "answered" for q in questions),
            volume_and_revision=numbers_said.fusions_per_year is not None
            and numbers_said.revision_rate_5yr_pct is not None,
            referral=outcome.get("referral") == "agreed",
            delay_risk_understood=bool(critical) and all(q.status == "answered"
                                                         for q in critical),
        )
        return Findings(
            question_set=self.qs.name, questions=questions, procedures=self.procedures(),
            surgeon_numbers=numbers_said, red_flags=self.red_flags(items), items=items,
            artifacts=artifacts, verdict=verdict_for(artifacts), goal=self.goal())


YEAR = re.compile(r"\b(year|years|annually|a year|per year)\b")


def _number_of_kind(text: str, kind: str, stated: bool) -> float | None:
    """A percentage, or a yearly count (not "5 years", not a percentage), in normalised text.

    `stated`: the sentence was not a reply to the item's question, so it must say by itself
    that the count is yearly.
    """
    if kind == "percent":
        found = percentages(text)
        return found[0] if found else None
    if stated and not YEAR.search(text):
        return None
    years = {float(n) for n in re.findall(r"(\d+) years?\b", text)}
    counts = [n for n in numbers(text) if f"{n:g}%" not in text and n >= 1 and n not in years]
    return counts[0] if counts else None


def verdict_for(artifacts: Artifacts) -> str:
    if artifacts.count == 5:
        return "equipped"
    return "partial" if artifacts.count >= 3 else "second_consultation_warranted"


def analyze_sentences(sentences: tuple[Sentence, ...], question_set: QuestionSet) -> Findings:
    return _Analysis(sentences, question_set).findings


def analyze(transcript: Transcript, question_set: QuestionSet, nlp) -> Findings:
    """The findings for one transcript; `nlp` is a spaCy pipeline from extract.nlp.load_nlp."""
    return analyze_sentences(split_sentences(transcript, nlp), question_set)
