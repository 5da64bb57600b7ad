"""Findings -> followup.txt: a short, polite email asking the practice, in writing, for what
the visit left open (questions.md: "email the unanswered questions to the practice and ask for
a written reply").

Pure: takes Findings, returns the text; the command line writes the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from extract.findings import Findings, QuestionFinding
from reports.render import environment

NOTHING_TO_FOLLOW_UP = ("Nothing to follow up: all your questions were answered, and you have "
                        "the written comparison, the surgeon's numbers and the referral.")


@dataclass(frozen=True)
class OpenRequests:
    """What is still open after the visit, in the order the email asks for it."""

    asked: tuple[QuestionFinding, ...]  # asked, and deflected or answered only in part
    not_asked: tuple[QuestionFinding, ...]
    comparison: bool  # the written treatment comparison is missing
    referral: bool  # no referral to a non-surgical specialist
    fusions_per_year: bool  # the surgeon's numbers that were not said
    revision_rate: bool

    @property
    def others(self) -> bool:
        return self.comparison or self.referral or self.fusions_per_year or self.revision_rate

    @property
    def empty(self) -> bool:
        return not (self.asked or self.not_asked or self.others)


def open_requests(findings: Findings) -> OpenRequests:
    numbers = findings.surgeon_numbers
    return OpenRequests(
        asked=tuple(q for q in findings.questions if q.status in ("unanswered", "partial")),
        not_asked=tuple(q for q in findings.questions if q.status == "not_asked"),
        comparison=not findings.artifacts.written_comparison,
        referral=not findings.artifacts.referral,
        fusions_per_year=numbers.fusions_per_year is None,
        revision_rate=numbers.revision_rate_5yr_pct is None,
    )


def draft_followup(findings: Findings, *, visit_date: date | None = None) -> str:
    """The email, ready to paste; or one sentence saying there is nothing to follow up."""
    still_open = open_requests(findings)
    if still_open.empty:
        return NOTHING_TO_FOLLOW_UP + "\n"
    return environment("txt").get_template("followup.txt").render(
        open=still_open, visit_date=visit_date)
