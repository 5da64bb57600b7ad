"""Where each prepared question (or item) is asked: by meaning, guarded by its concepts.

Every sentence that is not known to be the practice's (extract/turns.py), each clause of it
("what are the odds ..., and which treatments ...": two questions in one breath) and each
pair of neighbouring sentences of one turn ("Do people get better without the knife? How
many, roughly?") is a candidate. A candidate asks a target when:

- it is closer in meaning to one of the target's wordings than to any wording of another
  plausible target (one whose concept words are there too) or of a look-alike question (the
  question set's `look_alikes`: "what percentage of your patients have complications?" is
  close to Q2 and is not Q2), by at least `settings.ask_margin`, and at least
  `settings.ask_similarity` close, or `settings.every_concept_similarity` close when it
  holds a word of every concept group (lay wording the model places far from the wordings:
  "what's the non-op stuff with the best strike rate, better than fifty-fifty?");
- it has the question's concept words, by lemma: every group, or all but
  `settings.concept_slack` of three or more, never the last group, which names the thing
  asked about (the guard: embeddings rank well but do not threshold cleanly);
- it has the form of a question (a "?", a question word, "she asks", "I'd like to know").

A candidate read (nearly) verbatim, `settings.verbatim_similarity` close, asks its target
with no further evidence; a companion's third person ("...if he puts off surgery") is
compared as the patient would say it ("...if I put off surgery"). Similarity is the cosine
of sentence embeddings when an embedder is given (extract/embedding.py), else rapidfuzz's
token_sort_ratio / 100.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz import fuzz, process

from extract.lexicon import Terms, words
from extract.normalize import normalize
from extract.sentences import Sentence, plain
from extract.settings import AnalyzerSettings
from extract.turns import PATIENT, PRACTICE, SHORT_TURN_WORDS, speaks_for_self

LOOK_ALIKE = "look-alike"  # the target id of the question set's look-alike wordings
_WH_WORDS = r"what|which|how|whether|why|when|where|who"
_AUXILIARIES = r"is|are|do|does|did|can|could|would|will|should|have|has|am"
_FIRST_WORDS = r"^(?:[\w'-]+,? ){0,8}?"  # up to eight words before the question word
_QUESTION_START = re.compile(
    rf"{_FIRST_WORDS}(?:what's|whats|{_WH_WORDS}|{_AUXILIARIES})\b")
# Without final punctuation, an auxiliary among the first words ("prp is one people try")
# makes a statement look like a question as readily as it marks one ("is it..."): only a
# question word at the start, a question form or a reported question marks a question.
_WH_START = re.compile(rf"{_FIRST_WORDS}(?:what's|whats|{_WH_WORDS})\b")
_QUESTION_FORM = re.compile(
    r"\b(what's|whats|which|how|whether|am i|could i|can i|would i|"
    r"should i|do i|did you|have you|has he|has she|is there|are there|is it|does it|will i|"
    r"would it|could it|can it|is that|are the|do people|does he|does she|is she|is he|"
    r"could he|could she|can he|can she|would he|would she|should he|should she|asks?|"
    r"wants? to know|like to know|wondering|wonder|tell me|tell us)\b")
_REPORTED = re.compile(r"\b(asks?|asking|wants? to know|like to know|wondering|wonder|"
                       r"tell me|tell us|could you tell)\b")
_CLAUSE_BREAK = re.compile(r",? (?:and|or|but|plus) (?=(?:what|which|how|if|am|could|can|do|"
                           r"does|did|is|are|would|will|whether)\b)|; ")
# A sentence with no "?" and no clause opening like a question, from a speaker not known
# to be the patient's, is no verbatim reading of a wording that is a question: it is the
# surgeon echoing the question's words in the reply ("My revision rate at five years is
# about eight percent.", unpunctuated "around ninety fusions at this level each year"),
# however close to the wording. (A request read out, "I'd like a written comparison...",
# is a statement and still reads its wording.) A list read aloud ("Two, what percentage
# of patients ... improve without surgery.") opens a clause like a question, so it still
# counts. A relative clause does not: "which" or "who" followed by its verb ("..., which
# is about average", "..., who had the same tear") goes on with the statement.
_RELATIVE = r"(?:which|who)(?= (?:is|was|are|were|means|meant|makes|made|has|had|puts|gives)\b)"
_QUESTION_OPENING = re.compile(
    rf"(?:^|[,;:] |\band |\bso |\bbut |\balso )(?!{_RELATIVE})(?:{_WH_WORDS}|{_AUXILIARIES}|if)\b")


def _statement(text: str) -> bool:
    """No "?" and no clause opening like a question: without final punctuation (a recogniser
    that writes none), a statement is told by its words alone."""
    return not text.rstrip().endswith("?") and not _QUESTION_OPENING.search(text)


CLAUSE_MIN_WORDS = 4  # a clause shorter than this is not tried on its own
# A question and its reply run together (a recogniser that wrote no punctuation, and no
# pause between the turns) are cut apart wherever a wording sits inside a longer "sentence",
# however short the reply ("how many of those do you do a year about sixty of those a year").
# A sentence ending on "?" is a question, not one run into its reply: it is cut only from
# this long (a story before the question: "...so while it loads, what percentage ...
# improve?"), the limit every sentence had before. Not chosen from data: limits of 8 to 16
# words for every sentence score alike on ../shared/corpus, in every form.
RUN_ON_QUESTION_MIN_WORDS = 16  # words
RUN_ON_CUTOFF = 90  # rapidfuzz partial_ratio (0-100) of a wording inside such a sentence
RUN_ON_MIN_FORM_WORDS = 5  # only wordings this long are specific enough to cut a sentence at
RUN_ON_MIN_PIECE_WORDS = 3  # what is left either side must be this long to stand alone


_CLOSING_QUOTES = "'\"\u2019\u201d)]"  # a question read out in quotes: "...'causing my pain?'"


def looks_like_question(text: str) -> bool:
    """A "?", or a reported question ("she asks", "I'd like to know"); without any final
    punctuation (a recogniser that writes none), a question word will do."""
    lower = text.lower().rstrip().rstrip(_CLOSING_QUOTES).rstrip()
    if lower.endswith("?") or _REPORTED.search(lower):
        return True
    if re.search(r"[.!:;]$", lower):
        return False
    return _QUESTION_START.search(lower) is not None or _QUESTION_FORM.search(lower) is not None


def marked_question(text: str) -> bool:
    """A question by more than an auxiliary among its first words: a "?", a reported
    question, a question word at the start, or a question form ("is there", "do i")."""
    lower = text.lower().rstrip().rstrip(_CLOSING_QUOTES).rstrip()
    return (lower.endswith("?") or _REPORTED.search(lower) is not None
            or _WH_START.search(lower) is not None or _QUESTION_FORM.search(lower) is not None)


@dataclass(frozen=True)
class Target:
    """A question, an item, or the look-alikes, as the matcher sees it."""

    id: str
    wordings: tuple[str, ...]
    concepts: tuple[Terms, ...]
    replies: Terms  # an item's agreeing or refusing words: a sentence with one is a reply
    question: bool = True  # a prepared question (else an item: a request, a number asked)

    def concept_hits(self, lemmas: list[str]) -> int:
        present = set(lemmas)
        return sum(group.any(lemmas, present) for group in self.concepts)

    def guarded(self, lemmas: list[str], slack: int) -> bool:
        needed = len(self.concepts)
        if not needed:
            return True
        hits = self.concept_hits(lemmas)
        # The last group names the thing asked about: it is never the one left out.
        return hits == needed or (needed >= 3 and hits >= needed - slack
                                  and self.concepts[-1].any(lemmas))


@dataclass(frozen=True)
class Asking:
    """One place where a target is asked: sentences first..last (inclusive)."""

    target: str
    first: int
    last: int
    score: float  # 0-100: the similarity to the matched wording
    matched: str


@dataclass(frozen=True)
class _Candidate:
    first: int
    last: int
    text: str  # normalised
    # A pair that opens with a question and goes on with a statement ("What exactly is
    # wrong in there? On the pictures."): the question's own words, else None.
    opening_question: str | None = None


_POINTS_BACK = re.compile(r"\b(that|this|it|those|these|them)\s*\?$")


def _leans_on(sentences: tuple[Sentence, ...], earlier: int, later: int, cue_turns: bool) -> bool:
    """Whether the question at `later` may lean on the sentences from `earlier` on: within
    one turn; and in timed words (no cues), also across the pauses that cut one voice's
    stretches, since a speaker hesitates before a question as long as speakers take turns
    ("My niece sent me an article about the fibrin injection. <0.7 s> Have you looked at
    whether I could have that?"): a question that ends on a word pointing back to what was
    said ("...for that?"), which has no topic of its own, across one pause, after a stretch
    that sounds like the asker telling their own story (more "I"/"my" than "you"/"your",
    and no number: "My five-year reoperation rate is about 4 percent. <1 s> Do you ever
    talk people out of it?" is the surgeon's reply, then the next question).
    One with its own topic ("How many fusions do you do a year?") stands alone, and so does
    a question after a stretch spoken to the listener ("...you are improving. <1 s> Do I
    need another MRI to check on it?"): across a pause, that is as likely the other voice."""
    first, last = sentences[earlier], sentences[later]
    if first.turn == last.turn:
        return True
    if (cue_turns or last.turn - first.turn != 1 or _POINTS_BACK.search(last.norm) is None
            or any(s.speaker != last.speaker for s in sentences[earlier:later + 1])):
        return False
    told = " ".join(s.norm for s in sentences if s.turn == first.turn)
    return speaks_for_self(told) and not re.search(r"\d", told)


def _finished_across(sentences: tuple[Sentence, ...], index: int, cue_turns: bool) -> bool:
    """Whether the question at `index` is finished, across one pause, by the fragment after it
    ("First, what exactly is it? <0.8 s> On the MRI."): timed words only, the question ends
    on a word pointing back, and the fragment is no longer than a back-channel and asks
    nothing. A short reply cut in after the pause ("Not for you.") may be taken in too; as
    for any statement after a question, only one without a number finishes it (below)."""
    question, fragment = sentences[index], sentences[index + 1]
    return (not cue_turns and fragment.turn - question.turn == 1
            and fragment.speaker == question.speaker
            and _POINTS_BACK.search(question.norm) is not None
            and len(fragment.norm.split()) <= SHORT_TURN_WORDS
            and not fragment.norm.endswith("?"))


def _cut_in_reply(sentences: tuple[Sentence, ...], index: int) -> bool:
    """A statement with a number right after a question: the reply cut in fast ("...how many
    of these do you do? About 100 a year. And how many need redoing?"), never the lead-in of
    the question after it."""
    text = sentences[index].norm
    return (index > 0 and looks_like_question(sentences[index - 1].norm)
            and not looks_like_question(text) and re.search(r"\d", text) is not None)


def _candidates(sentences: tuple[Sentence, ...], side: list[str | None],
                cue_turns: bool = False) -> list[_Candidate]:
    found = []
    for index, sentence in enumerate(sentences):
        if side[index] == PRACTICE:
            continue
        found.append(_Candidate(index, index, sentence.norm))
        asks = looks_like_question(sentence.norm)
        pieces = [p for p in _CLAUSE_BREAK.split(sentence.norm) if len(p.split()) >= CLAUSE_MIN_WORDS]
        if asks and len(pieces) > 1:
            found += [_Candidate(index, index, piece) for piece in pieces]
        following = index + 1
        # A pair only where one half is question-shaped: a question cut in two, or a short
        # question leaning on the sentence before it (fewer texts to embed in a long visit).
        if (following < len(sentences) and side[following] != PRACTICE
                and ((asks and (sentences[following].turn == sentence.turn
                                or _finished_across(sentences, index, cue_turns)))
                     or (looks_like_question(sentences[following].norm)
                         and not _cut_in_reply(sentences, index)
                         and _leans_on(sentences, index, following, cue_turns)))):
            text = f"{sentence.norm} {sentences[following].norm}"
            # The statement after a question may be the reply, cut in fast ("Have to get
            # redone? My five-year revision rate is about 7 percent."): only one with no
            # number in it may finish the question.
            finishes = (asks and not looks_like_question(text)
                        and not re.search(r"\d", sentences[following].norm))
            found.append(_Candidate(index, following, text, sentence.norm if finishes else None))
        # Three, where the third is a question leaning on the two before it ("So say I wait
        # six months anyway. Try the therapy. What's the chance I'm left with damage?").
        last = index + 2
        if (last < len(sentences) and side[following] != PRACTICE and side[last] != PRACTICE
                and sentences[last].norm.endswith("?")
                and not any(_cut_in_reply(sentences, i) for i in (index, following))
                and _leans_on(sentences, index, last, cue_turns)):
            found.append(_Candidate(index, last, " ".join(
                s.norm for s in sentences[index:last + 1])))
    return found


# A companion asks for the patient in the third person ("What is actually wrong in his
# spine?"); the wordings are in the patient's own voice ("...in my spine"). Compared as the
# patient would say it, such a question is as close to its wording as the patient's own.
_AS_THE_PATIENT = {"he": "i", "she": "i", "him": "me", "his": "my", "her": "my", "hers": "mine",
                   "himself": "myself", "herself": "myself", "he's": "i'm", "she's": "i'm",
                   "he'd": "i'd", "she'd": "i'd", "he'll": "i'll", "she'll": "i'll"}
_THIRD_PERSON = re.compile(rf"\b(?:{'|'.join(_AS_THE_PATIENT)})\b(?!')")
# The verb beside the pronoun, agreed with "I": "is he" -> "am i", "she has" -> "i have".
_AGREEMENT = {"is i": "am i", "i is": "i am", "does i": "do i", "i does": "i do",
              "has i": "have i", "i has": "i have", "i doesn't": "i don't",
              "i isn't": "i'm not", "i hasn't": "i haven't"}
_DISAGREEING = re.compile(rf"\b(?:{'|'.join(_AGREEMENT)})\b")
# "her" as an object ("refer her to...", "tell her.") is "me"; before a noun, "my".
_HER_OBJECT = re.compile(r"\bher\b(?=$|[,.?!;:]| (?:to|for|a|an|the|and|or|with|about|in|on|at|"
                         r"if|that|now|today|again)\b)")


def as_the_patient(text: str) -> str:
    """Normalised text with the third person singular in the first ("his" -> "my")."""
    text = _HER_OBJECT.sub("me", text)
    voiced = _THIRD_PERSON.sub(lambda m: _AS_THE_PATIENT[m.group(0)], text)
    return _DISAGREEING.sub(lambda m: _AGREEMENT[m.group(0)], voiced)


def similarities(texts: list[str], wordings: list[str], embedder) -> np.ndarray:
    """(len(texts), len(wordings)) similarity, 0-1: cosine, or token_sort_ratio / 100."""
    if not texts or not wordings:
        return np.zeros((len(texts), len(wordings)), dtype=np.float32)
    if embedder is not None:
        return embedder.embed(texts) @ embedder.embed(wordings).T
    return process.cdist([plain(t) for t in texts], [plain(w) for w in wordings],
                         scorer=fuzz.token_sort_ratio, processor=None, workers=1) / 100.0


def find_askings(sentences: tuple[Sentence, ...], side: list[str | None],
                 targets: list[Target], settings: AnalyzerSettings, embedder=None,
                 cue_turns: bool = False) -> dict[str, list[Asking]]:
    """Every asking of every target (look-alikes excluded), in order, none overlapping.
    `cue_turns`: each sentence's turn is a subtitle cue (one speaker's turn), not a stretch
    of timed words between pauses."""
    candidates = _candidates(sentences, side, cue_turns)
    wordings = [w for t in targets for w in t.wordings]
    owner = np.array([n for n, t in enumerate(targets) for _ in t.wordings])
    # Only a question is voiced: a companion asks in the third person, and the practice
    # states in it ("His MRI shows a tear") without asking anything. (One batch with the
    # candidates: embedding costs less per text in a larger batch.)
    voiced = {n: as_the_patient(c.text) for n, c in enumerate(candidates)
              if c.opening_question is not None or looks_like_question(c.text)}
    voiced = {n: text for n, text in voiced.items() if text != candidates[n].text}
    scores = similarities([c.text for c in candidates] + list(voiced.values()), wordings,
                          embedder)
    scores, as_said = scores[:len(candidates)], scores[len(candidates):]
    if voiced:
        rows = list(voiced)
        scores[rows] = np.maximum(scores[rows], as_said)
    lexical = embedder is None
    threshold = settings.lexical_ask_similarity if lexical else settings.ask_similarity
    verbatim = settings.lexical_verbatim_similarity if lexical else settings.verbatim_similarity
    margin = settings.lexical_ask_margin if lexical else settings.ask_margin
    floor = (settings.lexical_ask_similarity if lexical
             else settings.every_concept_similarity)
    found: dict[str, list[Asking]] = {t.id: [] for t in targets if t.id != LOOK_ALIKE}
    # Wordings are listed target by target: each target's columns are one slice.
    bounds = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else []
    slices = [slice(start, end) for start, end in zip(bounds, [*bounds[1:], len(owner)])]
    asked_ids = [n for n, t in enumerate(targets) if t.id != LOOK_ALIKE]
    lowest = min(threshold, floor)
    for candidate, row in zip(candidates, scores):
        if not len(row):
            continue
        per_target = np.array([row[part].max() for part in slices])
        if max((per_target[n] for n in asked_ids), default=-1.0) < lowest:
            continue  # close to nothing: the common case, decided without any word lookup
        question = looks_like_question(candidate.text)
        if not question and candidate.opening_question is None and per_target.max() < verbatim:
            continue
        lemmas = words(candidate.text)
        guards: dict[int, bool] = {}

        def guarded(m: int) -> bool:
            if m not in guards:
                guards[m] = targets[m].guarded(lemmas, settings.concept_slack)
            return guards[m]

        fulls: dict[int, bool] = {}

        def full(m: int) -> bool:
            """Every concept group of target m, and at least two of them."""
            if m not in fulls:
                groups = targets[m].concepts
                fulls[m] = len(groups) >= 2 and targets[m].concept_hits(lemmas) == len(groups)
            return fulls[m]

        for n in np.argsort(-per_target):
            target = targets[n]
            similarity = float(per_target[n])
            if target.id == LOOK_ALIKE or similarity < lowest:
                continue
            if target.replies and not candidate.text.endswith("?") and target.replies.found(
                    lemmas):
                continue
            # Only a plausible other reading competes: a look-alike, or a target whose own
            # concept words are there. Of two prepared questions, the one with every concept
            # group outranks one without ("if I give it six months, what are the odds that
            # toe weakness becomes permanent?" is Q5, whatever its closeness to Q2). (An item
            # does not: "is it risky to wait for a second opinion?" names the item's words and
            # asks the question.)
            complete = full(n)
            if not complete and target.question and any(
                    m != n and targets[m].question and full(m) and per_target[m] >= floor
                    for m in asked_ids):
                continue
            nearest_other = max((float(per_target[m]) for m in range(len(targets))
                                 if m != n and (lexical or targets[m].id == LOOK_ALIKE
                                                or (guarded(m) and (full(m) or not complete)))),
                                default=0.0)
            wording = wordings[slices[n].start + int(np.argmax(row[slices[n]]))]
            # A pair opening with a question asks this target when that question alone already
            # holds a word of one of its concept groups ("What exactly is wrong in there?"),
            # not when it is an aside ("Any numbness? Your MRI shows...").
            asks = question or (candidate.opening_question is not None and target.concept_hits(
                words(candidate.opening_question)) > 0)
            if (similarity >= verbatim and similarity >= nearest_other
                    and (question or side[candidate.first] == PATIENT
                         or not _QUESTION_OPENING.search(wording)
                         or not _statement(candidate.text))):
                pass
            else:
                if not asks or similarity - nearest_other < margin or not guarded(n):
                    continue
                # Far from every wording, only a question marked as one asks by its concept
                # words: unpunctuated, "p r p is one people try... i don't have good numbers"
                # has the words of "how many people don't have it" and is the reply.
                if not (similarity >= threshold or (complete and similarity >= floor
                                                    and marked_question(candidate.text))):
                    continue
            _add(found[target.id], Asking(target.id, candidate.first, candidate.last,
                                          round(similarity * 100, 1), wording))
    _drop_borrowed_question_form(found, sentences)
    return {key: sorted(value, key=lambda a: a.first) for key, value in found.items()}


def _drop_borrowed_question_form(found: dict[str, list[Asking]],
                                 sentences: tuple[Sentence, ...]) -> None:
    """A pair of sentences asks only if its question is its own: when the first sentence is
    a statement and the second alone asks another target ("...you are a good candidate for
    the injection, because... How many fusions do you do a year?"), the pair borrowed that
    question's form, and the statement is most likely the reply to something asked before."""
    single = {(a.first, key) for key, askings in found.items() for a in askings
              if a.first == a.last}
    for key, askings in found.items():
        askings[:] = [a for a in askings if a.first == a.last
                      or looks_like_question(sentences[a.first].norm)
                      or not any((a.last, other) in single for other in found if other != key)]


def _add(askings: list[Asking], new: Asking) -> None:
    """Keep one asking per place: where two overlap, the closer match."""
    for position, old in enumerate(askings):
        if old.first <= new.last and new.first <= old.last:
            if new.score > old.score:
                askings[position] = new
            return
    askings.append(new)


# --- A question run into its reply (no punctuation, no pause) ------------------------

def _words_before(words: list[str], char: int) -> int:
    """How many of `words` come before character `char` of their normalised, plain form."""
    for count in range(len(words) + 1):
        if len(plain(normalize(" ".join(words[:count + 1])))) > char:
            return count
    return len(words)


def _cut_run_on(sentence: Sentence, forms: list[str]) -> list[Sentence] | None:
    """A sentence holding a question's wording and other words: cut around the wording."""
    words = sentence.text.split()
    shortest = (RUN_ON_QUESTION_MIN_WORDS if sentence.text.rstrip().endswith("?")
                else RUN_ON_MIN_FORM_WORDS + RUN_ON_MIN_PIECE_WORDS)  # a wording and a piece
    if len(words) < shortest:
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


def split_run_ons(sentences: tuple[Sentence, ...], targets: list[Target],
                  ) -> tuple[Sentence, ...]:
    """Sentences with every question the recogniser ran into its neighbours cut out."""
    forms = [plain(w) for t in targets for w in t.wordings
             if len(w.split()) >= RUN_ON_MIN_FORM_WORDS]
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
