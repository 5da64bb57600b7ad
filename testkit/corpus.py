"""The labelled corpus (tests/corpus): consultations with gold labels, and how to score them.

A consultation file is TOML front matter between `+++` lines (the gold labels) and then one
line per turn, "SPEAKER: words" (tests/corpus/README.md). The analyzer never sees the speaker
labels: the turns become a Transcript with word times at a speaking rate and pauses between
and within turns, the way a recogniser's output looks. `evaluate` scores findings against the
gold labels with the one scorer of every corpus (testkit/scoring.py); benchmarks/extract.py
prints the result and tests assert floors on it.
"""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from extract.analyze import analyze
from extract.errors import BadInput
from extract.findings import STATUSES, V1_NUMBERS, Findings
from extract.normalize import normalize
from extract.questionset import QuestionSet, load_question_set
from extract.settings import DEFAULT_SETTINGS, AnalyzerSettings
from extract.transcript import Segment, Transcript, Word
from testkit.scoring import ItemLabel, Labels, QuestionLabel, Totals, score

EXTRACT_DIR = Path(__file__).resolve().parents[1] / "extract"  # where the question sets live

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# Speaking and pausing, as measured on the sample visit's recogniser output.
WORD_S = 0.36  # seconds per word (about 165 words a minute)
TURN_GAP_S = (0.45, 1.4)  # silence when the speaker changes
INTERRUPTION_GAP_S = (0.05, 0.35)  # ...or when someone cuts in
INTERRUPTION_SHARE = 0.15  # of speaker changes
SENTENCE_GAP_S = (0.15, 0.45)  # silence between one speaker's sentences
HESITATION_GAP_S = (0.65, 1.1)  # a speaker pausing mid-turn, as long as a turn change
HESITATION_SHARE = 0.1  # of one speaker's sentence ends
SEGMENT_MAX_WORDS = 22  # recogniser segments are windows, not turns
SEGMENT_BREAK_S = 1.0  # a silence this long always ends a segment

ARTIFACTS = ("written_comparison", "five_answers", "volume_and_revision", "referral",
             "delay_risk_understood")
NUMBERS = ("fusions_per_year", "revision_rate_5yr_pct", "pct_not_fused")  # as in findings v1


@dataclass(frozen=True)
class Gold:
    """What a consultation contains, by construction of its script."""

    statuses: dict[str, str]
    facts: dict[str, tuple[str, ...]]  # per question: facts the answer must carry (normalised)
    procedures: tuple[str, ...]  # ids of the procedures discussed
    numbers: dict[str, float | None]
    red_flags: tuple[str, ...]  # kinds, any order
    items: dict[str, str]  # item id -> outcome, for the items labelled
    artifacts: dict[str, bool]
    verdict: str
    question_set: str | None = None  # a file in extract/, None for the default set


@dataclass(frozen=True)
class Consultation:
    name: str
    about: str
    gold: Gold
    turns: tuple[tuple[str, str], ...]  # (speaker, words): never shown to the analyzer
    transcript: Transcript = field(repr=False)

    @property
    def words(self) -> int:
        return sum(len(text.split()) for _, text in self.turns)


def _turns(body: str, source: str) -> tuple[tuple[str, str], ...]:
    turns = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        speaker, colon, words = line.partition(":")
        if not colon or not speaker.strip().isupper() or not words.strip():
            raise BadInput(f"{source}: body line {number} is not 'SPEAKER: words'; write each "
                           "turn on its own line (tests/corpus/README.md).")
        turns.append((speaker.strip(), words.strip()))
    return tuple(turns)


def _gold(data: dict, source: str) -> Gold:
    try:
        statuses = dict(data["questions"])
        bad = [s for s in statuses.values() if s not in STATUSES]
        if bad:
            raise ValueError(f"status {bad[0]!r} is not one of {', '.join(STATUSES)}")
        numbers = {key: data.get("numbers", {}).get(key) for key in NUMBERS}
        return Gold(
            statuses=statuses,
            facts={q: tuple(normalize(f) for f in facts)
                   for q, facts in data.get("facts", {}).items()},
            procedures=tuple(data.get("procedures", ())),
            numbers=numbers,
            red_flags=tuple(data.get("red_flags", ())),
            items=dict(data.get("items", {})),
            artifacts={key: bool(data["artifacts"][key]) for key in ARTIFACTS},
            verdict=data["verdict"],
            question_set=data.get("question_set"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BadInput(f"{source}: the gold labels are incomplete ({error}); see "
                       "tests/corpus/README.md.") from None


def read_consultation(path: Path) -> Consultation:
    text = path.read_text(encoding="utf-8")
    parts = text.split("+++\n")
    if len(parts) < 3 or parts[0].strip():
        raise BadInput(f"{path.name} has no '+++' front matter; start it with the gold labels "
                       "between two '+++' lines.")
    try:
        data = tomllib.loads(parts[1])
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{path.name}: the gold labels are not valid TOML ({error}).") from None
    turns = _turns("+++\n".join(parts[2:]), path.name)
    return Consultation(name=path.stem, about=data.get("about", ""), gold=_gold(data, path.name),
                        turns=turns, transcript=script_transcript(turns, seed=path.stem))


def read_corpus(folder: Path) -> tuple[Consultation, ...]:
    return tuple(read_consultation(path) for path in sorted(folder.glob("*.txt")))


def script_transcript(turns: tuple[tuple[str, str], ...], seed: str) -> Transcript:
    """Turns -> a recogniser-like Transcript: timed words, no speaker labels.

    Pauses are drawn from a generator seeded by the consultation's name, so a file always
    gives the same transcript; some speaker changes are interruptions with almost no pause
    and some speakers hesitate mid-turn, so a pause alone never tells who is speaking.
    """
    rng = random.Random(seed)
    words: list[Word] = []
    cursor = 0.5
    previous = None
    for speaker, text in turns:
        if previous is not None:
            if speaker != previous:
                interrupted = rng.random() < INTERRUPTION_SHARE
                cursor += rng.uniform(*(INTERRUPTION_GAP_S if interrupted else TURN_GAP_S))
            else:
                cursor += rng.uniform(*SENTENCE_GAP_S)
        for sentence in re.split(r"(?<=[.?!])\s+", text):
            for word in sentence.split():
                words.append(Word(round(cursor, 2), round(cursor + WORD_S * 0.9, 2), word, 0.95))
                cursor += WORD_S
            hesitates = rng.random() < HESITATION_SHARE
            cursor += rng.uniform(*(HESITATION_GAP_S if hesitates else SENTENCE_GAP_S))
        previous = speaker
    segments: list[Segment] = []
    run: list[Word] = []
    for word in words:
        if run and (len(run) >= SEGMENT_MAX_WORDS or word.start - run[-1].end >= SEGMENT_BREAK_S):
            segments.append(_segment(run))
            run = []
        run.append(word)
    if run:
        segments.append(_segment(run))
    return Transcript(engine="import:corpus", model="none", language="en",
                      duration_s=round(cursor, 2), segments=tuple(segments))


def cue_transcript(*turns: tuple[str, str]) -> Transcript:
    """(speaker label, words) turns -> one cue per turn with its label, as a WebVTT file with
    `<v Name>` gives it: a speaking rate of 2.5 words/s and a 0.6 s pause between cues."""
    segments, start = [], 0.0
    for speaker, text in turns:
        end = start + max(1.0, len(text.split()) / 2.5)
        segments.append(Segment(start=start, end=end, text=text, speaker=speaker))
        start = end + 0.6
    return Transcript(engine="import:vtt", model="none", language="en", duration_s=start,
                      segments=tuple(segments))


def _segment(words: list[Word]) -> Segment:
    return Segment(start=words[0].start, end=words[-1].end,
                   text=" ".join(w.text for w in words), words=tuple(words), confidence=0.95)


# --- Scoring (testkit/scoring.py, the one scorer of every corpus) ------------------------

def labels_of(consultation: Consultation, question_set: QuestionSet) -> Labels:
    """The gold labels in the scorer's form, by the question set's ids: every procedure of
    the set and every red-flag kind are labelled, the comparison and the referral always
    (not_discussed when left out), other items when given."""
    gold = consultation.gold
    items = {i.id for i in question_set.items}
    outcomes = {"comparison": "not_discussed", "referral": "not_discussed", **gold.items}
    return Labels(
        questions={qid: QuestionLabel(asked=status != "not_asked", ask_turn=None, status=status,
                                      answer_turns=(), key_facts=gold.facts.get(qid, ()))
                   for qid, status in gold.statuses.items()},
        procedures=frozenset(gold.procedures),
        labelled_procedures=frozenset(p.id for p in question_set.procedures),
        numbers=tuple((key, V1_NUMBERS[key], gold.numbers[key]) for key in NUMBERS),
        items=tuple(ItemLabel(item, item, outcome) for item, outcome in sorted(outcomes.items())
                    if item in items),
        red_flags=frozenset(gold.red_flags), labelled_red_flags=None,
        artifacts=dict(gold.artifacts), verdict=gold.verdict)


def question_set_of(consultation: Consultation) -> QuestionSet:
    name = consultation.gold.question_set
    return load_question_set(EXTRACT_DIR / name if name else None)


def score_consultation(consultation: Consultation, findings: Findings, question_set: QuestionSet,
                       ) -> dict[str, Totals]:
    """One consultation's scores: "all" questions, and one row per question id."""
    labels = labels_of(consultation, question_set)
    rows = {"all": score(consultation.name, labels, findings)}
    for question in question_set.questions:
        rows[question.id] = score(consultation.name, labels, findings,
                                  questions=frozenset({question.id}))
    return rows


def evaluate(consultations: tuple[Consultation, ...], nlp, *, embedder=None,
             settings: AnalyzerSettings = DEFAULT_SETTINGS) -> dict[str, Totals]:
    """Analyse every consultation with its question set and add up its scores: the row
    "all", and one per question id (a set's ids, Q1 or K1...)."""
    sets: dict[str | None, QuestionSet] = {}
    rows: dict[str, Totals] = {}
    for consultation in consultations:
        name = consultation.gold.question_set
        if name not in sets:
            sets[name] = question_set_of(consultation)
        findings = analyze(consultation.transcript, sets[name], nlp, embedder=embedder,
                           settings=settings)
        for key, totals in score_consultation(consultation, findings, sets[name]).items():
            rows.setdefault(key, Totals()).add(totals)
    return rows
