"""The Findings contract: what the analyzer found, with the words and times behind it.

Its JSON form (documented in docs/formats.md) is versioned so other tools can read it:
format "appointment-recorder/findings", version 2. Version 2 names the numbers and artifacts
by the question set's own ids; a version 1 file (made by the spine set, where they were fixed
fields) is read through the mapping below.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

FINDINGS_FORMAT = "appointment-recorder/findings"
FINDINGS_VERSION = 2
READABLE_VERSIONS = (1, 2)

Status = Literal["answered", "partial", "unanswered", "not_asked"]
STATUSES: tuple[Status, ...] = ("answered", "partial", "unanswered", "not_asked")

# Version 1 (the spine set's fixed fields) -> version 2 ids, as docs/formats.md documents.
V1_NUMBERS = {"fusions_per_year": "volume", "revision_rate_5yr_pct": "revision",
              "pct_not_fused": "not_fused"}
V1_ARTIFACTS = ("written_comparison", "five_answers", "volume_and_revision", "referral",
                "delay_risk_understood")
V1_OUTCOMES = {"other_surgeon": "not_counting"}
V1_SETS = {"Knee replacement consultation": "knee_replacement.toml"}  # else the spine set
DEFAULT_SET_FILE = "spine_fusion.toml"


@dataclass(frozen=True)
class Span:
    """Words of the transcript, verbatim, with where they are in the recording (seconds)."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Asked:
    """Where a question was asked, and how it was recognised."""

    start: float
    end: float
    text: str
    score: float  # 0-100: how closely the words matched the question or a paraphrase
    matched: str  # the wording it matched


@dataclass(frozen=True)
class QuestionFinding:
    id: str
    text: str
    status: Status
    asked: Asked | None
    answer: Span | None
    evidence: str  # one sentence: why this status
    facts: tuple[str, ...] = ()  # what the answer contains that the question asks for
    low_confidence: bool = False  # the answer includes words the recogniser was unsure of
    # How sure the analyzer is that `answer` is the reply to this question (the transcript has
    # no speakers): "high", "medium" (no pause before it, or one reply to several questions
    # asked together), "low" (long after the question); None when there is no answer.
    answer_confidence: str | None = None


@dataclass(frozen=True)
class ProcedureFinding:
    id: str
    name: str
    discussed: bool
    mentions: tuple[Span, ...] = ()


@dataclass(frozen=True)
class NumberFinding:
    """A number the question set asks the practitioner for, and the words it was taken
    from; `value` None: not said."""

    id: str  # the set's [[numbers]] id
    value: float | None = None
    quote: Span | None = None


@dataclass(frozen=True)
class RedFlag:
    kind: str  # the kind of one of the question set's [[red_flags]]
    start: float
    end: float
    text: str  # the words that were said
    why: str


@dataclass(frozen=True)
class ItemFinding:
    """One of the other things the patient asks for: comparison, referral, cost..."""

    id: str
    # "agreed", "refused", "not_counting" (agreed, with someone the set says does not count),
    # "said" or "not_discussed"
    outcome: str
    asked: Span | None = None
    quote: Span | None = None


@dataclass(frozen=True)
class ArtifactFinding:
    """One of the things a visit like this should give the patient, by the set's rule."""

    id: str  # the set's [[artifacts]] id
    present: bool


@dataclass(frozen=True)
class Findings:
    question_set: str
    questions: tuple[QuestionFinding, ...]
    procedures: tuple[ProcedureFinding, ...]
    numbers: tuple[NumberFinding, ...]
    red_flags: tuple[RedFlag, ...]
    items: tuple[ItemFinding, ...]
    artifacts: tuple[ArtifactFinding, ...]
    verdict: str  # the id of one of the set's [[verdicts]]
    goal: Span | None = None  # where the patient stated their goal, if they did
    question_set_file: str = DEFAULT_SET_FILE  # the set's file: a shipped name, or a path
    format: str = field(default=FINDINGS_FORMAT)
    version: int = field(default=FINDINGS_VERSION)

    def question(self, question_id: str) -> QuestionFinding:
        return next(q for q in self.questions if q.id == question_id)

    def number(self, number_id: str) -> float | None:
        return next((n.value for n in self.numbers if n.id == number_id), None)

    def artifact(self, artifact_id: str) -> bool:
        return any(a.present for a in self.artifacts if a.id == artifact_id)

    @property
    def artifact_count(self) -> int:
        return sum(a.present for a in self.artifacts)

    def to_dict(self) -> dict:
        data = asdict(self)
        order = ("format", "version", "question_set", "question_set_file", "verdict",
                 "artifacts", "goal", "questions", "procedures", "numbers", "items", "red_flags")
        return {key: data[key] for key in order}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> "Findings":
        def span(value, kind=Span):
            return kind(**value) if value else None

        if data.get("version", FINDINGS_VERSION) == 1:
            data = _from_version_1(data)
        return cls(
            question_set=data["question_set"],
            question_set_file=data["question_set_file"],
            questions=tuple(
                QuestionFinding(**{**q, "asked": span(q["asked"], Asked),
                                   "answer": span(q["answer"]),
                                   "facts": tuple(q.get("facts", ()))})
                for q in data["questions"]),
            procedures=tuple(
                ProcedureFinding(**{**p, "mentions": tuple(Span(**m) for m in p["mentions"])})
                for p in data["procedures"]),
            numbers=tuple(NumberFinding(**{**n, "quote": span(n.get("quote"))})
                          for n in data["numbers"]),
            red_flags=tuple(RedFlag(**r) for r in data["red_flags"]),
            items=tuple(ItemFinding(**{**i, "asked": span(i["asked"]), "quote": span(i["quote"])})
                        for i in data.get("items", ())),
            artifacts=tuple(ArtifactFinding(**a) for a in data["artifacts"]),
            verdict=data["verdict"],
            goal=span(data.get("goal")),
        )

    @classmethod
    def from_json(cls, text: str) -> "Findings":
        data = json.loads(text)
        if data.get("format") != FINDINGS_FORMAT or data.get("version") not in READABLE_VERSIONS:
            raise ValueError(f"not {FINDINGS_FORMAT} version "
                             f"{' or '.join(map(str, READABLE_VERSIONS))}")
        return cls.from_dict(data)


def _from_version_1(data: dict) -> dict:
    """A version 1 file as version 2: the fixed fields become the spine set's ids (their
    quotes, not tied to one number in version 1, are left out), `other_surgeon` is
    `not_counting`, and the set's file is known from its name."""
    said = data["surgeon_numbers"]
    return {
        **data,
        "question_set_file": V1_SETS.get(data["question_set"], DEFAULT_SET_FILE),
        "numbers": [{"id": number, "value": said.get(field_name)}
                    for field_name, number in V1_NUMBERS.items()],
        "artifacts": [{"id": key, "present": bool(data["artifacts"][key])}
                      for key in V1_ARTIFACTS],
        "items": [{**i, "outcome": V1_OUTCOMES.get(i["outcome"], i["outcome"])}
                  for i in data.get("items", ())],
    }
