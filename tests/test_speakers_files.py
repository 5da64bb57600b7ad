"""Speaker labels in transcript files: written by us in every format, read from other tools'
exports (WebVTT voice spans, "Name: " prefixes, Otter's text export) instead of deleted."""

from __future__ import annotations

import json

from extract.transcript import Segment, Speaker, Transcript
from recorder.storage.transcript_files import read_transcript, to_srt, to_text, to_vtt

LABELLED = Transcript(
    engine="faster-whisper", model="base", language="en", duration_s=9.0,
    segments=(Segment(start=0.5, end=3.25, text="How many fusions do you do a year?",
                      speaker="Patient"),
              Segment(start=4.0, end=6.5, text="About 120 a year.", speaker="Surgeon"),
              Segment(start=7.0, end=8.0, text="And revisions?", speaker="Speaker 3")),
    speakers=(Speaker("Patient", "patient", "read the consent script"),
              Speaker("Surgeon", "surgeon", "replied to the consent script"),
              Speaker("Speaker 3")))

GOLDEN_VTT = """WEBVTT

00:00:00.500 --> 00:00:03.250
<v Patient>How many fusions do you do a year?

00:00:04.000 --> 00:00:06.500
<v Surgeon>About 120 a year.

00:00:07.000 --> 00:00:08.000
<v Speaker 3>And revisions?
"""

GOLDEN_SRT = """1
00:00:00,500 --> 00:00:03,250
Patient: How many fusions do you do a year?

2
00:00:04,000 --> 00:00:06,500
Surgeon: About 120 a year.

3
00:00:07,000 --> 00:00:08,000
Speaker 3: And revisions?
"""

GOLDEN_TEXT = """[0:00] Patient: How many fusions do you do a year?
[0:04] Surgeon: About 120 a year.
[0:07] Speaker 3: And revisions?
"""


def test_writers_put_the_speaker_on_every_labelled_segment():
    assert to_vtt(LABELLED) == GOLDEN_VTT
    assert to_srt(LABELLED) == GOLDEN_SRT
    assert to_text(LABELLED) == GOLDEN_TEXT


def test_unlabelled_transcripts_are_written_as_before():
    bare = Transcript(engine="e", model="m", language="en", duration_s=2.0,
                      segments=(Segment(start=0.0, end=2.0, text="Hello."),))
    assert to_vtt(bare) == "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello.\n"
    assert to_text(bare) == "[0:00] Hello.\n"
    assert "speakers" not in json.loads(bare.to_json())


def test_our_files_read_back_with_their_speakers(tmp_path):
    for name, render in (("t.vtt", to_vtt), ("t.srt", to_srt), ("t.txt", to_text)):
        path = tmp_path / name
        path.write_text(render(LABELLED), encoding="utf-8")
        again = read_transcript(path)
        assert [(s.speaker, s.text) for s in again.segments] == \
               [(s.speaker, s.text) for s in LABELLED.segments], name
    path = tmp_path / "transcript.json"
    path.write_text(LABELLED.to_json(), encoding="utf-8")
    assert read_transcript(path) == LABELLED


def test_a_transcript_json_without_speakers_still_reads(tmp_path):
    old = {"format": "appointment-recorder/transcript", "version": 1, "engine": "faster-whisper",
           "model": "base", "language": "en", "duration_s": 2.0, "audio_sha256": None,
           "segments": [{"start": 0.0, "end": 2.0, "text": "Hello.", "words": [],
                         "confidence": 0.9, "low_confidence": False, "speaker": None}]}
    path = tmp_path / "transcript.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    transcript = read_transcript(path)
    assert transcript.speakers == ()
    assert transcript.segments[0].speaker is None


def test_teams_webvtt_voice_spans(tmp_path):
    """Microsoft Teams: cue identifiers, `<v Name>text</v>`, a class on the span."""
    path = tmp_path / "teams.vtt"
    path.write_text("WEBVTT\n\n"
                    "6b1d2a3c-0f9e-4d47-9a0b-1f2e3d4c5b6a/18-0\n"
                    "00:00:01.000 --> 00:00:04.000\n<v Dr. Maria Brandt>Come in, sit down.</v>\n\n"
                    "6b1d2a3c-0f9e-4d47-9a0b-1f2e3d4c5b6a/19-0\n"
                    "00:00:04.500 --> 00:00:06.000\n<v.loud Jane Doe>Thank you.</v>\n",
                    encoding="utf-8")
    transcript = read_transcript(path)
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        ("Dr. Maria Brandt", "Come in, sit down."), ("Jane Doe", "Thank you.")]


def test_zoom_and_buzz_name_prefixes_in_cues(tmp_path):
    """Zoom's cloud-recording VTT and Buzz's exports after speaker identification write
    "Name: text" in each cue."""
    path = tmp_path / "zoom.vtt"
    path.write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nJane Doe: What is my diagnosis?\n\n"
                    "2\n00:00:03.500 --> 00:00:06.000\nSpeaker 0: A disc protrusion at L4-L5.\n",
                    encoding="utf-8")
    transcript = read_transcript(path)
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        ("Jane Doe", "What is my diagnosis?"), ("Speaker 0", "A disc protrusion at L4-L5.")]


def test_a_lone_colon_in_unlabelled_cues_stays_text(tmp_path):
    path = tmp_path / "plain.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:03,000\nNote: bring the MRI disc.\n\n"
                    "2\n00:00:03,500 --> 00:00:06,000\nThe pain started in May.\n\n"
                    "3\n00:00:06,500 --> 00:00:08,000\nIt goes down my leg.\n", encoding="utf-8")
    transcript = read_transcript(path)
    assert {s.speaker for s in transcript.segments} == {None}
    assert transcript.segments[0].text == "Note: bring the MRI disc."


def test_otter_text_export_gives_speakers_and_times(tmp_path):
    """Otter's .txt: "Name  0:00" (two spaces, the turn's start), the turn's text below."""
    path = tmp_path / "otter.txt"
    path.write_text("Jane Doe  0:00\nI have had back pain for two years.\nIt goes down my leg.\n\n"
                    "Dr. Brandt  0:07\nLet us look at your MRI.\n\n"
                    "Jane Doe  1:02:03\nThank you.\n", encoding="utf-8")
    transcript = read_transcript(path)
    assert [(s.start, s.speaker, s.text) for s in transcript.segments] == [
        (0.0, "Jane Doe", "I have had back pain for two years. It goes down my leg."),
        (7.0, "Dr. Brandt", "Let us look at your MRI."),
        (3723.0, "Jane Doe", "Thank you.")]


def test_plain_text_name_prefixes(tmp_path):
    """Google Meet, Buzz's text export, a transcript typed by hand: "Name: words" lines."""
    path = tmp_path / "meet.txt"
    path.write_text("Patient: How many fusions do you do?\nSurgeon: About a hundred.\n",
                    encoding="utf-8")
    transcript = read_transcript(path)
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        ("Patient", "How many fusions do you do?"), ("Surgeon", "About a hundred.")]
