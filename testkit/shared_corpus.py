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
import re
from dataclasses import dataclass, field
from pathlib import Path

from extract.errors import BadInput
from extract.findings import V1_NUMBERS, Findings
from extract.normalize import normalize
from extract.transcript import Segment, Transcript
from testkit.corpus import is_overclaim, script_transcript

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
ITEM_OUTCOMES = frozenset(("agreed", "refused", "not_counting", "said", "not_discussed"))
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
class QuestionLabel:
    asked: bool
    ask_turn: int | None  # the first turn that asks it
    status: str
    answer_turns: tuple[int, ...]
    key_facts: tuple[str, ...]  # as written; compare through `fact_form`


@dataclass(frozen=True)
class ItemLabel:
    """What an item's outcome should be: one of `outcomes` when `truth` is a yes or no (the
    spine corpus), or exactly `truth` when it is an outcome (the generic corpora)."""

    what: str  # as a mistake names it: "referral given", "item plan"
    item: str  # the question set's item id
    truth: bool | str
    outcomes: frozenset[str] = frozenset()

    def predicted(self, outcome: str) -> bool | str:
        return outcome in self.outcomes if self.outcomes else outcome


@dataclass(frozen=True)
class Labels:
    questions: dict[str, QuestionLabel]
    procedures: frozenset[str]  # ids discussed
    labelled_procedures: frozenset[str]  # ids the labels say anything about
    numbers: tuple[tuple[str, str, float | None], ...]  # (as a mistake names it, id, value)
    items: tuple[ItemLabel, ...]
    red_flags: frozenset[str]
    labelled_red_flags: frozenset[str] | None  # kinds the labels cover; None: every kind
    artifacts: dict[str, bool]
    verdict: str


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

def fact_form(text: str) -> str:
    """A key fact or an answer as the README compares them: lower case, numbers as digits,
    "%" as "percent", no punctuation, no spaces ("L five S one" and "L5-S1" are "l5s1")."""
    return re.sub(r"[^a-z0-9]", "", normalize(text).replace("%", " percent "))


@dataclass
class Totals:
    """Counts over some cases: one row of a benchmark table."""

    cases: int = 0
    status_right: int = 0
    status_total: int = 0
    overclaims: int = 0
    asked_tp: int = 0
    asked_fp: int = 0
    asked_fn: int = 0
    facts_found: int = 0
    facts_total: int = 0
    verdicts_right: int = 0
    procedures_right: int = 0
    procedures_total: int = 0
    numbers_right: int = 0
    numbers_total: int = 0
    items_right: int = 0  # cost discussed, written comparison agreed, referral given
    items_total: int = 0
    red_flags_right: int = 0  # cases whose set of labelled red-flag kinds is exactly right
    artifacts_right: int = 0
    artifacts_total: int = 0
    question_right: dict[str, int] = field(default_factory=dict)  # status right, per question
    mistakes: list[str] = field(default_factory=list)

    def add(self, other: Totals) -> Totals:
        for name, value in vars(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        for qid, right in other.question_right.items():
            self.question_right[qid] = self.question_right.get(qid, 0) + right
        self.mistakes += other.mistakes
        return self

    @property
    def status_accuracy(self) -> float:
        return self.status_right / self.status_total if self.status_total else 0.0

    @property
    def asked_precision(self) -> float | None:
        found = self.asked_tp + self.asked_fp
        return self.asked_tp / found if found else None

    @property
    def asked_recall(self) -> float | None:
        real = self.asked_tp + self.asked_fn
        return self.asked_tp / real if real else None

    @property
    def asked_f1(self) -> float | None:
        p, r = self.asked_precision, self.asked_recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def key_facts(self) -> float | None:
        return self.facts_found / self.facts_total if self.facts_total else None

    @property
    def asked_found(self) -> int:
        """Questions the analyzer took as asked (for visits where none is: PriMock57)."""
        return self.asked_tp + self.asked_fp


def total(scores) -> Totals:
    """Add up case scores (an iterable of Totals) into one row."""
    result = Totals()
    for score in scores:
        result.add(score)
    return result


def _where(rendered: Rendered | None, case: Case, start: float, end: float) -> str:
    if rendered is None:
        return f"{start:.0f}-{end:.0f} s"
    first, last = rendered.turn_at(start), rendered.turn_at(end)
    if first is None:
        return f"{start:.0f} s"
    turns = f"turn {first}" if last in (None, first) else f"turns {first}-{last}"
    return f"{turns} ({case.turns[first].speaker})"


def score_case(case: Case, findings: Findings, rendered: Rendered | None = None) -> Totals:
    """One case's findings against its labels; `rendered` adds turn numbers to mistakes."""
    labels, score = case.labels, Totals(cases=1)
    for finding in findings.questions:
        label = labels.questions.get(finding.id)
        if label is None:
            continue
        asked = finding.status != "not_asked"
        right = finding.status == label.status
        score.status_total += 1
        score.status_right += right
        score.question_right[finding.id] = int(right)
        score.overclaims += is_overclaim(finding.status, label.status)
        score.asked_tp += asked and label.asked
        score.asked_fp += asked and not label.asked
        score.asked_fn += label.asked and not asked
        answer = fact_form(finding.answer.text) if finding.answer else ""
        missing = [f for f in label.key_facts if fact_form(f) not in answer]
        score.facts_total += len(label.key_facts)
        score.facts_found += len(label.key_facts) - len(missing)
        if not right or missing:
            said = []
            if finding.asked:
                said.append("asked at " + _where(rendered, case, finding.asked.start,
                                                 finding.asked.end))
            if finding.answer:
                said.append("answer at " + _where(rendered, case, finding.answer.start,
                                                  finding.answer.end))
            truth = [f"asked at turn {label.ask_turn}"] if label.asked else []
            if label.answer_turns:
                truth.append(f"answer turns {list(label.answer_turns)}")
            overclaim = " OVERCLAIM" if is_overclaim(finding.status, label.status) else ""
            line = (f"{case.id} {finding.id}: predicted {finding.status}, label "
                    f"{label.status}{overclaim}; {', '.join(said) or 'nothing found'}; label "
                    f"{', '.join(truth) or 'not asked'}")
            if missing:
                line += f"; key facts missing {missing}"
            score.mistakes.append(line)

    # Disagreements below the verdict (numbers, items, red flags, artifacts): listed under a
    # wrong verdict, to show why it is wrong; on their own when the verdict is right.
    why: list[str] = []

    def check(predicted, truth, what: str, said: str = "", into: list | None = None) -> bool:
        if predicted != truth:
            (score.mistakes if into is None else into).append(
                f"{case.id} {what}: predicted {predicted}, label {truth}{said}")
        return predicted == truth

    def quoted(span) -> str:
        return f' ("{span.text}")' if span is not None else ""

    for procedure in findings.procedures:
        if procedure.id in labels.labelled_procedures:
            score.procedures_total += 1
            score.procedures_right += check(procedure.discussed,
                                            procedure.id in labels.procedures, procedure.id)
    numbers = {n.id: n for n in findings.numbers}
    for key, number_id, truth in labels.numbers:
        number = numbers.get(number_id)
        predicted = number.value if number else None
        same = (predicted is None) == (truth is None) and (
            predicted is None or abs(float(predicted) - float(truth)) < 1e-6)
        score.numbers_total += 1
        score.numbers_right += same
        if not same:
            quote = number.quote if number else None
            why.append(f"{case.id} {key}: predicted {predicted}, label {truth}{quoted(quote)}")
    items = {item.id: item for item in findings.items}
    for label in labels.items:
        found = items.get(label.item)
        predicted = label.predicted(found.outcome if found else "not_discussed")
        said_item = (f" [{found.outcome}]{quoted(found.quote)}" if found else "")
        score.items_total += 1
        score.items_right += check(predicted, label.truth, label.what, said_item, why)
    labelled = labels.labelled_red_flags
    flags = [f for f in findings.red_flags if labelled is None or f.kind in labelled]
    kinds = sorted({f.kind for f in flags})
    score.red_flags_right += check(
        kinds, sorted(labels.red_flags), "red flags",
        "".join(f' ({f.kind}: "{f.text}")' for f in flags if f.kind not in labels.red_flags),
        why)
    for key, truth in labels.artifacts.items():
        score.artifacts_total += 1
        score.artifacts_right += check(findings.artifact(key), truth,
                                       f"artifact {key}", into=why)
    verdict_right = findings.verdict == labels.verdict
    score.verdicts_right += verdict_right
    if verdict_right:
        score.mistakes += why
    else:
        score.mistakes.append(f"{case.id} verdict: predicted {findings.verdict}, label "
                              f"{labels.verdict}" + "".join(f"\n      {line.split(' ', 1)[1]}"
                                                            for line in why))
    return score
