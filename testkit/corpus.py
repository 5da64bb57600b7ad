"""The labelled corpus (tests/corpus): consultations with gold labels, and how to score them.

A consultation file is TOML front matter between `+++` lines (the gold labels) and then one
line per turn, "SPEAKER: words" (tests/corpus/README.md). The analyzer never sees the speaker
labels: the turns become a Transcript with word times at a speaking rate and pauses between
and within turns, the way a recogniser's output looks. `score` compares findings with the
gold labels; benchmarks/extract.py prints the result and tests assert floors on it.
"""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from extract.analyze import STATUS_RANK, analyze
from extract.errors import BadInput
from extract.findings import STATUSES, V1_NUMBERS, Findings
from extract.normalize import normalize
from extract.questionset import QuestionSet, load_question_set
from extract.transcript import Segment, Transcript, Word

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
NUMBERS = ("fusions_per_year", "revision_rate_5yr_pct", "pct_not_fused")


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


def _segment(words: list[Word]) -> Segment:
    return Segment(start=words[0].start, end=words[-1].end,
                   text=" ".join(w.text for w in words), words=tuple(words), confidence=0.95)


# --- Scoring --------------------------------------------------------------------------

@dataclass
class Tally:
    """Counts for one row of the benchmark table."""

    asked_tp: int = 0
    asked_fp: int = 0
    asked_fn: int = 0
    status_right: int = 0
    status_total: int = 0
    overclaims: int = 0
    facts_found: int = 0
    facts_total: int = 0
    right: int = 0  # for rows that are plain accuracy (procedures, artifacts, verdict...)
    total: int = 0
    mistakes: list[str] = field(default_factory=list)

    def precision(self) -> float | None:
        found = self.asked_tp + self.asked_fp
        return self.asked_tp / found if found else None

    def recall(self) -> float | None:
        real = self.asked_tp + self.asked_fn
        return self.asked_tp / real if real else None

    def accuracy(self) -> float | None:
        if self.status_total:
            return self.status_right / self.status_total
        return self.right / self.total if self.total else None

    def fact_recall(self) -> float | None:
        return self.facts_found / self.facts_total if self.facts_total else None


def is_overclaim(predicted: str, truth: str) -> bool:
    """Answered or partial where the truth is lower: the error that must never happen."""
    return predicted in ("answered", "partial") and STATUS_RANK[predicted] > STATUS_RANK[truth]


def score(name: str, findings: Findings, gold: Gold, tallies: dict[str, Tally]) -> None:
    """Add one consultation's results to `tallies` (rows by name, created as needed)."""
    def row(key: str) -> Tally:
        return tallies.setdefault(key, Tally())

    for question in findings.questions:
        truth = gold.statuses.get(question.id, "not_asked")
        for key in (question.id, "all questions"):
            tally = row(key)
            asked, really = question.status != "not_asked", truth != "not_asked"
            tally.asked_tp += asked and really
            tally.asked_fp += asked and not really
            tally.asked_fn += really and not asked
            tally.status_total += 1
            tally.status_right += question.status == truth
            tally.overclaims += is_overclaim(question.status, truth)
            if question.status != truth and key != "all questions":
                tally.mistakes.append(f"{name} {question.id}: {question.status}, truth {truth}")
            facts = gold.facts.get(question.id, ())
            answer = normalize(question.answer.text) if question.answer else ""
            tally.facts_total += len(facts)
            tally.facts_found += sum(fact in answer for fact in facts)

    def accuracy(key: str, predicted, truth, what: str) -> None:
        tally = row(key)
        tally.total += 1
        tally.right += predicted == truth
        if predicted != truth:
            tally.mistakes.append(f"{name} {what}: {predicted}, truth {truth}")

    for procedure in findings.procedures:
        accuracy("procedures", procedure.discussed, procedure.id in gold.procedures, procedure.id)
    for key in ARTIFACTS:
        accuracy("artifacts", findings.artifact(key), gold.artifacts[key], key)
    for key in NUMBERS:
        accuracy("surgeon's numbers", findings.number(V1_NUMBERS[key]), gold.numbers[key], key)
    outcomes = {item.id: item.outcome for item in findings.items}
    for item_id in sorted({"comparison", "referral", *gold.items} & set(outcomes)):
        accuracy("comparison, referral, cost", outcomes[item_id],
                 gold.items.get(item_id, "not_discussed"), item_id)
    accuracy("red flags", sorted({f.kind for f in findings.red_flags}), sorted(set(gold.red_flags)),
             "red flags")
    accuracy("verdict", findings.verdict, gold.verdict, "verdict")


def evaluate(consultations: tuple[Consultation, ...], nlp) -> dict[str, Tally]:
    """Analyse every consultation with its question set and score it against its labels."""
    sets: dict[str | None, QuestionSet] = {None: load_question_set()}
    tallies: dict[str, Tally] = {}
    for consultation in consultations:
        name = consultation.gold.question_set
        if name not in sets:
            sets[name] = load_question_set(EXTRACT_DIR / name)
        findings = analyze(consultation.transcript, sets[name], nlp)
        score(consultation.name, findings, consultation.gold, tallies)
    return tallies
