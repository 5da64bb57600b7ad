"""The live checklist on this machine: latency, CPU use, audio dropped, stop-to-report time.

    .venv/bin/python benchmarks/live.py

1. The bundled sample visit is played in real time, 100 ms blocks, into the live
   transcriber (the same LiveTranscriber and LiveWorker that `visit record --live` runs,
   here without a sound card so the numbers are the transcriber's own). For each question
   it measures how long after the end of the question (asked) and of the answer (answered,
   partial or unanswered) the checklist showed it, CPU use, and audio dropped: blocks the
   feeder could not hand over on time (feeding never waits for the recogniser).
2. Stop-to-report for a 30-minute visit: at stop, the live transcript is already made but
   for the audio still waiting (at most one window); the benchmark times transcribing a
   worst-case tail (MAX_WINDOW_S of speech), analysing a 30-minute transcript (the sample's
   live transcript repeated to 30 minutes) and writing the report.
3. The coverage guard's cost in the live path: the sample fed in 1-second blocks with a
   transcription step after each (as tests/test_live.py does, so no clock is involved),
   with the guard and without: CPU seconds, words written, words of the script deleted,
   stretches marked unclear. `--guard-only` runs this part alone.
4. `--cpu-clock`: the live run of 1. on a clock of CPU time instead of the wall clock (a CPU
   second spent transcribing and analysing lets a second of the visit arrive), so that
   other programs on a shared machine do not change where windows fall: latencies
   comparable between runs and commits, and an upper bound for a transcriber with one
   core to itself.
Prints Markdown tables (the README's "Live checklist benchmark").
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for testkit/

from extract.analyze import analyze  # noqa: E402
from extract.embedding import load_embedder  # noqa: E402
from extract.nlp import load_nlp  # noqa: E402
from extract.questionset import load_question_set  # noqa: E402
from extract.transcript import Transcript, Word  # noqa: E402
from recorder.app.live import (  # noqa: E402
    MAX_WINDOW_S,
    WORKER_IDLE_S,
    LiveTranscriber,
    LiveWorker,
    live_settings,
)
from recorder.app.pipeline import report_visit, write_transcript  # noqa: E402
from recorder.storage.audiofile import SAMPLE_RATE, load_audio  # noqa: E402
from recorder.storage.visit import create_visit  # noqa: E402
from recorder.transcription.engines import TranscribeSettings, load_engine  # noqa: E402
from recorder.transcription.models import models_dir  # noqa: E402
from testkit.paths import SAMPLE_DIR as SAMPLE  # noqa: E402

BLOCK_S = 0.1  # a microphone delivers about this much at a time
LONG_VISIT_S = 30 * 60
QUESTION_OPENINGS = {"Q1": "Based on my imaging", "Q2": "What percentage",
                     "Q3": "Have you reviewed", "Q5": "If I delay surgery"}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _noted(seen: dict[str, list[tuple[str, float]]], now_s: Callable[[], float]):
    """An on_status that adds each question's state, when it changes, to `seen`."""
    def on_status(status):
        now = now_s()
        for q in status.questions:
            if not seen.get(q.id) or seen[q.id][-1][0] != q.state:
                seen.setdefault(q.id, []).append((q.state, now))
    return on_status


def _latencies(seen: dict[str, list[tuple[str, float]]]) -> dict:
    """Per question: asked shown after the question's end, final state shown after the
    answer's end (seconds), and that final state."""
    turns = json.loads((SAMPLE / "turns.json").read_text())
    latencies = {}
    for qid, opening in QUESTION_OPENINGS.items():
        index = next(i for i, t in enumerate(turns) if t["text"].startswith(opening))
        asked_at = next((t for s, t in seen.get(qid, []) if s != "not_asked"), None)
        settled_at = seen[qid][-1][1] if seen.get(qid) else None
        latencies[qid] = (None if asked_at is None else asked_at - turns[index]["end"],
                          None if settled_at is None else settled_at - turns[index + 1]["end"],
                          seen[qid][-1][0] if seen.get(qid) else "never")
    return latencies


def real_time_run(engine, settings, question_set, nlp, embedder):
    audio = load_audio(SAMPLE / "visit.mp3")
    transcriber = LiveTranscriber(engine, settings)
    seen: dict[str, list[tuple[str, float]]] = {}
    clock0 = time.monotonic()
    # The matcher `visit record --live` uses: words and meaning.
    worker = LiveWorker(transcriber, question_set, nlp,
                        _noted(seen, lambda: time.monotonic() - clock0), embedder=embedder)
    late_blocks, feed_costs = 0, []
    cpu0 = _cpu_s()
    worker.start()
    block = int(BLOCK_S * SAMPLE_RATE)
    for index, start in enumerate(range(0, len(audio), block)):
        due = clock0 + (index + 1) * BLOCK_S  # when a microphone would have this block
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif -delay > BLOCK_S:
            late_blocks += 1
        began = time.perf_counter()
        transcriber.feed(audio[start:start + block])
        feed_costs.append(time.perf_counter() - began)
    wall = time.monotonic() - clock0
    cpu = _cpu_s() - cpu0
    stop_began = time.perf_counter()
    worker.stop()
    transcript = transcriber.finish()
    findings = analyze(transcript, question_set, nlp, embedder=embedder)
    stop_s = time.perf_counter() - stop_began
    return {"latencies": _latencies(seen), "changes": seen, "cpu_pct": 100 * cpu / wall / 2,
            "late_blocks": late_blocks, "max_feed_ms": 1000 * max(feed_costs),
            "stop_s": stop_s, "transcript": transcript, "verdict": findings.verdict,
            "audio_s": len(audio) / SAMPLE_RATE, "wall_s": wall}


def cpu_clock_run(engine, settings, question_set, nlp, embedder, load: float = 1.0):
    """The real-time run on a clock of this process's CPU time, which other programs on a
    shared machine barely change: a CPU second spent transcribing and analysing lets `load`
    seconds of the visit arrive (1: as if the transcriber had one core to itself, the worst
    case for a 2-core laptop; more: a busier or slower machine, so the windows fall
    elsewhere), and a step with nothing to do waits WORKER_IDLE_S, as the worker does.
    Stepped here, so the windows fall only where the CPU time puts them."""
    audio = load_audio(SAMPLE / "visit.mp3")
    transcriber = LiveTranscriber(engine, settings)
    seen: dict[str, list[tuple[str, float]]] = {}
    clock_s = 0.0
    on_status = _noted(seen, lambda: clock_s)
    worker = LiveWorker(transcriber, question_set, nlp, embedder=embedder)
    fed, cpu0, longest_step_s = 0, _cpu_s(), 0.0
    while fed < len(audio):
        arrived = min(len(audio), int(clock_s * SAMPLE_RATE))
        if arrived > fed:
            transcriber.feed(audio[fed:arrived])
            fed = arrived
        step_began = _cpu_s()
        if transcriber.step():
            status = worker.status()
            step_s = _cpu_s() - step_began
            clock_s += step_s * load
            longest_step_s = max(longest_step_s, step_s)
            on_status(status)
        else:
            clock_s += WORKER_IDLE_S
    transcript = transcriber.finish()
    return {"latencies": _latencies(seen), "changes": seen, "cpu_s": _cpu_s() - cpu0,
            "longest_step_s": longest_step_s, "transcript": transcript}


def _repeated(transcript: Transcript, length_s: float) -> Transcript:
    segments, offset = [], 0.0
    while offset < length_s:
        for s in transcript.segments:
            segments.append(replace(
                s, start=s.start + offset, end=s.end + offset,
                words=tuple(Word(w.start + offset, w.end + offset, w.text, w.probability)
                            for w in s.words)))
        offset += transcript.duration_s
    return replace(transcript, segments=tuple(segments), duration_s=offset)


def stop_to_report(engine, settings, question_set, nlp, embedder, live_transcript):
    audio = load_audio(SAMPLE / "visit.mp3")
    tail = audio[int(27 * SAMPLE_RATE):int((27 + MAX_WINDOW_S) * SAMPLE_RATE)]  # all speech
    transcriber = LiveTranscriber(engine, settings)
    transcriber.feed(tail)
    began = time.perf_counter()
    transcriber.finish()
    tail_s = time.perf_counter() - began
    long_transcript = _repeated(live_transcript, LONG_VISIT_S)
    began = time.perf_counter()
    findings = analyze(long_transcript, question_set, nlp, embedder=embedder)
    analyze_s = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as tmp:
        visit = create_visit(Path(tmp) / "visit")
        began = time.perf_counter()
        write_transcript(visit, long_transcript)
        visit.write("findings.json", findings.to_json())
        report_visit(visit)
        report_s = time.perf_counter() - began
    return tail_s, analyze_s, report_s, len(long_transcript.text.split())


def _script_words():
    """The sample's script, as jiwer compares it with a transcript (rapidfuzz-normalised)."""
    from rapidfuzz import utils

    return utils.default_process(" ".join(
        t["text"] for t in json.loads((SAMPLE / "turns.json").read_text())))


def _against_script(transcript: Transcript):
    """jiwer's alignment of the transcript's words with the script's."""
    import jiwer
    from rapidfuzz import utils

    return jiwer.process_words(_script_words(), utils.default_process(transcript.text) or "-")


def guard_cost(engine, settings) -> list[str]:
    """Table rows: the sample through the live transcriber in 1 s blocks, guard on and off."""
    audio = load_audio(SAMPLE / "visit.mp3")
    said = _script_words()
    warm = LiveTranscriber(engine, settings)  # pays word timing's first-call compilation
    warm.feed(audio[:8 * SAMPLE_RATE])
    warm.finish()
    rows = []
    for guard in (True, False):
        transcriber = LiveTranscriber(engine, replace(settings, coverage_guard=guard))
        cpu0 = _cpu_s()
        for start in range(0, len(audio), SAMPLE_RATE):
            transcriber.feed(audio[start:start + SAMPLE_RATE])
            transcriber.step()
        transcript = transcriber.finish()
        cpu = _cpu_s() - cpu0
        out = _against_script(transcript)
        unclear = sum(1 for s in transcript.segments if not s.text)
        rows.append(f"| {'on' if guard else 'off'} | {cpu:.1f} s | "
                    f"{len(audio) / SAMPLE_RATE / cpu:.1f}x | {len(transcript.text.split())} | "
                    f"{100 * out.deletions / len(said.split()):.1f}% | {unclear} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parts = parser.add_mutually_exclusive_group()
    parts.add_argument("--guard-only", action="store_true",
                       help="only the coverage guard's cost (no real-time run)")
    parts.add_argument("--real-time-only", action="store_true",
                       help="only the real-time run and stop-to-report (no guard cost)")
    parts.add_argument("--cpu-clock", action="store_true",
                       help="only the live run on a clock of CPU time (cpu_clock_run)")
    parser.add_argument("--load", type=float, default=1.0, metavar="X",
                        help="with --cpu-clock: a CPU second lets X seconds of the visit "
                             "arrive (default 1; 2-3 replays a busy machine)")
    parser.add_argument("--keep-transcript", type=Path, metavar="FILE",
                        help="write the real-time run's live transcript (JSON) to FILE")
    args = parser.parse_args()
    question_set = load_question_set()
    nlp = load_nlp()
    settings = TranscribeSettings(vocabulary=question_set.vocabulary)
    engine = load_engine(live_settings(settings), models_dir())
    if args.cpu_clock:
        cpu_clock(engine, settings, question_set, nlp, load_embedder(), args.keep_transcript,
                  args.load)
        return
    if not args.guard_only:
        real_time_and_stop(engine, settings, question_set, nlp, load_embedder(),
                           args.keep_transcript)
    if args.real_time_only:
        return
    print("\nThe coverage guard in the live path: the sample in 1 s blocks, a step after each "
          "(CPU time of this process: the fair measure on a shared machine)\n")
    print("| guard | CPU time | audio s per CPU s | words written | script words deleted | "
          "unclear marks |\n| --- | --- | --- | --- | --- | --- |")
    for row in guard_cost(engine, settings):
        print(row, flush=True)


def _print_states(run: dict) -> None:
    """The latency table, every state shown, and the latencies' median and max."""
    print("| question | shown as asked after the question ends | final state shown after the "
          "answer ends | final state |")
    print("| --- | --- | --- | --- |")
    for qid, (asked, settled, state) in run["latencies"].items():
        def show(value):
            return "never" if value is None else f"{value:.1f} s"
        print(f"| {qid} | {show(asked)} | {show(settled)} | {state} |")
    print("\nEvery state the checklist showed, seconds into the visit (a question that settles"
          " late shows here whether it passed through a wrong state):\n")
    for qid, changes in run["changes"].items():
        print(f"- {qid}: " + " -> ".join(f"{state} ({at:.1f} s)" for state, at in changes))
    print()
    asked = [a for a, _, _ in run["latencies"].values() if a is not None]
    settled = [s for _, s, _ in run["latencies"].values() if s is not None]
    print("\n| measure | value |\n| --- | --- |")
    print(f"| asked latency, median / max | {statistics.median(asked):.1f} s / "
          f"{max(asked):.1f} s |")
    print(f"| answer latency, median / max | {statistics.median(settled):.1f} s / "
          f"{max(settled):.1f} s |")


def _print_words(transcript: Transcript) -> None:
    words = _against_script(transcript)
    print(f"| live transcript against the script: WER (substituted / deleted / inserted words)"
          f" | {100 * words.wer:.1f}% ({words.substitutions} / {words.deletions} / "
          f"{words.insertions} of {len(_script_words().split())}) |")


def cpu_clock(engine, settings, question_set, nlp, embedder, keep: Path | None,
              load: float) -> None:
    run = cpu_clock_run(engine, settings, question_set, nlp, embedder, load)
    if keep:
        keep.write_text(run["transcript"].to_json())
    print(f"Sample visit replayed on a clock of CPU time (a CPU second, {load:g} s of the "
          f"visit), faster-whisper base int8\n")
    _print_states(run)
    print(f"| CPU time, transcribing and analysing | {run['cpu_s']:.1f} s |")
    print(f"| longest step (one window heard, guarded, analysed), CPU | "
          f"{run['longest_step_s']:.1f} s |")
    _print_words(run["transcript"])


def real_time_and_stop(engine, settings, question_set, nlp, embedder,
                       keep: Path | None) -> None:
    run = real_time_run(engine, settings, question_set, nlp, embedder)
    if keep:
        keep.write_text(run["transcript"].to_json())
    print(f"Sample visit ({run['audio_s']:.0f} s) played in real time, faster-whisper base "
          f"int8, 2 cores\n")
    _print_states(run)
    print(f"| CPU use while recording (of 2 cores) | {run['cpu_pct']:.0f}% |")
    print(f"| audio dropped (blocks not handed over on time) | {run['late_blocks']} |")
    print(f"| longest hand-over of a block to the transcriber | {run['max_feed_ms']:.2f} ms |")
    print(f"| stop to findings, sample visit | {run['stop_s']:.1f} s |")
    _print_words(run["transcript"])
    tail_s, analyze_s, report_s, words = stop_to_report(engine, settings, question_set, nlp,
                                                        embedder, run["transcript"])
    print(f"\nStop to report for a 30-minute visit ({words} words)\n")
    print("| step | time |\n| --- | --- |")
    print(f"| transcribe the audio still waiting (worst case {MAX_WINDOW_S:.0f} s of speech) "
          f"| {tail_s:.1f} s |")
    print(f"| analyse the whole transcript | {analyze_s:.2f} s |")
    print(f"| write transcript, findings and report | {report_s:.2f} s |")
    print(f"| total | {tail_s + analyze_s + report_s:.1f} s |")


if __name__ == "__main__":
    main()
