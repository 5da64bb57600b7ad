"""The terminal summary: the report in a few lines, wrapped for a standard terminal.

Pure: it returns lines. Colour comes from a `style` function the caller hands in (the
command line passes `click.style`); the default leaves the text plain.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

from extract.findings import Findings
from extract.questionset import QuestionSet
from extract.transcript import clock
from reports.render import STATUS_LABELS, red_flag_labels

SUMMARY_WIDTH = 80  # columns: the summary reads well in a standard terminal
SUMMARY_QUESTION_CHARS = 57  # "  Q1  ", a 16-column status, a space and 57: 80 columns
STATUS_COLOURS = {"answered": "green", "partial": "yellow", "unanswered": "red",
                  "not_asked": "bright_black"}

Style = Callable[..., str]  # (text, fg=..., bold=...) -> text, as click.style


def _plain(text: str, **_: object) -> str:
    return text


def summary_lines(findings: Findings, question_set: QuestionSet, *, report: Path | None = None,
                  followup: Path | None = None, style: Style = _plain) -> list[str]:
    """Where the report is, each question's status, the warning signs, the verdict and what
    to do next."""
    lines = [] if report is None else [f"Report: {report}"]
    labels = red_flag_labels(question_set)
    verdict = question_set.verdict(findings.verdict)
    count, total = findings.artifact_count, len(findings.artifacts)
    for q in findings.questions:
        label = style(f"{STATUS_LABELS[q.status]:16}", fg=STATUS_COLOURS[q.status], bold=True)
        question = textwrap.shorten(q.text, SUMMARY_QUESTION_CHARS, placeholder=" ...",
                                    break_on_hyphens=False)
        lines.append(f"  {q.id}  {label} {question}")
    for flag in findings.red_flags:
        lines.append(style(f"Warning sign at {clock(flag.start)}: "
                           f"{labels.get(flag.kind, flag.kind)}", fg="red", bold=True))
    closing = [f"Verdict: {findings.verdict} ({count} of {total}). "
               f"{verdict.label if verdict else ''}".rstrip()]
    if followup is not None and count < total:
        closing.append(f"Next: send the email in {followup} to the practice; it asks in "
                       "writing for what is still open.")
    lines += [textwrap.fill(line, SUMMARY_WIDTH, subsequent_indent="  ",
                            break_long_words=False, break_on_hyphens=False) for line in closing]
    return lines
