"""`visit process` labels who spoke, through the command line: a visit's real recording and
the real speaker encoder; the transcript here is the spoken script's own turns (no Whisper),
so the test checks the wiring, and test_speakers_audio.py the recogniser's segments."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from recorder.app.cli import main
from recorder.capture.recording import CONSENT_SCRIPT
from testkit.speech import speak

pytestmark = pytest.mark.speaker_model  # the model made through torch (tests/conftest.py)

TURNS = [
    ("patient", CONSENT_SCRIPT),
    ("surgeon", "Yes, that's fine with me. Go ahead."),
    ("patient", "Based on my imaging, what is the specific structural problem causing my pain?"),
    ("surgeon", "You have a disc protrusion at L4-L5, with an annular tear that touches the "
                "nerve root on the left side."),
    ("patient", "How many fusions at this level do you perform each year?"),
    ("surgeon", "About one hundred and twenty fusions a year, most of them at this level."),
]


@pytest.fixture(scope="module")
def spoken():
    return speak(TURNS)


@pytest.fixture()
def transcribed_visit(tmp_path, spoken):
    """A visit folder with the recording and a current transcript of it, one segment a turn."""
    from extract.transcript import Segment, Transcript
    from recorder.app.pipeline import write_transcript
    from recorder.storage.visit import visit_for_audio

    visit = visit_for_audio(spoken.write(tmp_path / "visit.wav"), tmp_path / "visit")
    transcript = Transcript(
        engine="faster-whisper", model="base", language="en", duration_s=spoken.duration_s,
        segments=tuple(Segment(t.start, t.end, t.text) for t in spoken.turns),
        audio_sha256=visit.read_manifest().audio_sha256)
    write_transcript(visit, transcript)
    visit.record_stage("transcribe", engine="faster-whisper", model="base", language="en")
    return visit


def test_process_labels_the_speakers_and_the_report_shows_them(transcribed_visit, spoken):
    result = CliRunner().invoke(main, ["process", str(transcribed_visit.path)])
    assert result.exit_code == 0, result.output
    assert "Speakers: Patient (read the consent script" in result.output
    data = json.loads(transcribed_visit.transcript_json.read_text())
    assert [s["speaker"] for s in data["segments"]] == [
        "Patient" if t.speaker == "patient" else "Surgeon" for t in spoken.turns]
    assert [s["role"] for s in data["speakers"]] == ["patient", "surgeon"]
    text = transcribed_visit.file("transcript.txt").read_text()
    assert "] Surgeon: You have a disc protrusion" in text
    report = transcribed_visit.file("report.txt").read_text()
    assert "The reply from the surgeon, word for word" in report


def test_speakers_0_leaves_the_labels_out(transcribed_visit):
    result = CliRunner().invoke(main, ["process", str(transcribed_visit.path), "--speakers", "0"])
    assert result.exit_code == 0, result.output
    data = json.loads(transcribed_visit.transcript_json.read_text())
    assert "speakers" not in data and {s["speaker"] for s in data["segments"]} == {None}


def test_speakers_0_takes_off_labels_an_earlier_run_made(transcribed_visit):
    for extra in ([], ["--speakers", "0"]):
        result = CliRunner().invoke(main, ["process", str(transcribed_visit.path), *extra])
        assert result.exit_code == 0, result.output
    data = json.loads(transcribed_visit.transcript_json.read_text())
    assert "speakers" not in data and {s["speaker"] for s in data["segments"]} == {None}
    assert "Surgeon:" not in transcribed_visit.file("transcript.txt").read_text()


def test_without_the_speaker_model_a_warning_or_one_sentence(transcribed_visit, tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    asked = CliRunner().invoke(main, ["process", str(transcribed_visit.path), "--speakers", "2",
                                      "--models-dir", str(empty)])
    assert asked.exit_code == 1 and "Traceback" not in asked.output
    errors = [line for line in asked.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "visit models install speakers" in errors[0], asked.output
    quiet = CliRunner().invoke(main, ["process", str(transcribed_visit.path),
                                      "--models-dir", str(empty)])
    assert quiet.exit_code == 0, quiet.output
    assert "Warning: The speaker-label model is not in" in quiet.output


def test_labels_from_another_tool_reach_the_report(tmp_path):
    vtt = tmp_path / "teams.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Jane Doe>How many fusions at "
                   "this level do you perform each year?</v>\n\n00:00:05.500 --> 00:00:09.000\n"
                   "<v Dr. Brandt>About one hundred and twenty a year.</v>\n", encoding="utf-8")
    folder = tmp_path / "visit"
    for command in (["analyze", str(vtt), "--out", str(folder)], ["report", str(folder)]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0, result.output
    report = (tmp_path / "visit" / "report.txt").read_text()
    assert "Jane Doe: How many fusions" in report and "Dr. Brandt: About one hundred" in report


def test_the_consent_wordings_come_from_the_manifest():
    """What the patient says as a `visit record` recording opens: the stored script and the
    sentence naming who agreed (recorder/capture/recording.py's spoken prompt)."""
    from recorder.app.pipeline import consent_wordings
    from recorder.storage.visit import Manifest

    recorded = Manifest(created="", consent={"given_by": ["Dr. Brandt", "Jane Doe"],
                                             "time": "2026-12-01T09:30:00+00:00",
                                             "method": "--consent-by", "script": "Our words."})
    assert consent_wordings(recorded) == (
        "Our words.", "Dr. Brandt and Jane Doe agreed to record this conversation.")
    assert consent_wordings(Manifest(created="")) == (CONSENT_SCRIPT,)
