"""Speaker-label benchmark: how often the right voice gets the right label, how fast, in
how much memory.

    .venv/bin/python benchmarks/speakers.py              # every case, about 10 minutes
    .venv/bin/python benchmarks/speakers.py --cases two three --runs 1

Recordings are rendered at run time with testkit/speech.py (nothing is downloaded): a
consultation of tests/corpus, opened by the consent exchange `visit record` asks for (the
patient reads the consent script, the surgeon agrees), spoken by
- "two": two voices of different sex, pitch and speed (espeak-ng; 01-verbatim-equipped);
- "three": three voices, the patient's companion asking too (espeak-ng; 07-companion-asks);
- "same": two male voices (espeak-ng's surgeon and companion voices; 02-paraphrased);
- the same three with CMU flite's voices, which nothing here was tuned on (04, 28, 06);
- "similar": two near-identical voices (one espeak-ng voice, pitch and speed apart);
- "noisy": "two" with pink noise 18 dB below the speech; "room", "room-same": "two" and
  "same" through sox's reverb with the surgeon 10 dB further from the phone (these three
  keep the clean recording's transcript and are scored against its speech);
- "one": one voice reading both sides (espeak-ng; part of 09): no labels is right;
- "long": "two" repeated to 30 minutes (its transcript shifted, not transcribed again), for
  speed and memory on a long visit.
Each is transcribed once by the real Whisper base (faster-whisper int8; cached in
build/bench-speakers/), then labelled in a child process of its own (`--child`), --runs
times, so the peak RSS is that of speaker labelling alone: the ONNX encoder, the numpy
front end and the audio streamed from the file.

Scores (testkit/speakers.py): speech time right (true speech, sounding frames only, given
the right speaker after the best mapping of labels to people; 0.25 s collar at turn edges),
the diarization error rate (missed + false alarm + confusion, over true speech), segments
right (a labelled segment's label is its main speaker's), the count of speakers found and
whether the roles named were right. Speed is audio seconds per wall second (median of the
runs), model loading excluded (shown apart). Markdown table on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extract.transcript import Transcript  # noqa: E402
from testkit.speech import SAMPLE_RATE  # noqa: E402

CACHE = REPO / "build" / "bench-speakers"
CORPUS = REPO / "tests" / "corpus"
AGREE = "Yes, that's fine with me. Go ahead."
LONG_S = 30 * 60  # the long visit
# Targets (issue 11)
TARGET_TWO, TARGET_THREE, TARGET_SPEED = 0.95, 0.85, 20.0

# case -> (voice set, consultation, speaker of each corpus role, description)
CASES = {
    "two": ("espeak", "01-verbatim-equipped", {"SURGEON": "surgeon", "PATIENT": "patient"},
            "2 voices (espeak-ng, woman and man)"),
    "three": ("espeak", "07-companion-asks",
              {"SURGEON": "surgeon", "PATIENT": "patient", "COMPANION": "companion"},
              "3 voices (espeak-ng, companion asks)"),
    "same": ("espeak", "02-paraphrased", {"SURGEON": "surgeon", "PATIENT": "companion"},
             "2 male voices (espeak-ng)"),
    "two-flite": ("flite", "04-fusion-first", {"SURGEON": "surgeon", "PATIENT": "patient"},
                  "2 voices (flite, woman and man)"),
    "three-flite": ("flite", "28-knee-dismissive",
                    {"SURGEON": "surgeon", "PATIENT": "patient", "COMPANION": "companion"},
                    "3 voices (flite)"),
    "same-flite": ("flite", "06-vague-answers", {"SURGEON": "surgeon", "PATIENT": "companion"},
                   "2 male voices (flite, US and Scottish)"),
    "similar": ("espeak-similar", "01-verbatim-equipped",
                {"SURGEON": "surgeon", "PATIENT": "patient"},
                "2 near-identical voices (one espeak-ng voice, pitch and speed apart)"),
    "noisy": ("espeak", "01-verbatim-equipped", {"SURGEON": "surgeon", "PATIENT": "patient"},
              "2 voices in room noise (pink, 18 dB below the speech)"),
    "room": ("espeak", "01-verbatim-equipped", {"SURGEON": "surgeon", "PATIENT": "patient"},
             "2 voices in a reverberant room, the surgeon 10 dB further away (sox reverb)"),
    "room-same": ("espeak", "02-paraphrased", {"SURGEON": "surgeon", "PATIENT": "companion"},
                  "2 male voices in that room, the surgeon further away"),
    "one": ("espeak", "09-long-visit-buried", {"SURGEON": "surgeon", "PATIENT": "surgeon"},
            "1 voice (espeak-ng)"),
    "long": ("espeak", "01-verbatim-equipped", {"SURGEON": "surgeon", "PATIENT": "patient"},
             "2 voices, 30 minutes"),
}
# Harder than any pair above: the surgeon's espeak-ng voice for both, the patient's a little
# higher and slower. Added to testkit.speech's table for this benchmark only.
SIMILAR_VOICES = {"surgeon": ["-v", "en-us+m3", "-s", "165", "-p", "35"],
                  "patient": ["-v", "en-us+m3", "-s", "150", "-p", "50"],
                  "companion": ["-v", "en-us+m3", "-s", "155", "-p", "42"]}
NOISE_DBFS = -38.0  # pink noise level; the espeak-ng speech is -20 dBFS RMS (sounding frames)
NOISE_SEED = 11
FAR_DB = -10.0  # the surgeon's voice at the phone, against the patient's
REVERB_PERCENT = 60  # sox reverb's reverberance, 0-100
ROOM_OF = {"room": "two", "room-same": "same"}  # the recording each room case is made from


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Recordings -------------------------------------------------------------------------

def _turns(case: str) -> list[tuple[str, str]]:
    from recorder.capture.recording import CONSENT_SCRIPT
    from testkit.corpus import read_consultation

    _, name, voices, _ = CASES[case]
    turns = [(voices.get(role, "companion"), words)
             for role, words in read_consultation(CORPUS / f"{name}.txt").turns]
    if case == "one":
        return turns[:30]
    return [(voices["PATIENT"], CONSENT_SCRIPT), (voices["SURGEON"], AGREE)] + turns


def recording(case: str, engine_holder: dict) -> Path:
    """case.wav, case.json (the Whisper transcript) and case.turns.json, made once."""
    from recorder.transcription.engines import TranscribeSettings, load_engine, transcribe_file
    from recorder.transcription.models import models_dir
    from testkit.speech import VOICE_SETS, speak

    CACHE.mkdir(parents=True, exist_ok=True)
    wav, made = CACHE / f"{case}.wav", CACHE / f"{case}.json"
    if case == "long":
        return _long_recording()
    if case == "noisy":
        return _noisy_recording()
    if case in ROOM_OF:
        return _room_recording(case)
    if made.is_file() and wav.is_file():
        return wav
    log(f"{case}: speaking and transcribing...")
    VOICE_SETS.setdefault("espeak-similar", SIMILAR_VOICES)
    spoken = speak(_turns(case), voices=CASES[case][0])
    spoken.write(wav)
    (CACHE / f"{case}.turns.json").write_text(json.dumps(
        [t.__dict__ for t in spoken.turns], indent=1))
    if "engine" not in engine_holder:
        engine_holder["engine"] = load_engine(TranscribeSettings(), models_dir())
    transcript = transcribe_file(wav, engine_holder["engine"], settings=TranscribeSettings())
    made.write_text(transcript.to_json())
    return wav


def _long_recording() -> Path:
    """"two" repeated to LONG_S, its transcript and turns shifted along."""
    import numpy as np
    import soundfile

    from extract.transcript import shifted

    wav = CACHE / "long.wav"
    if wav.is_file() and (CACHE / "long.json").is_file():
        return wav
    audio, _ = soundfile.read(CACHE / "two.wav", dtype="float32")
    base = Transcript.from_dict(json.loads((CACHE / "two.json").read_text()))
    turns = json.loads((CACHE / "two.turns.json").read_text())
    repeats = int(np.ceil(LONG_S * SAMPLE_RATE / len(audio)))
    step = len(audio) / SAMPLE_RATE
    soundfile.write(wav, np.tile(audio, repeats), SAMPLE_RATE)
    segments = tuple(shifted(s, i * step) for i in range(repeats) for s in base.segments)
    (CACHE / "long.json").write_text(replace(base, segments=segments,
                                             duration_s=repeats * step).to_json())
    (CACHE / "long.turns.json").write_text(json.dumps(
        [{**t, "start": t["start"] + i * step, "end": t["end"] + i * step}
         for i in range(repeats) for t in turns]))
    return wav


def _noisy_recording() -> Path:
    """"two" with pink noise added, its transcript kept (the labels are what is measured)."""
    import numpy as np
    import soundfile

    wav = CACHE / "noisy.wav"
    if wav.is_file():
        return wav
    audio, _ = soundfile.read(CACHE / "two.wav", dtype="float32")
    rng = np.random.default_rng(NOISE_SEED)
    spectrum = rng.standard_normal(len(audio) // 2 + 1) + 1j * rng.standard_normal(
        len(audio) // 2 + 1)
    frequency = np.fft.rfftfreq(len(audio), d=1 / SAMPLE_RATE)
    spectrum /= np.sqrt(np.maximum(frequency, 20.0))  # 1/f power: pink
    noise = np.fft.irfft(spectrum, n=len(audio))
    noise *= 10 ** (NOISE_DBFS / 20) / np.sqrt(np.mean(noise ** 2))
    soundfile.write(wav, (audio + noise).astype(np.float32), SAMPLE_RATE)
    for suffix in (".json", ".turns.json"):
        (CACHE / f"noisy{suffix}").write_text((CACHE / f"two{suffix}").read_text())
    return wav


def _room_recording(case: str) -> Path:
    """A recording (ROOM_OF) with the surgeon's turns 10 dB quieter (further from the phone)
    and the whole of it through sox's reverb (a small, hard room); its transcript kept."""
    import tempfile

    import numpy as np
    import soundfile

    wav, base = CACHE / f"{case}.wav", ROOM_OF[case]
    if wav.is_file():
        return wav
    if not (CACHE / f"{base}.wav").is_file():
        recording(base, {})
    audio, _ = soundfile.read(CACHE / f"{base}.wav", dtype="float32")
    for turn in json.loads((CACHE / f"{base}.turns.json").read_text()):
        if turn["speaker"] == "surgeon":
            audio[int(turn["start"] * SAMPLE_RATE):int(turn["end"] * SAMPLE_RATE)] *= \
                10 ** (FAR_DB / 20)
    with tempfile.TemporaryDirectory() as tmp:
        dry = Path(tmp) / "dry.wav"
        soundfile.write(dry, audio, SAMPLE_RATE)
        subprocess.run(["sox", str(dry), str(wav), "reverb", str(REVERB_PERCENT)], check=True,
                       capture_output=True)
    for suffix in (".json", ".turns.json"):
        (CACHE / f"{case}{suffix}").write_text((CACHE / f"{base}{suffix}").read_text())
    return wav


# --- One run, in a child ----------------------------------------------------------------

def child(case: str) -> None:
    """Label the cached transcript of `case` from its audio file, as `visit process` does;
    print one JSON line: times, peak RSS, the labelled transcript."""
    from extract.questionset import load_question_set
    from recorder.app.pipeline import consent_wordings
    from recorder.storage.audiofile import decode_chunks
    from recorder.storage.visit import Manifest
    from recorder.transcription.models import models_dir
    from recorder.transcription.speaker_model import load_speaker_encoder
    from recorder.transcription.speakers import diarize, label_transcript, name_roles

    transcript = Transcript.from_dict(json.loads((CACHE / f"{case}.json").read_text()))
    questions = [q.text for q in load_question_set().questions]
    started = time.perf_counter()
    session = load_speaker_encoder(models_dir())
    loaded = time.perf_counter()
    diarization = diarize(transcript, decode_chunks(CACHE / f"{case}.wav"), session)
    labelled = name_roles(label_transcript(transcript, diarization),
                          consent=consent_wordings(Manifest(created="")),
                          questions=questions)
    done = time.perf_counter()
    peak_kb = _peak_rss_kb()
    print(json.dumps({"load_s": loaded - started, "label_s": done - loaded,
                      "peak_mb": peak_kb / 1024, "count": diarization.count,
                      "scores": diarization.scores, "transcript": labelled.to_dict()}))


def _peak_rss_kb() -> int:
    """This process's peak resident memory since its exec (VmHWM). Not ru_maxrss: Linux
    carries that over from the parent at fork, which held Whisper when it transcribed."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(case: str) -> dict:
    output = subprocess.run([sys.executable, __file__, "--child", case], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- The table --------------------------------------------------------------------------

def measure(case: str, runs: int) -> dict:
    import soundfile

    from testkit.speakers import score_labels
    from testkit.speech import SpokenTurn

    results = [run_child(case) for _ in range(runs)]
    audio, _ = soundfile.read(CACHE / f"{case}.wav", dtype="float32")
    # Who speaks when is read from the clean audio: noise would make every pause "speech".
    clean = {"noisy": "two", **ROOM_OF}.get(case, case)
    reference = soundfile.read(CACHE / f"{clean}.wav", dtype="float32")[0]
    turns = [SpokenTurn(**t) for t in json.loads((CACHE / f"{case}.turns.json").read_text())]
    labelled = Transcript.from_dict(results[-1]["transcript"])
    score = score_labels(labelled, turns, reference)
    roles = {s.label: s.role for s in labelled.speakers if s.role}
    role_of_voice = {voice: role.lower() for role, voice in CASES[case][2].items()}
    wrong_roles = [label for label, role in roles.items()
                   if role_of_voice.get(score.mapping.get(label, "")) != role]
    duration = len(audio) / SAMPLE_RATE
    return {"case": case, "minutes": duration / 60, "voices": len({t.speaker for t in turns}),
            "found": results[-1]["count"], "score": score,
            "speed": duration / statistics.median(r["label_s"] for r in results),
            "load_s": statistics.median(r["load_s"] for r in results),
            "peak_mb": max(r["peak_mb"] for r in results),
            "roles": ", ".join(f"{label}" for label in roles) or "none",
            "wrong_roles": wrong_roles}


def table(rows: list[dict]) -> str:
    lines = ["| recording | audio | voices / found | speech time right | DER (of it: wrong "
             "speaker) | segments right | roles named (wrong) | speed | peak RSS |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        score = row["score"]
        wrong = f" ({', '.join(row['wrong_roles'])} wrong)" if row["wrong_roles"] else ""
        right = "-" if row["found"] < 2 else f"{score.speech_right:.1%}"
        confused = max(0.0, score.der - score.missed - score.false_alarm)
        der = "-" if row["found"] < 2 else f"{score.der:.1%} ({confused:.1%})"
        segs = "-" if row["found"] < 2 else f"{score.segments_right:.1%}"
        lines.append(f"| {CASES[row['case']][3]} | {row['minutes']:.1f} min | {row['voices']} / "
                     f"{row['found']} | {right} | {der} | {segs} | {row['roles']}{wrong} | "
                     f"{row['speed']:.0f}x | {row['peak_mb']:.0f} MB |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--runs", type=int, default=3, help="labelling runs per case")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    engine: dict = {}
    cases = args.cases
    if {"long", "noisy", "room"} & set(cases) and "two" not in cases:
        recording("two", engine)
    for case in cases:
        recording(case, engine)
    engine.clear()
    rows = []
    for case in cases:
        log(f"{case}: labelling x{args.runs}...")
        rows.append(measure(case, args.runs))
        log(table(rows[-1:]).splitlines()[-1])
    print(table(rows))
    load = statistics.median(r["load_s"] for r in rows)
    print(f"\nModel load {load:.2f} s (median). Targets: speech time right >= "
          f"{TARGET_TWO:.0%} on two voices, >= {TARGET_THREE:.0%} on three; >= "
          f"{TARGET_SPEED:.0f}x real time; memory flat (compare the 30-minute row).")


if __name__ == "__main__":
    main()
