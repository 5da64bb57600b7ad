"""Findings -> followup.txt: a short, polite email asking the practice, in writing, for what
the visit left open (questions.md: "email the unanswered questions to the practice and ask for
a written reply").

Pure: takes Findings and the question set they were made with, returns the text; the command
line writes the file. Every request line is the set's own wording (`request` of its items and
numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from extract.findings import Findings, QuestionFinding
from extract.questionset import QuestionSet
from reports.render import environment


@dataclass(frozen=True)
class OpenRequests:
    """What is still open after the visit, in the order the email asks for it."""

    asked: tuple[QuestionFinding, ...]  # asked, and deflected or answered only in part
    not_asked: tuple[QuestionFinding, ...]
    others: tuple[str, ...]  # the set's request lines for the missing artifacts' items, numbers

    @property
    def empty(self) -> bool:
        return not (self.asked or self.not_asked or self.others)


def open_requests(findings: Findings, question_set: QuestionSet) -> OpenRequests:
    others: list[str] = []
    for artifact in question_set.artifacts:
        if findings.artifact(artifact.id):
            continue
        if artifact.needs == "item":
            item = question_set.item(artifact.ids[0])
            others.append(item.request if item else "")
        elif artifact.needs == "numbers":
            others += [n.request for n in question_set.numbers
                       if n.id in artifact.ids and findings.number(n.id) is None]
    return OpenRequests(
        asked=tuple(q for q in findings.questions if q.status in ("unanswered", "partial")),
        not_asked=tuple(q for q in findings.questions if q.status == "not_asked"),
        others=tuple(dict.fromkeys(line for line in others if line)),
    )


def draft_followup(findings: Findings, question_set: QuestionSet, *,
                   visit_date: date | None = None) -> str:
    """The email, ready to paste; or one sentence saying there is nothing to follow up."""
    still_open = open_requests(findings, question_set)
    if still_open.empty:
        return question_set.wording.nothing_to_follow_up + "\n"
    return environment("txt").get_template("followup.txt").render(
        open=still_open, visit_date=visit_date)
