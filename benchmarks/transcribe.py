"""Transcription benchmark: speed, peak memory, WER and domain-term recall, per engine x model.

    .venv/bin/python benchmarks/transcribe.py            # sample visit + a 30-minute visit
    .venv/bin/python benchmarks/transcribe.py --long-minutes 0 --runs 3

Every engine in recorder.transcription.engines.ENGINES is tried with every packaged model; what is not
installed is listed and skipped. Each configuration runs in its own child process, so its
peak RSS (model, decoding and all) is its own. Two recordings:

- the bundled sample visit (2.3 minutes), transcribed --runs times: the median speed;
- a long visit built at run time from the sample's own turns, shuffled (seeded) and joined
  with pauses until it lasts --long-minutes, transcribed once. Its domain-term recall is
  also given for its last third alone: a vocabulary that is only prompted at the start of
  the recording fades there.

Speed is audio seconds per wall second of transcription (the model already loaded, the
one-off compilation of word timing paid by a warm-up). WER uses Whisper's English text
normalizer when openai-whisper is installed, else a plain lower-case/punctuation one (the
table says which). Prints a Markdown table on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from recorder.storage.audiofile import SAMPLE_RATE  # noqa: E402  (after the path is set)

SAMPLE_DIR = REPO / "samples" / "sample-visit"
SAMPLE_AUDIO = SAMPLE_DIR / "visit.mp3"
LONG_SEED = 20261124  # the long visit's turn order; fixed so every run compares alike
TURN_PAD_S = 0.25  # audio kept around each turn cut from the sample, in seconds
PAUSE_RANGE_S = (0.8, 2.5)  # pause between turns of the long visit, drawn uniformly
WARM_UP_S = 8  # seconds of speech transcribed before timing: pays word timing's compilation


def reference_turns() -> list[dict]:
    return json.loads((SAMPLE_DIR / "turns.json").read_text(encoding="utf-8"))


def sample_reference() -> str:
    lines = (SAMPLE_DIR / "script.txt").read_text(encoding="utf-8").splitlines()
    return " ".join(line.partition(":")[2].strip() for line in lines
                    if line.strip() and not line.startswith("#"))


def build_long_visit(folder: Path, minutes: float) -> tuple[Path, list[dict]]:
    """A visit of `minutes` from the sample's turns, shuffled and joined with pauses.

    Returns the FLAC file and its turns (start, end, text) in the new recording.
    """
    import soundfile

    from recorder.storage.audiofile import load_audio

    audio = load_audio(SAMPLE_AUDIO)
    turns = reference_turns()
    rng = np.random.default_rng(LONG_SEED)
    pieces, timeline, cursor = [], [], 0.0
    while cursor < minutes * 60:
        for index in rng.permutation(len(turns)):
            turn = turns[index]
            start = max(0, int((turn["start"] - TURN_PAD_S) * SAMPLE_RATE))
            end = min(len(audio), int((turn["end"] + TURN_PAD_S) * SAMPLE_RATE))
            pause = np.zeros(int(rng.uniform(*PAUSE_RANGE_S) * SAMPLE_RATE), np.float32)
            pieces += [pause, audio[start:end]]
            cursor += len(pause) / SAMPLE_RATE
            timeline.append({"start": round(cursor, 2),
                             "end": round(cursor + (end - start) / SAMPLE_RATE, 2),
                             "text": turn["text"]})
            cursor += (end - start) / SAMPLE_RATE
            if cursor >= minutes * 60:
                break
    path = folder / f"long-visit-{minutes:g}min.flac"
    soundfile.write(path, np.concatenate(pieces), SAMPLE_RATE)
    return path, timeline


# --- Scoring ---------------------------------------------------------------------------

def normalizer():
    """(name, function): Whisper's English normalizer when installed, else a plain one."""
    try:
        from whisper.normalizers import EnglishTextNormalizer
    except ImportError:
        return "plain", lambda text: " ".join(re.sub(r"[^\w\s'%-]", " ", text.lower()).split())
    return "Whisper English", EnglishTextNormalizer()


def wer(reference: str, hypothesis: str, normalize) -> float:
    import jiwer

    return jiwer.wer(normalize(reference), normalize(hypothesis) or "-")


def _term_form(text: str) -> str:
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split()) + " "


def term_counts(text: str, vocabulary: tuple[str, ...]) -> dict[str, int]:
    """How often each vocabulary term occurs in `text` (case, hyphens, punctuation ignored)."""
    form = _term_form(text)
    return {term: form.count(_term_form(term)) for term in vocabulary}


def term_recall(reference: str, hypothesis: str, vocabulary: tuple[str, ...]) -> tuple[int, int]:
    """(terms recognised, terms said): each term counted up to as often as it was said."""
    said = term_counts(reference, vocabulary)
    heard = term_counts(hypothesis, vocabulary)
    return sum(min(said[t], heard[t]) for t in vocabulary), sum(said.values())


# --- One configuration, in its own process ----------------------------------------------

def worker(engine_name: str, model: str, audio: Path, runs: int) -> dict:
    """Transcribe `audio` `runs` times with one engine and model; times, text, peak RSS."""
    from extract.errors import VisitError
    from extract.questionset import load_question_set
    from recorder.transcription.engines import (
        TranscribeSettings,
        load_engine,
        transcribe,
        transcribe_file,
    )
    from recorder.transcription.models import models_dir
    from recorder.transcription.windows import Window

    settings = TranscribeSettings(engine=engine_name, model=model,
                                  vocabulary=load_question_set().vocabulary)
    try:
        engine = load_engine(settings, models_dir())
    except VisitError as error:
        return {"skipped": str(error)}
    from recorder.storage.audiofile import load_audio

    transcribe([Window(0, load_audio(SAMPLE_AUDIO)[:WARM_UP_S * SAMPLE_RATE])], engine,
               settings=settings)
    seconds, transcript = [], None
    for _ in range(runs):
        started = time.perf_counter()
        transcript = transcribe_file(audio, engine, settings=settings)
        seconds.append(time.perf_counter() - started)
    return {"seconds": seconds, "audio_s": transcript.duration_s,
            "segments": [[s.start, s.text] for s in transcript.segments],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(engine_name: str, model: str, audio: Path, runs: int) -> dict:
    command = [sys.executable, __file__, "--worker", engine_name, model, str(audio),
               "--runs", str(runs)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        return {"skipped": f"failed: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout)


# --- The table ----------------------------------------------------------------------------

def configurations() -> list[tuple[str, str]]:
    from recorder.transcription.engines import ENGINES
    from recorder.transcription.models import PACKAGED_MODELS

    return [(engine, model) for engine in ENGINES for model in PACKAGED_MODELS]


def row(engine_name: str, model: str, recording: str, result: dict, reference: str,
        late: tuple[float, str] | None, vocabulary: tuple[str, ...], normalize) -> str:
    hypothesis = " ".join(text for _, text in result["segments"])
    speed = result["audio_s"] / statistics.median(result["seconds"])
    heard, said = term_recall(reference, hypothesis, vocabulary)
    cells = [engine_name, model, recording, f"{result['audio_s'] / 60:.1f} min",
             f"{speed:.1f}x ({statistics.median(result['seconds']):.0f} s, "
             f"{len(result['seconds'])} run{'s' if len(result['seconds']) > 1 else ''})",
             f"{result['peak_rss_mb']:.0f} MB",
             f"{100 * wer(reference, hypothesis, normalize):.1f}%", f"{heard}/{said}"]
    if late is None:
        cells.append("-")
    else:
        since, late_reference = late
        late_hypothesis = " ".join(text for start, text in result["segments"] if start >= since)
        late_heard, late_said = term_recall(late_reference, late_hypothesis, vocabulary)
        cells.append(f"{late_heard}/{late_said}")
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs on the sample (median)")
    parser.add_argument("--long-minutes", type=float, default=30,
                        help="length of the long visit; 0 leaves it out")
    parser.add_argument("--long-only", nargs="*", metavar="ENGINE/MODEL",
                        help="transcribe the long visit only with these, e.g. faster-whisper/base")
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "MODEL", "AUDIO"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        engine_name, model, audio = args.worker
        print(json.dumps(worker(engine_name, model, Path(audio), args.runs)))
        return

    from extract.questionset import load_question_set

    vocabulary = load_question_set().vocabulary
    normalizer_name, normalize = normalizer()
    skipped = []
    print("| engine | model | recording | length | speed (audio s / wall s) | peak RSS | "
          f"WER ({normalizer_name} normalizer) | domain terms | terms, last third |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        recordings = [("sample visit", SAMPLE_AUDIO, args.runs, sample_reference(), None)]
        if args.long_minutes > 0:
            long_audio, timeline = build_long_visit(Path(tmp), args.long_minutes)
            since = timeline[-1]["end"] * 2 / 3
            late = (since, " ".join(t["text"] for t in timeline if t["start"] >= since))
            recordings.append((f"{args.long_minutes:g}-minute visit", long_audio, 1,
                               " ".join(t["text"] for t in timeline), late))
        for engine_name, model in configurations():
            for name, audio, runs, reference, late in recordings:
                if (late is not None and args.long_only is not None
                        and f"{engine_name}/{model}" not in args.long_only):
                    continue
                print(f"{engine_name} {model}: {name}...", file=sys.stderr, flush=True)
                result = run_child(engine_name, model, audio, runs)
                if "skipped" in result:
                    skipped.append(f"{engine_name} {model}: {result['skipped']}")
                    break
                print(row(engine_name, model, name, result, reference, late, vocabulary,
                          normalize), flush=True)
    for line in skipped:
        print(f"\nNot measured: {line}")


if __name__ == "__main__":
    main()
