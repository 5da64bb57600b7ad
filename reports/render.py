"""Findings + Transcript -> the report a patient reads: HTML, Markdown and plain text.

Pure: these functions take objects and return strings; the command line writes the files.
Escaping belongs to the environment, never to a template: HTML templates are autoescaped,
every value in Markdown has its Markdown and HTML characters backslash-escaped, and every
value in plain text loses terminal control characters. So words from a transcript, even
`<script>` or `{{ ... }}`, are only ever shown as words.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from extract.findings import Findings, Span
from extract.questionset import QuestionSet
from extract.transcript import Transcript, clock

STATUS_LABELS = {
    "answered": "Answered",
    "partial": "Partly answered",
    "unanswered": "Not answered",
    "not_asked": "Not asked",
}
# Shown beside each label so a status never depends on colour (print, colour blindness).
STATUS_SYMBOLS = {"answered": "✓", "partial": "◐", "unanswered": "✗", "not_asked": "–"}
OUTCOME_LABELS = {
    "agreed": "Agreed",
    "refused": "Refused",
    "not_counting": "Agreed, but not with someone who counts for this request",
    "said": "Answered",
    "not_discussed": "Not discussed",
}
FOLLOWUP_FILE = "followup.txt"  # written beside the report; the next steps point to it
MACHINE_NOTE = ("This transcript was made by a computer and may contain errors: it can miss a "
                "word, even a \"not\". The audio recording is the true record of what was said.")


@dataclass(frozen=True)
class ReportInput:
    findings: Findings
    question_set: QuestionSet  # the set the findings were made with: its wording is the report's
    transcript: Transcript | None
    audio_name: str | None  # the recording's file name, relative to the report
    markers: tuple[dict, ...] = ()  # {"time": seconds, "note": str} from the manifest
    tool_version: str = ""
    visit_date: date | None = None  # known when the visit was recorded with this tool
    followup_email: str | None = None  # the text of followup.txt; None: nothing to ask for


@dataclass(frozen=True)
class NumberRow:
    label: str
    value: str | None  # None: not said
    meaning: str
    quote: Span | None


@dataclass(frozen=True)
class RequestRow:
    id: str
    label: str
    outcome: str
    met: bool
    quote: Span | None


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _number(value: float) -> str:
    return f"{value:g}"


def number_rows(findings: Findings, question_set: QuestionSet) -> tuple[NumberRow, ...]:
    items = {i.id: i for i in findings.items}
    rows = []
    for number in question_set.numbers:
        value = findings.number(number.id)
        item = items.get(number.id)
        rows.append(NumberRow(label=number.name, meaning=number.meaning,
                              value=None if value is None else _number(value) + number.unit,
                              quote=item.quote if item else None))
    return tuple(rows)


def request_rows(findings: Findings, question_set: QuestionSet) -> tuple[RequestRow, ...]:
    """The items the set names for the report, with whether the patient got what they asked."""
    rows = []
    for finding in findings.items:
        item = question_set.item(finding.id)
        if item is None or not item.name:
            continue
        outcome = (item.not_counting if finding.outcome == "not_counting" and item.not_counting
                   else OUTCOME_LABELS.get(finding.outcome, finding.outcome.replace("_", " ")))
        rows.append(RequestRow(id=finding.id, label=item.name, outcome=outcome,
                               met=finding.outcome in item.met, quote=finding.quote))
    return tuple(rows)


def red_flag_labels(question_set: QuestionSet) -> dict[str, str]:
    """Each red flag's heading: the set's label, else its kind in words."""
    return {r.kind: r.label or r.kind.replace("_", " ").capitalize()
            for r in question_set.red_flags}


def next_steps(findings: Findings, question_set: QuestionSet, *,
               email_on_page: bool = False) -> tuple[str, ...]:
    """What the patient does now, most important first, in plain words."""
    steps = []
    if findings.artifact_count < len(findings.artifacts):
        email = (f"the email further down this page to the practice (it is also saved as "
                 f"{FOLLOWUP_FILE})" if email_on_page
                 else f"the email in {FOLLOWUP_FILE} (in this folder) to the practice")
        steps.append(f"Send {email}. It asks, politely and in writing, for everything marked "
                     "Missing below.")
    verdict = question_set.verdict(findings.verdict)
    if verdict is not None and verdict.next_step:
        steps.append(verdict.next_step)
    if findings.red_flags:
        steps.append(question_set.wording.red_flags_step)
    steps.append(question_set.wording.last_step)
    return tuple(steps)


def said_by(transcript: Transcript | None, span: Span | None) -> str:
    """Who said the words of `span`, as a report sentence names them: "the surgeon",
    "the patient", "Speaker 2"; "" when the transcript has no speaker labels there. The
    speaker is the one whose segments cover most of the span's time."""
    if transcript is None or span is None:
        return ""
    covered: dict[str, float] = {}
    for segment in transcript.segments:
        overlap = min(segment.end, span.end) - max(segment.start, span.start)
        if segment.speaker and (overlap > 0 or segment.start <= span.start < segment.end):
            covered[segment.speaker] = covered.get(segment.speaker, 0.0) + max(overlap, 0.0)
    if not covered:
        return ""
    label = max(covered, key=covered.get)
    roles = {s.label: s.role for s in transcript.speakers}
    return f"the {label.lower()}" if roles.get(label) else label


def _without_controls(text: str) -> str:
    """Terminal escape sequences and other control characters removed; tabs, newlines kept."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)


# Characters that make Markdown or HTML anywhere in a line, and those that do at its start.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|&~])")
MARKDOWN_LINE_START = re.compile(r"^(\d*)([-+.)])(?=\s)")  # "- x", "+ x", "1. x", "1) x"


def _markdown_value(value) -> str:
    """A value as literal Markdown text: one line, every special character escaped."""
    text = re.sub(r"\s+", " ", _without_controls(str(value)))
    return MARKDOWN_LINE_START.sub(r"\1\\\2", MARKDOWN_SPECIAL.sub(r"\\\1", text))


def _text_value(value) -> str:
    return _without_controls(str(value))


def _wrap(text: str, width: int = 78, indent: str = "", hang: str | None = None) -> str:
    """A paragraph filled to `width` columns; `hang` indents its following lines."""
    return textwrap.fill(" ".join(str(text).split()), width=width, initial_indent=indent,
                         subsequent_indent=indent if hang is None else hang,
                         break_long_words=False, break_on_hyphens=False)


@lru_cache(maxsize=None)
def environment(kind: str) -> Environment:
    """`html`: autoescaped. `md`: every value escaped for Markdown. `txt`: plain text.
    In all three, values lose terminal control characters (a report may be printed to one)."""
    env = Environment(loader=PackageLoader("reports", "templates"),
                      autoescape=kind == "html", undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      finalize=_markdown_value if kind == "md" else _text_value)
    env.filters.update(clock=clock, wrap=_wrap, long_date=long_date)
    env.tests["same_words_as"] = same_words
    env.globals.update(status_labels=STATUS_LABELS, status_symbols=STATUS_SYMBOLS,
                       machine_note=MACHINE_NOTE)
    return env


def same_words(said: str, written: str) -> bool:
    """Whether a question was asked exactly as written, ignoring case and punctuation."""
    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    return words(said) == words(written)


def _context(data: ReportInput, kind: str) -> dict:
    findings, question_set = data.findings, data.question_set
    present = {a.id: a.present for a in findings.artifacts}
    verdict = question_set.verdict(findings.verdict)
    return dict(
        f=findings, transcript=data.transcript, audio=data.audio_name,
        said_by=lambda span: said_by(data.transcript, span),
        markers=data.markers, tool_version=data.tool_version, visit_date=data.visit_date,
        wording=question_set.wording, red_flag_labels=red_flag_labels(question_set),
        verdict_headline=verdict.headline if verdict else findings.verdict,
        verdict_label=verdict.label if verdict else "",
        artifacts=[(a, present.get(a.id, False)) for a in question_set.artifacts],
        artifact_count=findings.artifact_count, artifact_total=len(findings.artifacts),
        question_statuses=", ".join(f"{q.id} {STATUS_LABELS[q.status]}"
                                    for q in findings.questions),
        next_steps=next_steps(findings, question_set, email_on_page=kind == "html"
                              and data.followup_email is not None),
        followup_email=data.followup_email, followup_file=FOLLOWUP_FILE,
        numbers=number_rows(findings, question_set),
        requests=request_rows(findings, question_set),
        discussed=[p for p in findings.procedures if p.discussed],
        not_discussed=[p for p in findings.procedures if not p.discussed],
    )


def render(data: ReportInput, template: str) -> str:
    kind = template.rsplit(".", 1)[-1]
    return environment(kind).get_template(template).render(**_context(data, kind))


def render_html(data: ReportInput) -> str:
    return render(data, "report.html")


def render_markdown(data: ReportInput) -> str:
    return render(data, "report.md")


def render_text(data: ReportInput) -> str:
    return render(data, "report.txt")
