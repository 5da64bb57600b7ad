"""Render the bundled sample visit from its script text with espeak-ng.

    python samples/make_sample.py samples/sample-visit

Reads script.txt ("SPEAKER: words" per line), speaks each turn with the speaker's voice,
joins the turns with pauses, and writes visit.mp3 (committed, well under 3 MB) and
turns.json (when each turn starts and ends, in seconds). Needs espeak-ng and ffmpeg
(Debian packages espeak-ng and ffmpeg); the committed audio makes this a one-off.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile

SAMPLE_RATE = 16_000  # Hz, what Whisper consumes
TURN_GAP_S = 0.8  # silence between two speakers' turns
SAME_SPEAKER_GAP_S = 0.4  # silence between two lines of one speaker
MP3_BITRATE = "48k"  # bits per second; speech stays clear and the file small

# Two clearly different voices: a lower, faster American male surgeon and a higher,
# slower British female patient.
VOICES = {
    "SURGEON": ["-v", "en-us+m3", "-s", "165", "-p", "35"],
    "PATIENT": ["-v", "en-gb+f3", "-s", "150", "-p", "60"],
}


def read_script(path: Path) -> list[tuple[str, str]]:
    turns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        speaker, _, words = line.partition(":")
        turns.append((speaker.strip().upper(), words.strip()))
    return turns


def speak(speaker: str, words: str, workdir: Path) -> np.ndarray:
    raw = workdir / "turn.wav"
    resampled = workdir / "turn16k.wav"
    subprocess.run(["espeak-ng", *VOICES[speaker], "-w", str(raw), words], check=True)
    subprocess.run(
        ["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", str(resampled)], check=True
    )
    audio, _ = soundfile.read(resampled, dtype="float32")
    return audio


def render(folder: Path) -> None:
    turns = read_script(folder / "script.txt")
    pieces: list[np.ndarray] = []
    timeline = []
    cursor_s = 0.5
    pieces.append(np.zeros(int(cursor_s * SAMPLE_RATE), dtype=np.float32))
    previous = None
    with tempfile.TemporaryDirectory() as tmp:
        for speaker, words in turns:
            if previous is not None:
                gap = SAME_SPEAKER_GAP_S if speaker == previous else TURN_GAP_S
                pieces.append(np.zeros(int(gap * SAMPLE_RATE), dtype=np.float32))
                cursor_s += gap
            audio = speak(speaker, words, Path(tmp))
            pieces.append(audio)
            duration_s = len(audio) / SAMPLE_RATE
            timeline.append(
                {"speaker": speaker, "start": round(cursor_s, 2),
                 "end": round(cursor_s + duration_s, 2), "text": words}
            )
            cursor_s += duration_s
            previous = speaker
        pieces.append(np.zeros(SAMPLE_RATE, dtype=np.float32))
        wav = Path(tmp) / "visit.wav"
        soundfile.write(wav, np.concatenate(pieces), SAMPLE_RATE)
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-codec:a", "libmp3lame",
             "-b:a", MP3_BITRATE, str(folder / "visit.mp3")],
            check=True,
        )
    (folder / "turns.json").write_text(json.dumps(timeline, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    render(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "sample-visit"))
