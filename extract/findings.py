"""The Findings contract: what the analyzer found, with the words and times behind it.

Its JSON form (documented in docs/formats.md) is versioned so other tools can read it:
format "appointment-recorder/findings", version 1.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

FINDINGS_FORMAT = "appointment-recorder/findings"
FINDINGS_VERSION = 1

Status = Literal["answered", "partial", "unanswered", "not_asked"]
STATUSES: tuple[Status, ...] = ("answered", "partial", "unanswered", "not_asked")
Verdict = Literal["equipped", "partial", "second_consultation_warranted"]
RED_FLAG_KINDS = ("dismissal", "not_candidate_no_reason", "same_day_pressure",
                  "refused_comparison", "refused_referral")


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
class SurgeonNumbers:
    fusions_per_year: int | None = None
    revision_rate_5yr_pct: float | None = None
    pct_not_fused: float | None = None
    quotes: tuple[Span, ...] = ()  # the words each number was taken from


@dataclass(frozen=True)
class RedFlag:
    kind: str  # one of RED_FLAG_KINDS
    start: float
    end: float
    text: str  # the words that were said
    why: str


@dataclass(frozen=True)
class ItemFinding:
    """One of the other things the patient asks for: comparison, referral, cost..."""

    id: str
    outcome: str  # "agreed", "refused", "said" or "not_discussed"
    asked: Span | None = None
    quote: Span | None = None


@dataclass(frozen=True)
class Artifacts:
    written_comparison: bool
    five_answers: bool
    volume_and_revision: bool
    referral: bool
    delay_risk_understood: bool

    @property
    def count(self) -> int:
        return sum(asdict(self).values())


@dataclass(frozen=True)
class Findings:
    question_set: str
    questions: tuple[QuestionFinding, ...]
    procedures: tuple[ProcedureFinding, ...]
    surgeon_numbers: SurgeonNumbers
    red_flags: tuple[RedFlag, ...]
    items: tuple[ItemFinding, ...]
    artifacts: Artifacts
    verdict: Verdict
    goal: Span | None = None  # where the patient stated their goal, if they did
    format: str = field(default=FINDINGS_FORMAT)
    version: int = field(default=FINDINGS_VERSION)

    def question(self, question_id: str) -> QuestionFinding:
        return next(q for q in self.questions if q.id == question_id)

    def to_dict(self) -> dict:
        data = asdict(self)
        order = ("format", "version", "question_set", "verdict", "artifacts", "goal",
                 "questions", "procedures", "surgeon_numbers", "items", "red_flags")
        return {key: data[key] for key in order}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> "Findings":
        def span(value, kind=Span):
            return kind(**value) if value else None

        numbers = dict(data["surgeon_numbers"])
        numbers["quotes"] = tuple(Span(**q) for q in numbers.get("quotes", ()))
        return cls(
            question_set=data["question_set"],
            questions=tuple(
                QuestionFinding(**{**q, "asked": span(q["asked"], Asked),
                                   "answer": span(q["answer"]),
                                   "facts": tuple(q.get("facts", ()))})
                for q in data["questions"]),
            procedures=tuple(
                ProcedureFinding(**{**p, "mentions": tuple(Span(**m) for m in p["mentions"])})
                for p in data["procedures"]),
            surgeon_numbers=SurgeonNumbers(**numbers),
            red_flags=tuple(RedFlag(**r) for r in data["red_flags"]),
            items=tuple(ItemFinding(**{**i, "asked": span(i["asked"]), "quote": span(i["quote"])})
                        for i in data.get("items", ())),
            artifacts=Artifacts(**data["artifacts"]),
            verdict=data["verdict"],
            goal=span(data.get("goal")),
        )

    @classmethod
    def from_json(cls, text: str) -> "Findings":
        data = json.loads(text)
        if data.get("format") != FINDINGS_FORMAT or data.get("version") != FINDINGS_VERSION:
            raise ValueError(f"not {FINDINGS_FORMAT} version {FINDINGS_VERSION}")
        return cls.from_dict(data)
