"""Transcripts from other tools (WebVTT, SRT, plain text) and our own text exports."""

from __future__ import annotations

import pytest

from extract.errors import BadInput
from recorder.storage.transcript_files import read_transcript, to_srt, to_text, to_vtt
from testkit.paths import PRIMOCK_DIR

VTT = """WEBVTT

00:00:01.000 --> 00:00:04.500
<v Patient>Based on my imaging, what is the problem?

00:00:05.250 --> 00:01:02.040
It is a disc herniation
at L5-S1.
"""

SRT = """1
00:00:01,000 --> 00:00:04,500
Based on my imaging, what is the problem?

2
01:00:05,250 --> 01:00:09,000
It is a disc herniation at L5-S1.
"""


def test_webvtt_cues_become_timed_segments(tmp_path):
    path = tmp_path / "other.vtt"
    path.write_text(VTT)
    transcript = read_transcript(path)
    assert [(s.start, s.end) for s in transcript.segments] == [(1.0, 4.5), (5.25, 62.04)]
    assert transcript.segments[0].text == "Based on my imaging, what is the problem?"
    assert transcript.segments[1].text == "It is a disc herniation at L5-S1."
    assert transcript.engine == "import:vtt"


def test_srt_cues_become_timed_segments_with_hours(tmp_path):
    path = tmp_path / "other.srt"
    path.write_text(SRT)
    transcript = read_transcript(path)
    assert [(s.start, s.end) for s in transcript.segments] == [(1.0, 4.5), (3605.25, 3609.0)]


def test_our_vtt_and_srt_exports_read_back_the_same(tmp_path):
    source = tmp_path / "a.vtt"
    source.write_text(VTT)
    transcript = read_transcript(source)
    for name, render in (("b.vtt", to_vtt), ("c.srt", to_srt)):
        path = tmp_path / name
        path.write_text(render(transcript))
        again = read_transcript(path)
        assert [(s.start, s.end, s.text) for s in again.segments] == \
               [(s.start, s.end, s.text) for s in transcript.segments]
    assert to_text(transcript).splitlines()[1] == "[0:05] It is a disc herniation at L5-S1."


def test_plain_text_gets_rough_times_in_order(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Based on my imaging, what is the problem?\n\nIt is a disc herniation.\n")
    transcript = read_transcript(path)
    assert len(transcript.segments) == 2
    assert transcript.segments[0].end <= transcript.segments[1].start


@pytest.mark.parametrize("content, suffix, message", [
    ("not subtitles at all", ".vtt", "does not start with WEBVTT"),
    ("WEBVTT\n\nno cues here\n", ".vtt", "holds no timed cues"),
    ("{not json", ".json", "is not valid JSON"),
    ('{"format": "something-else"}', ".json", "not an appointment-recorder transcript"),
    ("\n\n", ".txt", "is empty"),
])
def test_unreadable_transcripts_say_what_is_wrong(tmp_path, content, suffix, message):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    with pytest.raises(BadInput, match=message):
        read_transcript(path)


def test_all_primock57_consultations_read_as_vtt():
    files = sorted(PRIMOCK_DIR.glob("*.vtt"))
    assert len(files) == 57
    for path in files:
        transcript = read_transcript(path)
        assert len(transcript.segments) > 20
        assert all(s.start <= s.end for s in transcript.segments)
