"""The command line: help everywhere, and bad input answered in one sentence."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from recorder.app.cli import main


def _commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    for path, command in _commands(main):
        assert command.help, f"`visit {' '.join(path)}` has no help text"
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output, f"`visit {' '.join(path)} --help` shows no example"


def test_top_level_help_lists_the_pipeline_commands():
    result = CliRunner().invoke(main, ["--help"])
    for name in ("transcribe", "analyze", "report", "process"):
        assert name in result.output


def _one_clear_sentence(result, *fragments):
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = [line for line in result.output.splitlines() if line.strip()]
    error_lines = [line for line in message if line.startswith("Error")]
    assert len(error_lines) == 1, result.output
    for fragment in fragments:
        assert fragment in result.output


@pytest.mark.parametrize("command", ["process", "transcribe"])
def test_a_missing_file(tmp_path, command):
    result = CliRunner().invoke(main, [command, str(tmp_path / "nope.m4a")])
    _one_clear_sentence(result, "does not exist")


@pytest.mark.parametrize("command", ["process", "transcribe"])
def test_an_empty_audio_file(tmp_path, command):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, [command, str(empty)])
    _one_clear_sentence(result, "is empty")
    assert not (tmp_path / "empty-visit").exists() or not any(
        p.name.startswith("recording") for p in (tmp_path / "empty-visit").iterdir())


def test_a_file_that_is_not_audio(tmp_path):
    fake = tmp_path / "notes.mp3"
    fake.write_text("These are my notes, not a recording.\n" * 50)
    result = CliRunner().invoke(main, ["process", str(fake)])
    _one_clear_sentence(result, "could not be read as audio")
    assert fake.read_text().startswith("These are my notes")  # the original is untouched


def test_a_file_type_the_tool_does_not_read(tmp_path):
    other = tmp_path / "scan.pdf"
    other.write_bytes(b"%PDF-1.4")
    result = CliRunner().invoke(main, ["process", str(other)])
    _one_clear_sentence(result, "not an audio file")


@pytest.mark.parametrize("command", ["report", "process", "analyze"])
def test_a_folder_that_is_not_a_visit(tmp_path, command):
    (tmp_path / "holiday.jpg").write_bytes(b"\xff\xd8")
    result = CliRunner().invoke(main, [command, str(tmp_path)])
    _one_clear_sentence(result, "not a visit folder")


def test_report_before_analysis_says_which_command_to_run(tmp_path):
    from recorder.storage.visit import create_visit

    visit = create_visit(tmp_path / "v")
    result = CliRunner().invoke(main, ["report", str(visit.path)])
    _one_clear_sentence(result, "visit analyze")


def test_an_unknown_engine_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["transcribe", str(tmp_path), "--engine", "siri"])
    assert result.exit_code == 2 and "siri" in result.output


def test_a_malformed_question_set_names_the_line(tmp_path):
    transcript = tmp_path / "t.txt"
    transcript.write_text("Hello doctor.\n")
    bad = tmp_path / "questions.toml"
    bad.write_text('name = "x"\n[[questions]]\nid = "Q1"\ntext = "What?"\nrequires = "vibes"\n')
    result = CliRunner().invoke(main, ["analyze", str(transcript), "--questions", str(bad)])
    _one_clear_sentence(result, "line 5", "vibes")  # the line of `requires = "vibes"`


def test_a_different_recording_never_overwrites_a_visit(tmp_path, sample_copy):
    from recorder.storage.visit import visit_for_audio

    visit = visit_for_audio(sample_copy, tmp_path / "v")
    before = (visit.path / "recording.mp3").read_bytes()
    other = tmp_path / "other.mp3"
    other.write_bytes(before[:-1000])
    result = CliRunner().invoke(main, ["transcribe", str(other), "--out", str(visit.path)])
    _one_clear_sentence(result, "already holds a different recording")
    assert (visit.path / "recording.mp3").read_bytes() == before
