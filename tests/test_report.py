"""The report: escaping in every format, `visit report` and its formats, and the summary
`visit process` prints."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from dataclasses import replace
from itertools import takewhile
from pathlib import Path

from click.testing import CliRunner

from extract.questionset import load_question_set
from recorder.app.cli import main
from reports.render import (
    STATUS_LABELS,
    red_flag_labels,
    render_html,
    render_markdown,
    render_text,
)
from testkit.report_cases import GOLDEN, make_visit, report_input

VISIT = Path(sys.executable).with_name("visit")  # the installed command
HOSTILE = GOLDEN / "red-flags"  # its transcript holds <script>, HTML, Jinja syntax and ANSI


def test_html_escapes_every_word_from_the_transcript():
    html = render_html(report_input(HOSTILE))
    assert html.count("<script") == html.count("<script>\n") == 2  # the report's own two
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html
    assert "{{ 7 * 7 }}" in html and "{% if true %}x{% endif %}" in html  # never evaluated
    assert "<b>" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\x1b" not in html


def test_markdown_shows_markup_from_the_transcript_as_literal_characters():
    markdown = render_markdown(report_input(HOSTILE))
    assert "<" not in markdown.replace("\\<", "")  # every < is escaped, so no raw HTML
    assert "\\<script\\>window.pwned = 1\\</script\\>" in markdown
    assert "\\*stars\\* \\_under\\_ \\[link\\]" in markdown
    assert "\x1b" not in markdown


def test_plain_text_keeps_the_words_and_drops_terminal_control_codes():
    text = render_text(report_input(HOSTILE))
    assert "<script>window.pwned = 1</script>" in text
    assert "\x1b" not in text and "[31mred" in text


def test_report_writes_html_markdown_text_and_the_followup_email(tmp_path):
    visit = make_visit(HOSTILE, tmp_path / "visit")
    result = CliRunner().invoke(main, ["report", str(visit)])
    assert result.exit_code == 0, result.output
    names = ("report.html", "report.md", "report.txt", "followup.txt")
    for name in names:
        assert str(visit / name) in result.output
    manifest = json.loads((visit / "manifest.json").read_text())
    report_stage = next(s for s in manifest["stages"] if s["stage"] == "report")
    assert report_stage["details"]["files"] == list(names)
    for fmt, name in (("txt", "report.txt"), ("md", "report.md"), ("html", "report.html")):
        printed = CliRunner().invoke(main, ["report", str(visit), "--format", fmt])
        assert printed.exit_code == 0
        assert printed.output == (visit / name).read_text()


def test_report_format_json_prints_the_findings(tmp_path):
    visit = make_visit(HOSTILE, tmp_path / "visit")
    result = CliRunner().invoke(main, ["report", str(visit), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads((HOSTILE / "findings.json").read_text())


def test_report_before_analysis_says_what_to_run(tmp_path):
    visit = make_visit(HOSTILE, tmp_path / "visit")
    (visit / "findings.json").unlink()
    result = CliRunner().invoke(main, ["report", str(visit)])
    assert result.exit_code == 1
    assert "has no findings yet; run `visit analyze" in result.output
    assert "Traceback" not in result.output


def test_the_summary_after_process_names_each_status_the_warnings_and_the_next_step(
        processed_sample):
    findings = json.loads((processed_sample / "findings.json").read_text())
    result = CliRunner().invoke(main, ["process", str(processed_sample)], color=True,
                                env={"NO_COLOR": ""})  # an empty NO_COLOR counts as unset
    assert result.exit_code == 0, result.output
    assert "\x1b[" in result.output
    result = CliRunner().invoke(main, ["process", str(processed_sample)])
    for question in findings["questions"]:
        assert f"{question['id']}  {STATUS_LABELS[question['status']]}" in result.output
    labels = red_flag_labels(load_question_set())
    for flag in findings["red_flags"]:
        assert labels[flag["kind"]] in result.output
    present = sum(a["present"] for a in findings["artifacts"])
    assert f"Verdict: {findings['verdict']} ({present} of 5)" \
        in result.output
    assert f"Next: send the email in {processed_sample / 'followup.txt'}" in \
        " ".join(result.output.split())
    lines = result.output.splitlines()
    statuses = [line for line in lines if line.startswith("  Q")]
    first = next(n for n, line in enumerate(lines) if line.startswith("Verdict:"))
    verdict = [lines[first], *takewhile(lambda line: line.startswith("  "), lines[first + 1:])]
    assert len(statuses) == 5 and max(map(len, statuses + verdict)) <= 80


def _visit_summary(folder, *, terminal: bool, no_color: str | None) -> str:
    """`visit process` run for real, its output a pseudo-terminal or a pipe."""
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    command = [str(VISIT), "process", str(folder)]
    if not terminal:
        return subprocess.run(command, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=True, timeout=300).stdout.decode()
    reader, writer = pty.openpty()
    try:
        subprocess.run(command, env=env, stdout=writer, stderr=subprocess.DEVNULL, check=True,
                       timeout=300)
        chunks = []
        while select.select([reader], [], [], 0.2)[0]:
            chunks.append(os.read(reader, 65536))
        return b"".join(chunks).decode()
    finally:
        os.close(reader)
        os.close(writer)


def test_the_summary_is_coloured_only_on_a_terminal_without_no_color(processed_sample):
    coloured = _visit_summary(processed_sample, terminal=True, no_color=None)
    assert "\x1b[32m" in coloured and "Verdict:" in coloured  # green for answered
    for plain in (_visit_summary(processed_sample, terminal=True, no_color="1"),
                  _visit_summary(processed_sample, terminal=False, no_color=None)):
        assert "Verdict:" in plain and "\x1b[" not in plain


def test_a_visit_without_a_recording_gets_no_player_and_notes_are_optional():
    data = replace(report_input(GOLDEN / "nothing"), markers=({"time": 65.0},))
    html = render_html(data)
    assert "<audio" not in html and 'class="play"' not in html and 'class="at"' not in html
    assert html.count('<article class="card not_asked"') == len(data.findings.questions)
    assert "1:05" in html and "1:05" in render_markdown(data) and "1:05" in render_text(data)
