"""A script spoken aloud by a synthetic voice: test and benchmark audio with known words.

    spoken = speak([("surgeon", "Good morning."), ("patient", "Hello.")], voices="flite")
    spoken.write(Path("visit.wav"))  # 16 kHz mono; spoken.turns says who said what when

Two voice sets from two different synthesisers, so a result tuned on one can be checked on
the other: "espeak" (espeak-ng, the voices of samples/sample-visit) and "flite" (CMU Flite's
clustergen voices). Needs the Debian packages espeak-ng, flite and sox (scripts/setup.sh).
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000  # Hz, what Whisper consumes
TURN_GAP_S = 0.8  # silence when the speaker changes (the sample visit's pacing)
SAME_SPEAKER_GAP_S = 0.4  # silence between two turns of one speaker
LEAD_IN_S = 0.5  # silence before the first word
TAIL_S = 1.0  # silence after the last word

# speaker -> command-line arguments of the synthesiser. Anyone answering for the practice
# speaks as "surgeon"; anyone with the patient as "companion".
VOICE_SETS: dict[str, dict[str, list[str]]] = {
    "espeak": {
        "surgeon": ["-v", "en-us+m3", "-s", "165", "-p", "35"],
        "patient": ["-v", "en-gb+f3", "-s", "150", "-p", "60"],
        "companion": ["-v", "en-us+m7", "-s", "160", "-p", "45"],
    },
    "flite": {
        "surgeon": ["-voice", "rms"],  # US male
        "patient": ["-voice", "slt"],  # US female
        "companion": ["-voice", "awb"],  # Scottish male
    },
}
VOICE_SET_NAMES = tuple(VOICE_SETS)


@dataclass(frozen=True)
class SpokenTurn:
    speaker: str
    start: float  # seconds from the start of the audio
    end: float
    text: str


@dataclass(frozen=True)
class Spoken:
    audio: np.ndarray  # 16 kHz mono float32
    turns: tuple[SpokenTurn, ...]

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE

    def write(self, path: Path) -> Path:
        import soundfile

        soundfile.write(path, self.audio, SAMPLE_RATE)
        return path


def _voice(voices: str, speaker: str) -> list[str]:
    chosen = VOICE_SETS[voices]
    return chosen.get(speaker, chosen["companion" if speaker != "surgeon" else "surgeon"])


def speak_line(text: str, speaker: str = "surgeon", *, voices: str = "espeak") -> np.ndarray:
    """One line of text spoken by `speaker`'s voice of the set, as 16 kHz mono samples."""
    import soundfile

    with tempfile.TemporaryDirectory() as tmp:
        script, raw, resampled = (Path(tmp) / name for name in ("line.txt", "raw.wav",
                                                                "16k.wav"))
        script.write_text(text + "\n", encoding="utf-8")
        if voices == "flite":
            command = ["flite", *_voice(voices, speaker), "-f", str(script), "-o", str(raw)]
        else:
            command = ["espeak-ng", *_voice(voices, speaker), "-f", str(script), "-w", str(raw)]
        subprocess.run(command, check=True, capture_output=True)
        # -D: no dither, so the same text always gives the same samples.
        subprocess.run(["sox", "-D", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
                        str(resampled)], check=True, capture_output=True)
        audio, _ = soundfile.read(resampled, dtype="float32")
    return audio


def speak(turns: list[tuple[str, str]], *, voices: str = "espeak") -> Spoken:
    """(speaker, words) turns spoken one after the other with the set's voices."""
    if voices not in VOICE_SETS:
        raise ValueError(f"unknown voice set {voices!r}; choose one of {VOICE_SET_NAMES}")
    pieces = [np.zeros(int(LEAD_IN_S * SAMPLE_RATE), np.float32)]
    cursor = LEAD_IN_S
    spoken: list[SpokenTurn] = []
    for speaker, words in turns:
        if spoken:
            gap = SAME_SPEAKER_GAP_S if speaker == spoken[-1].speaker else TURN_GAP_S
            pieces.append(np.zeros(int(gap * SAMPLE_RATE), np.float32))
            cursor += int(gap * SAMPLE_RATE) / SAMPLE_RATE
        audio = speak_line(words, speaker, voices=voices)
        pieces.append(audio)
        spoken.append(SpokenTurn(speaker, round(cursor, 3),
                                 round(cursor + len(audio) / SAMPLE_RATE, 3), words))
        cursor += len(audio) / SAMPLE_RATE
    pieces.append(np.zeros(int(TAIL_S * SAMPLE_RATE), np.float32))
    return Spoken(np.concatenate(pieces), tuple(spoken))


def joined(parts: list[Spoken], *, gap_s: float = 2.0) -> Spoken:
    """Several spoken scripts one after the other, `gap_s` of silence between them."""
    pieces, turns, cursor = [], [], 0.0
    for part in parts:
        if pieces:
            pieces.append(np.zeros(int(gap_s * SAMPLE_RATE), np.float32))
            cursor += int(gap_s * SAMPLE_RATE) / SAMPLE_RATE
        pieces.append(part.audio)
        turns += [SpokenTurn(t.speaker, round(t.start + cursor, 3), round(t.end + cursor, 3),
                             t.text) for t in part.turns]
        cursor += len(part.audio) / SAMPLE_RATE
    return Spoken(np.concatenate(pieces), tuple(turns))


# Speech with nothing above this frequency keeps a voice's pitch and rhythm but not the
# formants that tell its words apart: a sentence mumbled, or heard through a wall. On the
# answer of tests/test_transcribe_unclear.py (4.6-5.4 s, both voice sets, 20 renderings at
# gains 0.25-2), voice activity detection hears 3.4-5.1 s of speech in it and the coverage
# guard's retries write 0-0.4 words a second; at 400-500 Hz Whisper base starts inventing
# phrases for it ("I'm sorry, I'm sorry"), and below 290 Hz voice activity detection no
# longer hears espeak-ng's low voice at all.
MUFFLED_CUTOFF_HZ = 300.0


def muffled(spoken: Spoken, turn: int, *, cutoff_hz: float = MUFFLED_CUTOFF_HZ) -> Spoken:
    """`spoken` with turn number `turn` low-passed at `cutoff_hz` (at its own loudness): its
    words are said, and can no longer be made out."""
    said = spoken.turns[turn]
    first, last = round(said.start * SAMPLE_RATE), round(said.end * SAMPLE_RATE)
    part = spoken.audio[first:last].astype(np.float64)
    spectrum = np.fft.rfft(part)
    spectrum[np.fft.rfftfreq(len(part), 1 / SAMPLE_RATE) > cutoff_hz] = 0
    low = np.fft.irfft(spectrum, n=len(part))
    audio = spoken.audio.copy()
    audio[first:last] = low * np.sqrt(np.mean(part ** 2) / np.mean(low ** 2))
    return Spoken(audio, spoken.turns)
