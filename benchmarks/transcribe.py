"""Transcription benchmark: what each option costs and what it loses, side by side in one run.

    .venv/bin/python benchmarks/transcribe.py                       # every default option
    .venv/bin/python benchmarks/transcribe.py --configs before default --voices flite
    .venv/bin/python benchmarks/transcribe.py --no-visit            # the sample visit only
    .venv/bin/python benchmarks/transcribe.py --configs default batched-2 no-fallback

Recordings (all rendered or read at run time; nothing is downloaded):

- the bundled sample visit (samples/sample-visit, espeak-ng, 2.3 minutes), with its turn
  times (turns.json);
- a long visit: consultations of ../shared/corpus spoken with testkit/speech.py, each with
  every voice set asked for (espeak-ng, whose voices the project was tuned on, and CMU
  flite, which it was not), joined with pauses into one recording of about 30 minutes.
  Its speed, CPU time and memory are the long-visit figures; each consultation's share of
  the transcript (by word times) is also scored on its own. `--minutes 30` cuts it to the
  30 minutes issue 12's speed target is set on (at the end of a turn); `--minutes 74`
  speaks the consultations over again to make it longer (memory at any length).

Scores, with Whisper's English text normalizer on both sides (a dash between two numbers
read as "to" first: "50-60%" is "50 to 60%"): WER split into
substitutions, deletions and insertions (jiwer's alignment), the longest run of reference
speech lost (consecutive deleted reference words, in seconds of their speech; a word's
time is spread evenly over its turn), domain-term recall (the question set's
vocabulary, each term counted up to as often as it was said), and domain terms written
where none was said ("34/40 (+1 not said)": the hotwords' cost, a term in the report that
nobody said).

Every option runs in its own child process, so its peak RSS is its own. The machine may be
shared: every row gives wall time, the child's CPU time (user + sys) and the 1-minute load
average before and after, so a slow row can be told from a busy machine.
Prints Markdown tables on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testkit.heard import (  # noqa: E402
    longest_lost_s,
    normalizer,
    reference_words,
    sample_turns,
)
from testkit.paths import SAMPLE_AUDIO  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "cases"
# Four writers, 2,900 words: about 18 minutes per voice set, 37 minutes with both. Three
# short ones, and a4-01 for its long answers (100+ words a turn), where skips happen.
DEFAULT_CASES = ("a4-01-five-read-upfront-answered-out-of-order", "a1-08-rushed-out-the-door",
                 "a3-07-negative-control-talkative", "a5-07-six-minute-visit")
VISIT_GAP_S = 3.0  # silence between two consultations of the long visit
TRIM_PAUSE_S = 0.4  # a visit cut to --minutes ends this long after its last turn (a pause)
WARM_UP_S = 8  # seconds of speech transcribed before timing: pays word timing's compilation
SAMPLE_RATE = 16_000

# Acceptance (issue 12): on every spoken consultation.
MAX_DELETIONS = 0.02
MAX_LOST_S = 3.0

# The vocabulary said the way people talk: Whisper writes in the style of its prompt, and
# after a tidy list it tidies speech too (a word said twice written once).
DISFLUENT_PROMPT = "Um, okay, so, uh, we we talked about {terms}."
# name -> (what it is, TranscribeSettings fields on top of the question set's vocabulary)
BATCHED = {"batched": True}  # faster-whisper's batched pipeline over VAD chunks
CONFIGS: dict[str, tuple[str, dict]] = {
    "before": ("before issue 12: hotwords, beam 5, 120 s windows, no guard",
               {"coverage_guard": False}),
    "no-hotwords": ("no vocabulary, no guard", {"coverage_guard": False, "vocabulary": ()}),
    "default": ("the default now: coverage guard, beam 5, 120 s windows, two windows at once "
                "(the threads shared between them)", {}),
    "disfluent-prompt": ("the default with the vocabulary put to Whisper as said with fillers "
                         "and a word said twice", {"prompt": DISFLUENT_PROMPT}),
    "sequential": ("the default before run 5: one window at a time, on every thread",
                   {"parallel_windows": 1}),
    "2-windows": ("two windows decoded at once, the threads shared between them",
                  {"parallel_windows": 2}),
    "greedy": ("the default with beam 1; beam 5 on the guard's retry only",
               {"beam_size": 1, "retry_beam_size": 5}),
    "no-fallback": ("the default without temperature fallback (temperature 0 only; the "
                    "guard's retries keep it)", {"fallback": False}),
    "greedy-no-fallback": ("beam 1 and temperature 0 only for the first pass; the guard's "
                           "retries with beam 5 and fallback",
                           {"beam_size": 1, "retry_beam_size": 5, "fallback": False}),
    "batched": ("the default + batched pipeline over VAD chunks, batch 4", BATCHED),
    "batched-2": ("the default + batched pipeline, batch 2", {**BATCHED, "batch_size": 2}),
    "batched-8": ("the default + batched pipeline, batch 8", {**BATCHED, "batch_size": 8}),
    "window-60s": ("the default with 60 s windows", {"window_s": 60}),
    "window-240s": ("the default with 240 s windows", {"window_s": 240}),
    "1-thread": ("the default on 1 thread", {"threads": 1}),
    "openai": ("openai-whisper base, the guard on", {"engine": "openai-whisper"}),
}
DEFAULT_CONFIGS = ("before", "default", "sequential", "batched", "greedy", "window-60s",
                   "window-240s", "1-thread", "no-hotwords")


@dataclass(frozen=True)
class Part:
    """One consultation of the long visit: its name, voice set, and span in the recording."""

    name: str
    voices: str
    start: float
    end: float
    turns: list  # testkit.speech.SpokenTurn


# --- Recordings ------------------------------------------------------------------------------

def build_visit(folder: Path, cases: list[str], voice_sets: list[str],
                minutes: float | None = None) -> tuple[Path, list[Part]]:
    """The chosen consultations spoken with each voice set, joined into one FLAC. With
    `minutes`, a visit of that length: cut at the end of the first turn that ends that far
    in (`trimmed`), the consultations spoken over again in the same order if they are
    shorter (memory over a long recording)."""
    from testkit.speech import joined, speak

    order = [(voices, case) for voices in voice_sets for case in cases]
    rendered: dict[tuple[str, str], object] = {}
    spoken, parts, cursor = [], [], 0.0
    while len(parts) < len(order) or (minutes is not None and cursor < minutes * 60):
        voices, case = order[len(parts) % len(order)]
        if (voices, case) not in rendered:
            data = json.loads((CORPUS / f"{case}.json").read_text(encoding="utf-8"))
            rendered[voices, case] = speak([(t["speaker"], t["text"]) for t in data["turns"]],
                                           voices=voices)
        one = rendered[voices, case]
        if spoken:
            cursor += int(VISIT_GAP_S * SAMPLE_RATE) / SAMPLE_RATE
        parts.append(Part(case, voices, cursor, cursor + one.duration_s, list(one.turns)))
        spoken.append(one)
        cursor += len(one.audio) / SAMPLE_RATE
    visit = joined(spoken, gap_s=VISIT_GAP_S)
    parts = [Part(p.name, p.voices, p.start, p.end,
                  [t.__class__(t.speaker, round(t.start + p.start, 3),
                               round(t.end + p.start, 3), t.text) for t in p.turns])
             for p in parts]
    if minutes is not None:
        audio, parts = trimmed(visit.audio, parts, minutes)
        visit = replace(visit, audio=audio)
    path = folder / "visit.flac"
    visit.write(path)
    return path, parts


def trimmed(audio: np.ndarray, parts: list[Part], minutes: float,
            ) -> tuple[np.ndarray, list[Part]]:
    """The visit `audio` cut in the pause after the first turn that ends `minutes` in (a
    visit of that length, give or take a sentence), and its parts up to there: a
    consultation cut short is scored on the turns said before the cut."""
    turns = [t for p in parts for t in p.turns]
    ends = [t.end for t in turns if t.end >= minutes * 60] or [turns[-1].end]
    cut_s = min(ends) + TRIM_PAUSE_S
    kept = []
    for p in parts:
        said = [t for t in p.turns if t.end <= cut_s]
        if said:
            kept.append(Part(p.name, p.voices, p.start, min(p.end, cut_s), said))
    return audio[:int(cut_s * SAMPLE_RATE)], kept


# --- Scoring ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    words: int
    substitutions: int
    deletions: int
    insertions: int
    longest_lost_s: float
    terms_heard: int
    terms_said: int
    unclear: int  # spans marked "[unclear speech]"
    # Deleted reference words by kind (`deletion_kinds`): with nothing written in their
    # place, and a word said twice in a row written once ("of of"); the rest of the
    # deletions are words merged into a neighbour heard wrong ("leg pain" as "legbain").
    dropped: int = 0
    repeats: int = 0
    # One letter per reference word: C right, S written wrong, D deleted (pooled: in order).
    ops: str = ""
    terms_unsaid: int = 0  # domain terms written where none was said (`term_counts`)

    def rate(self, count: int) -> float:
        return count / max(1, self.words)

    @property
    def merged(self) -> int:
        return self.deletions - self.dropped - self.repeats

    @classmethod
    def pooled(cls, scores: list["Score"]) -> "Score":
        def total(field: str) -> int:
            return sum(getattr(s, field) for s in scores)

        return cls(*(total(f) for f in ("words", "substitutions", "deletions", "insertions")),
                   max(s.longest_lost_s for s in scores),
                   *(total(f) for f in ("terms_heard", "terms_said", "unclear", "dropped",
                                        "repeats")),
                   "".join(s.ops for s in scores), total("terms_unsaid"))


def deletion_kinds(words: list[str], chunks) -> tuple[int, int]:
    """(dropped, repeats) among the reference words jiwer's `chunks` delete from `words`.

    A deleted word the same as the word said just before or after it is a repeat written
    once ("the risk of of"). Otherwise a run of deleted words right next to a run of at
    least as many words written wrong was merged into them (said as n + k words, written as
    n wrong ones, k <= n: "leg pain" as "legbain"); any other deleted word was dropped:
    nothing was written in its place.
    """
    dropped = repeats = 0
    for index, chunk in enumerate(chunks):
        if chunk.type != "delete":
            continue
        beside = [chunks[i] for i in (index - 1, index + 1) if 0 <= i < len(chunks)]
        length = chunk.ref_end_idx - chunk.ref_start_idx
        merged = any(c.type == "substitute" and c.ref_end_idx - c.ref_start_idx >= length
                     for c in beside)
        for i in range(chunk.ref_start_idx, chunk.ref_end_idx):
            if words[i] in words[max(0, i - 1):i] + words[i + 1:i + 2]:
                repeats += 1
            elif not merged:
                dropped += 1
    return dropped, repeats


OPS = {"equal": "C", "substitute": "S", "delete": "D"}


def score(turns, hypothesis: str, unclear: int, vocabulary, normalize) -> Score:
    import jiwer

    words, seconds = reference_words(turns, normalize)
    out = jiwer.process_words(" ".join(words), normalize(hypothesis) or "-")
    chunks = out.alignments[0]
    longest = longest_lost_s(seconds, chunks)
    heard, said, unsaid = term_counts(" ".join(t.text for t in turns), hypothesis, vocabulary)
    ops = "".join(OPS[c.type] * (c.ref_end_idx - c.ref_start_idx) for c in chunks
                  if c.type in OPS)
    return Score(len(words), out.substitutions, out.deletions, out.insertions,
                 round(longest, 1), heard, said, unclear, *deletion_kinds(words, chunks), ops,
                 unsaid)


def substitutions_where_heard(scores: Score, baseline: Score) -> float:
    """Share of the reference words `baseline` wrote (right or wrong) that `scores` wrote
    wrong: substitutions compared on the same words, so that words one option lost and the
    other recovers (some of them heard wrong) do not count against it."""
    heard = [i for i, op in enumerate(baseline.ops) if op in "CS"]
    return sum(scores.ops[i] == "S" for i in heard) / max(1, len(heard))


def _term_form(text: str) -> str:
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split()) + " "


def term_counts(reference: str, hypothesis: str, vocabulary) -> tuple[int, int, int]:
    """(terms recognised, terms said, terms written where none was said).

    Recognised: each term counted up to as often as it was said. Not said: written more
    often than the term or its plural was said ("fusion" for "fusions" is a word heard
    wrong, not a term made up): the vocabulary written over other words, as hotwords make
    Whisper do ("annular tear" for "and on 0 to 10")."""
    ref, hyp = _term_form(reference), _term_form(hypothesis)
    said = {t: ref.count(_term_form(t)) for t in vocabulary}
    heard = {t: hyp.count(_term_form(t)) for t in vocabulary}
    plural = {t: ref.count(_term_form(t)[:-1] + "s ") for t in vocabulary}
    return (sum(min(said[t], heard[t]) for t in vocabulary), sum(said.values()),
            sum(max(0, heard[t] - said[t] - plural[t]) for t in vocabulary))


def hypothesis_between(result: dict, start: float, end: float) -> tuple[str, int]:
    """The transcript's words whose middle lies in [start, end), and its unclear spans there."""
    words = [text for w_start, w_end, text, *_ in result["words"]
             if start <= (w_start + w_end) / 2 < end]
    unclear = sum(1 for u_start, _ in result["unclear"] if start <= u_start < end)
    from extract.transcript import join_words

    return join_words(words)[0], unclear


# --- One option, in its own process ------------------------------------------------------

def _transcribed(path: Path, engine, settings) -> dict:
    from recorder.transcription.engines import transcribe_file

    load_before = os.getloadavg()[0]
    cpu_before = _cpu_s()
    started = time.perf_counter()
    transcript = transcribe_file(path, engine, settings=settings)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "cpu_s": _cpu_s() - cpu_before, "audio_s": transcript.duration_s,
            "load": [load_before, os.getloadavg()[0]],
            # with each word's probability and its segment's low-confidence mark, so that a
            # saved run (--save) shows how sure the recogniser was of what it wrote
            "words": [[w.start, w.end, w.text, w.probability, s.low_confidence]
                      for s in transcript.segments for w in s.words],
            "unclear": [[s.start, s.end] for s in transcript.segments if not s.text],
            "text": transcript.text}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(config: str, recordings: list[Path]) -> dict:
    from extract.errors import VisitError
    from extract.questionset import load_question_set
    from recorder.storage.audiofile import load_audio
    from recorder.transcription.engines import TranscribeSettings, load_engine, transcribe
    from recorder.transcription.models import models_dir
    from recorder.transcription.windows import Window

    options = CONFIGS[config][1]
    settings = TranscribeSettings(**{"vocabulary": load_question_set().vocabulary, **options})
    try:
        engine = load_engine(settings, models_dir())
    except VisitError as error:
        return {"skipped": str(error)}
    warm = load_audio(SAMPLE_AUDIO)[:WARM_UP_S * SAMPLE_RATE]
    transcribe([Window(0, warm)], engine, settings=replace(settings, coverage_guard=False))
    results = [_transcribed(path, engine, settings) for path in recordings]
    return {"results": results,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(config: str, recordings: list[Path]) -> dict:
    command = [sys.executable, __file__, "--worker", config, *map(str, recordings)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        return {"skipped": f"failed: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout)


# --- Tables ------------------------------------------------------------------------------

def _pct(part: int, whole: int) -> str:
    return f"{100 * part / max(1, whole):.1f}%"


def _speed_cells(result: dict) -> list[str]:
    return [f"{result['audio_s'] / result['wall_s']:.1f}x ({result['wall_s']:.0f} s)",
            f"{result['audio_s'] / result['cpu_s']:.1f}x ({result['cpu_s']:.0f} s)",
            f"{result['load'][0]:.1f} / {result['load'][1]:.1f}"]


def score_row(config: str, recording: str, s: Score, extra: list[str]) -> str:
    cells = [config, recording, str(s.words), _pct(s.substitutions, s.words),
             _pct(s.deletions, s.words), _pct(s.dropped, s.words), _pct(s.repeats, s.words),
             _pct(s.insertions, s.words),
             _pct(s.substitutions + s.deletions + s.insertions, s.words),
             f"{s.longest_lost_s:.1f} s", f"{s.terms_heard}/{s.terms_said}"
             + (f" (+{s.terms_unsaid} not said)" if s.terms_unsaid else ""), str(s.unclear),
             *extra]
    return "| " + " | ".join(cells) + " |"


def per_consultation_table(details: list[tuple[str, Part, Score]]) -> str:
    """Deletions and the longest loss per consultation, one column per option."""
    configs = list(dict.fromkeys(config for config, _, _ in details))
    lines = [f"\nDeletions (of them dropped, with nothing written in their place) and longest "
             f"lost stretch per consultation (target: deletions <= {100 * MAX_DELETIONS:.0f}% "
             f"and < {MAX_LOST_S:.0f} s; * = missed):\n",
             "| consultation | voices | " + " | ".join(configs) + " |",
             "| --- | --- |" + " --- |" * len(configs)]
    by_part: dict[tuple[str, str, float], dict[str, Score]] = {}
    for config, part, one in details:  # a visit made longer holds a consultation twice
        by_part.setdefault((part.name, part.voices, part.start), {})[config] = one
    seen: set[tuple[str, str]] = set()
    for (name, voices, _start), scores in by_part.items():
        cells = []
        for config in configs:
            one = scores[config]
            meets = one.rate(one.deletions) <= MAX_DELETIONS and one.longest_lost_s < MAX_LOST_S
            cells.append(f"{_pct(one.deletions, one.words)} ({_pct(one.dropped, one.words)} "
                         f"dropped), {one.longest_lost_s:.1f} s" + ("" if meets else " *"))
        short = "-".join(name.split("-")[:2])  # a4-01: the writer and the number
        again = " (again)" if (name, voices) in seen else ""
        seen.add((name, voices))
        lines.append(f"| {short}{again} | {voices} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def same_words_table(details: list[tuple[str, Part, Score]], baseline: str = "before") -> str:
    """Substitutions of each option on the words `baseline` wrote (the long visit)."""
    pooled = {config: Score.pooled([one for c, _, one in details if c == config])
              for config in dict.fromkeys(config for config, _, _ in details)}
    if baseline not in pooled:
        return f"\n(Run `{baseline}` too for substitutions compared on the same words.)"
    lines = [f"\nSubstitutions on the reference words `{baseline}` wrote, right or wrong (the "
             f"words an option recovers are left out): the same words compared.\n",
             "| option | words | subst. on them |", "| --- | --- | --- |"]
    heard = sum(op in "CS" for op in pooled[baseline].ops)
    for config, one in pooled.items():
        lines.append(f"| {config} | {heard} | "
                     f"{100 * substitutions_where_heard(one, pooled[baseline]):.1f}% |")
    return "\n".join(lines)


HEADER = ("| option | recording | words | subst. | deletions | of them dropped | of them repeats "
          "| insert. | WER | longest lost | "
          "domain terms | unclear marks | speed, wall (s) | speed, CPU (s) | load 1 min "
          "before / after | peak RSS |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", nargs="+", default=list(DEFAULT_CONFIGS),
                        choices=list(CONFIGS), metavar="NAME",
                        help=f"options to compare (default: {' '.join(DEFAULT_CONFIGS)}; "
                             f"also: {' '.join(sorted(set(CONFIGS) - set(DEFAULT_CONFIGS)))})")
    parser.add_argument("--cases", nargs="+", default=list(DEFAULT_CASES), metavar="ID",
                        help="corpus consultations spoken into the long visit")
    parser.add_argument("--voices", nargs="+", default=["espeak", "flite"],
                        choices=["espeak", "flite"], help="voice sets to speak them with")
    parser.add_argument("--minutes", type=float, metavar="N",
                        help="the long visit made N minutes long (cut at the end of a turn, "
                             "or spoken over again): 30, the length issue 12's speed target "
                             "is set on; 74, memory on a long recording")
    parser.add_argument("--no-visit", action="store_true",
                        help="the sample visit only, no long visit")
    parser.add_argument("--save", type=Path, metavar="JSON",
                        help="also write every option's transcripts and timings here")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], [Path(p) for p in args.worker[1:]])))
        return

    from extract.questionset import load_question_set

    vocabulary = load_question_set().vocabulary
    normalize = normalizer()
    for name in args.configs:
        print(f"- {name}: {CONFIGS[name][0]}")
    print("\nspeed, CPU = audio seconds per CPU second of the option's process (user + sys): "
          "the fair measure on a shared machine; speed, wall = audio seconds per second of "
          "wall-clock time (the real-time factor), which the machine's load changes.\n")
    print(HEADER)
    print("|" + " --- |" * (HEADER.count("|") - 1), flush=True)
    details, skipped, saved = [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        recordings = [SAMPLE_AUDIO]
        parts: list[Part] = []
        if not args.no_visit:
            print("rendering the long visit...", file=sys.stderr, flush=True)
            visit, parts = build_visit(Path(tmp), args.cases, args.voices, args.minutes)
            recordings.append(visit)
        for config in args.configs:
            print(f"{config}...", file=sys.stderr, flush=True)
            began = time.perf_counter()
            out = run_child(config, recordings)
            saved[config] = out
            if args.save:
                args.save.write_text(json.dumps(saved), encoding="utf-8")
            if "skipped" in out:
                skipped.append(f"{config}: {out['skipped']}")
                continue
            rss = f"{out['peak_rss_mb']:.0f} MB"
            sample = out["results"][0]
            s = score(sample_turns(), sample["text"], len(sample["unclear"]), vocabulary,
                      normalize)
            print(score_row(config, "sample visit (espeak)", s, _speed_cells(sample) + [rss]),
                  flush=True)
            if parts:
                visit_result = out["results"][1]
                by_voice: dict[str, list[Score]] = {}
                for part in parts:
                    text, unclear = hypothesis_between(visit_result, part.start - 0.5,
                                                       part.end + 0.5)
                    one = score(part.turns, text, unclear, vocabulary, normalize)
                    by_voice.setdefault(part.voices, []).append(one)
                    details.append((config, part, one))
                for voices, scores in by_voice.items():
                    pooled = Score.pooled(scores)
                    worst = max(scores, key=lambda x: x.rate(x.deletions))
                    print(score_row(config, f"{len(scores)} consultations ({voices}); worst "
                                    f"deletions {100 * worst.rate(worst.deletions):.1f}%",
                                    pooled, ["", "", "", ""]), flush=True)
                everything = Score.pooled([one for c, _, one in details if c == config])
                print(score_row(config, f"whole visit, {visit_result['audio_s'] / 60:.1f} min",
                                everything, _speed_cells(visit_result) + [rss]), flush=True)
            print(f"{config}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    if details:
        print(per_consultation_table(details))
        print(same_words_table(details))
    for line in skipped:
        print(f"\nNot measured: {line}")


if __name__ == "__main__":
    main()
