"""Findings + Transcript -> the report a patient reads: HTML and Markdown.

Pure: these functions take objects and return strings; the command line writes the files.
Every template is autoescaped (HTML) or plain text, so words in a transcript are only ever
shown as words.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from extract.findings import Findings
from recorder.transcript import Transcript, clock

STATUS_LABELS = {
    "answered": "Answered",
    "partial": "Partly answered",
    "unanswered": "Not answered",
    "not_asked": "Not asked",
}
VERDICT_LABELS = {
    "equipped": "You have what you need to make an informed decision.",
    "partial": "You got some of what you came for. A few things are still missing.",
    "second_consultation_warranted": "The visit did not give you enough information. "
                                     "Get a second consultation before scheduling any surgery.",
}
# The five artifacts of a visit that worked, in plain words, and what to do when one is missing.
ARTIFACTS = (
    ("written_comparison", "A written comparison of surgery and non-surgical options",
     "Ask the practice to put the comparison (surgery and two alternatives, with expected "
     "outcomes) on your after-visit summary."),
    ("five_answers", "Clear answers to all five of your questions",
     "Email the unanswered questions to the practice and ask for a written reply; practices "
     "usually answer in 3-5 business days (`visit followup` drafts the email)."),
    ("volume_and_revision", "The surgeon's own numbers: fusions per year and revision rate",
     "Ask the office for the surgeon's yearly number of fusions at your level and their "
     "5-year revision rate, in writing."),
    ("referral", "A referral to a non-surgical spine specialist",
     "Ask for a referral to a physiatrist, an interventional pain specialist or a "
     "regenerative spine practice, not another surgeon."),
    ("delay_risk_understood", "A number for the risk of waiting six months",
     "Ask again, in writing, for the realistic risk of irreversible damage if you delay "
     "surgery six months."),
)
RED_FLAG_LABELS = {
    "dismissal": "Non-surgical options dismissed",
    "not_candidate_no_reason": "\"Not a candidate\" without a reason",
    "same_day_pressure": "Pressure to decide today",
    "refused_comparison": "Written comparison refused",
    "refused_referral": "Referral refused",
}
ITEM_LABELS = {
    "volume": "Fusions per year", "revision": "Revision rate", "not_fused": "Patients not fused",
    "cost": "Cost and prior authorization", "comparison": "Written comparison",
    "referral": "Referral for a second opinion",
}
MACHINE_NOTE = ("This transcript was made by a computer and may contain errors. "
                "The audio recording is the true record of what was said.")


@dataclass(frozen=True)
class ReportInput:
    findings: Findings
    transcript: Transcript | None
    audio_name: str | None  # the recording's file name, relative to the report
    markers: tuple[dict, ...] = ()
    tool_version: str = ""


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("reports", "templates"),
                      autoescape=select_autoescape(["html"], default=False),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["clock"] = clock
    return env


def _context(data: ReportInput) -> dict:
    artifacts = data.findings.artifacts
    return dict(
        f=data.findings, transcript=data.transcript, audio=data.audio_name,
        markers=data.markers, tool_version=data.tool_version,
        status_labels=STATUS_LABELS, verdict_label=VERDICT_LABELS[data.findings.verdict],
        artifacts=[(key, label, getattr(artifacts, key), todo) for key, label, todo in ARTIFACTS],
        artifact_count=artifacts.count, red_flag_labels=RED_FLAG_LABELS,
        item_labels=ITEM_LABELS, machine_note=MACHINE_NOTE,
    )


def render(data: ReportInput, template: str) -> str:
    return _environment().get_template(template).render(**_context(data))


def render_html(data: ReportInput) -> str:
    return render(data, "report.html")


def render_markdown(data: ReportInput) -> str:
    return render(data, "report.md")
