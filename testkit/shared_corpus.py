"""The development corpus written by others (../shared/corpus): cases, transcripts, scores.

36 consultations by six writers who never saw the analyzer (../shared/corpus/README.md),
one JSON file each: turns with a speaker role, and labels. The cases have no times, so a case
becomes a Transcript the way a recogniser or another tool would hand it over, in one of four
modes:

- "labels": one segment per turn, as a WebVTT cue with `<v Speaker>`, `Segment.speaker` set
  from the turn's role ("patient", "surgeon", "companion");
- "anonymous-labels": the same cues with neutral labels ("Speaker 1", "Speaker 2"... in order
  of first appearance), as a diarizer or a meeting tool hands them over: roles must be inferred;
- "no-labels": the same cues without speakers;
- "plain-text": one line per turn, timed as the plain-text reader times it (2.5 words/s, no
  pause between lines);
- "recogniser": timed words in segments that cut across turns, no speakers
  (testkit/corpus.py's `script_transcript`, as for tests/corpus).

`score_case` compares a case's Findings with its labels exactly as the corpus README says;
`Totals` adds cases up for a table row. benchmarks/extract.py prints the tables and
tests/test_shared_corpus.py asserts floors on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from extract.errors import BadInput
from extract.findings import V1_NUMBERS, Findings
from extract.transcript import Segment, Transcript
from testkit.corpus import script_transcript
from testkit.scoring import (
    ITEM_OUTCOMES,
    ItemLabel,
    Labels,
    QuestionLabel,
    Totals,
    score,
)

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"  # CI lays shared/ beside the clone

MODES = ("labels", "anonymous-labels", "no-labels", "plain-text", "recogniser")
# "surgeon" (the spine corpus) or "doctor" (the generic corpora): whoever answers for the
# practice; "companion": anyone with the patient.
ROLES = ("patient", "surgeon", "doctor", "companion")
QUESTION_IDS = ("Q1", "Q2", "Q3", "Q4", "Q5")
PROCEDURES = ("fibrin", "prp", "decompression", "rehab")
NUMBERS = ("fusions_per_year", "revision_rate_5yr_pct", "pct_not_fused")
ARTIFACTS = ("written_comparison", "five_answers", "volume_and_revision", "referral",
             "delay_risk_understood")
LABELLED_RED_FLAGS = ("dismissal", "not_candidate_no_reason", "same_day_pressure")
# The spine corpus labels three items as yes or no; each is the item's outcome being one of
# these (../shared/corpus/README.md): (label, as a mistake names it, item id, outcomes).
SPINE_ITEMS = (
    ("cost_discussed", "cost discussed", "cost", ITEM_OUTCOMES - {"not_discussed"}),
    ("written_comparison_agreed", "written comparison agreed", "comparison",
     frozenset({"agreed"})),
    # Any referral for a second opinion, a surgeon's included (the artifact needs a
    # non-surgical one).
    ("referral_given", "referral given", "referral", frozenset({"agreed", "not_counting"})),
)
SPINE_SET = "spine_fusion.toml"

WORDS_PER_S = 2.5  # the plain-text reader's speaking rate (recorder/storage/transcript_files.py)
MIN_LINE_S = 1.0  # ...and its shortest line
TURN_PAUSE_S = 0.6  # silence when the speaker changes, between two cues
SAME_SPEAKER_PAUSE_S = 0.3  # one speaker's next cue


@dataclass(frozen=True)
class Turn:
    speaker: str  # "patient", "surgeon" (anyone answering for the practice) or "companion"
    text: str


@dataclass(frozen=True)
class Case:
    id: str  # "a4-06-answers-in-pieces-with-short-replies"
    description: str
    turns: tuple[Turn, ...]
    labels: Labels
    question_set: str = SPINE_SET  # a set shipped in extract/

    @property
    def writer(self) -> str:
        """The writer's prefix, "a1" to "a6": the unit of leave-one-writer-out."""
        return self.id.split("-", 1)[0]

    @property
    def words(self) -> int:
        return sum(len(turn.text.split()) for turn in self.turns)


# --- Reading ----------------------------------------------------------------------------

def _questions(data: dict) -> dict[str, QuestionLabel]:
    return {qid: QuestionLabel(asked=bool(q["asked"]), ask_turn=q.get("ask_turn"),
                               status=q["status"], answer_turns=tuple(q.get("answer_turns") or ()),
                               key_facts=tuple(q.get("answer_key_facts") or ()))
            for qid, q in data["questions"].items()}


def _spine_labels(data: dict) -> Labels:
    """The spine corpus's labels (../shared/corpus/README.md), named by the set's ids."""
    questions = _questions(data)
    return Labels(
        questions={qid: questions[qid] for qid in QUESTION_IDS},
        procedures=frozenset(p for p in PROCEDURES if data["procedures"][p]["discussed"]),
        labelled_procedures=frozenset(PROCEDURES),
        numbers=tuple((key, V1_NUMBERS[key], data["surgeon_numbers"][key]) for key in NUMBERS),
        items=tuple(ItemLabel(what, item, bool(data[key]), outcomes)
                    for key, what, item, outcomes in SPINE_ITEMS),
        red_flags=frozenset(data["red_flags"]),
        labelled_red_flags=frozenset(LABELLED_RED_FLAGS),
        artifacts={key: bool(data["artifacts"][key]) for key in ARTIFACTS},
        verdict=data["verdict"])


def _generic_labels(data: dict) -> Labels:
    """Labels named by the question set's own ids (tests/visits/README.md)."""
    outcomes = dict(data["items"])
    wrong = [o for o in outcomes.values() if o not in ITEM_OUTCOMES]
    if wrong:
        raise ValueError(f"item outcome {wrong[0]!r} is not one of {', '.join(ITEM_OUTCOMES)}")
    return Labels(
        questions=_questions(data),
        procedures=frozenset(p for p, label in data["procedures"].items() if label["discussed"]),
        labelled_procedures=frozenset(data["procedures"]),
        numbers=tuple((f"number {key}", key, value) for key, value in data["numbers"].items()),
        items=tuple(ItemLabel(f"item {item}", item, outcome)
                    for item, outcome in outcomes.items()),
        red_flags=frozenset(data["red_flags"]),
        labelled_red_flags=None,
        artifacts={key: bool(value) for key, value in data["artifacts"].items()},
        verdict=data["verdict"])


def read_case(path: Path) -> Case:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        turns = tuple(Turn(t["speaker"], t["text"]) for t in data["turns"])
        unknown = {t.speaker for t in turns} - set(ROLES)
        if unknown:
            raise ValueError(f"speaker {sorted(unknown)[0]!r} is not one of {', '.join(ROLES)}")
        generic = "question_set" in data
        return Case(id=data["id"], description=data.get("description", ""), turns=turns,
                    labels=(_generic_labels if generic else _spine_labels)(data["labels"]),
                    question_set=data.get("question_set", SPINE_SET))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise BadInput(f"{path.name} is not a case of the shared corpus ({error!r}); see "
                       "../shared/corpus/README.md for the format.") from None


def read_cases(folder: Path = SHARED_CORPUS) -> tuple[Case, ...]:
    """Every case in `folder`/cases, by id."""
    paths = sorted((folder / "cases").glob("*.json"))
    if not paths:
        raise BadInput(f"No cases in {folder / 'cases'}; the shared corpus lives in "
                       "shared/corpus beside the repository.")
    return tuple(read_case(path) for path in paths)


# --- Transcripts ------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    """A case as a transcript, and where each turn is in it (seconds), to explain mistakes."""

    transcript: Transcript
    turn_times: tuple[tuple[float, float], ...]

    def turn_at(self, seconds: float) -> int | None:
        for index, (start, end) in enumerate(self.turn_times):
            if start - 0.05 <= seconds <= end + 0.05:
                return index
        return None


def _turn_duration(text: str) -> float:
    return max(MIN_LINE_S, len(text.split()) / WORDS_PER_S)


def _cues(case: Case, *, speakers: str | None) -> Rendered:
    """One cue per turn; `speakers` "roles" or "anonymous" labels them, None leaves them bare."""
    anonymous = {}
    for turn in case.turns:
        anonymous.setdefault(turn.speaker, f"Speaker {len(anonymous) + 1}")
    segments, times, cursor, previous = [], [], 0.0, None
    for turn in case.turns:
        if previous is not None:
            cursor += TURN_PAUSE_S if turn.speaker != previous else SAME_SPEAKER_PAUSE_S
        start, end = round(cursor, 2), round(cursor + _turn_duration(turn.text), 2)
        label = {"roles": turn.speaker, "anonymous": anonymous[turn.speaker]}.get(speakers)
        segments.append(Segment(start=start, end=end, text=turn.text, speaker=label))
        times.append((start, end))
        cursor, previous = end, turn.speaker
    transcript = Transcript(engine="import:vtt", model="none", language="en",
                            duration_s=round(cursor, 2), segments=tuple(segments))
    return Rendered(transcript, tuple(times))


def _plain_text(case: Case) -> Rendered:
    segments, times, cursor = [], [], 0.0
    for turn in case.turns:
        start, end = round(cursor, 2), round(cursor + _turn_duration(turn.text), 2)
        segments.append(Segment(start=start, end=end, text=turn.text.strip()))
        times.append((start, end))
        cursor += _turn_duration(turn.text)
    transcript = Transcript(engine="import:text", model="none", language="en",
                            duration_s=round(cursor, 2), segments=tuple(segments))
    return Rendered(transcript, tuple(times))


def _recogniser(case: Case) -> Rendered:
    transcript = script_transcript(tuple((t.speaker.upper(), t.text) for t in case.turns),
                                   seed=case.id)
    words = [word for segment in transcript.segments for word in segment.words]
    times, first = [], 0
    for turn in case.turns:
        count = len(turn.text.split())
        run = words[first:first + count] or words[first - 1:first]
        times.append((run[0].start, run[-1].end))
        first += count
    return Rendered(transcript, tuple(times))


def render(case: Case, mode: str) -> Rendered:
    """The case as a transcript in one of MODES."""
    if mode == "labels":
        return _cues(case, speakers="roles")
    if mode == "anonymous-labels":
        return _cues(case, speakers="anonymous")
    if mode == "no-labels":
        return _cues(case, speakers=None)
    if mode == "plain-text":
        return _plain_text(case)
    if mode == "recogniser":
        return _recogniser(case)
    raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")


def to_webvtt(case: Case, *, speakers: bool = True) -> str:
    """The "labels" transcript as a WebVTT file, `<v Speaker>` tags included: for the reader."""
    def stamp(seconds: float) -> str:
        millis = int(round(seconds * 1000))
        return (f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:"
                f"{millis // 1000 % 60:02d}.{millis % 1000:03d}")

    lines = ["WEBVTT", ""]
    for segment in _cues(case, speakers="roles").transcript.segments:
        voice = f"<v {segment.speaker}>" if speakers else ""
        lines += [f"{stamp(segment.start)} --> {stamp(segment.end)}", voice + segment.text, ""]
    return "\n".join(lines)


# --- Scoring ----------------------------------------------------------------------------


def _where(rendered: Rendered | None, case: Case, start: float, end: float) -> str:
    if rendered is None:
        return f"{start:.0f}-{end:.0f} s"
    first, last = rendered.turn_at(start), rendered.turn_at(end)
    if first is None:
        return f"{start:.0f} s"
    turns = f"turn {first}" if last in (None, first) else f"turns {first}-{last}"
    return f"{turns} ({case.turns[first].speaker})"


def score_case(case: Case, findings: Findings, rendered: Rendered | None = None) -> Totals:
    """One case's findings against its labels (testkit/scoring.py); `rendered` adds turn
    numbers to mistakes."""
    return score(case.id, case.labels, findings,
                 where=lambda start, end: _where(rendered, case, start, end))
