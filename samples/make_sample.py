"""Render the bundled sample visit from its script text with espeak-ng.

    .venv/bin/python samples/make_sample.py samples/sample-visit

Reads script.txt ("SPEAKER: words" per line), speaks each turn with the speaker's voice
(testkit.speech, the voices and pauses every spoken test and benchmark uses), and writes
visit.mp3 (committed, well under 3 MB) and turns.json (when each turn starts and ends, in
seconds). Needs espeak-ng, sox and ffmpeg (Debian packages); the committed audio makes this
a one-off.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for testkit/

from testkit.speech import speak  # noqa: E402

MP3_BITRATE = "48k"  # bits per second; speech stays clear and the file small


def read_script(path: Path) -> list[tuple[str, str]]:
    turns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        speaker, _, words = line.partition(":")
        turns.append((speaker.strip().upper(), words.strip()))
    return turns


def render(folder: Path) -> None:
    """script.txt in `folder` -> visit.mp3 and turns.json beside it."""
    spoken = speak([(speaker.lower(), words) for speaker, words in
                    read_script(folder / "script.txt")])
    with tempfile.TemporaryDirectory() as tmp:
        wav = spoken.write(Path(tmp) / "visit.wav")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-codec:a",
                        "libmp3lame", "-b:a", MP3_BITRATE, str(folder / "visit.mp3")],
                       check=True)
    timeline = [{"speaker": turn.speaker.upper(), "start": round(turn.start, 2),
                 "end": round(turn.end, 2), "text": turn.text} for turn in spoken.turns]
    (folder / "turns.json").write_text(json.dumps(timeline, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    render(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "sample-visit"))
