"""How well the analyzer finds questions and judges answers, over the labelled corpus.

    .venv/bin/python benchmarks/extract.py            # the table for the README
    .venv/bin/python benchmarks/extract.py --mistakes # ...and every disagreement with the labels
    .venv/bin/python benchmarks/extract.py --audio 4  # ...and 4 visits spoken, through Whisper

Runs extract.analyze over every consultation in tests/corpus (gold labels in each file, see
tests/corpus/README.md) and prints, overall and per question or kind of finding: whether
questions were found (precision, recall), status accuracy, overclaims (answered or partial
where the truth is lower: must be 0), key-fact recall in the extracted answers, and the
accuracy of procedures, the surgeon's numbers, items, red flags, artifacts and verdicts. Then
the analysis speed, per 1,000 words, over the corpus and over a one-hour visit (the corpus
strung together until it is about 9,000 words), as the median of several runs.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path, and this file is called
# "extract" like the package it measures: put the repository first instead.
sys.path[0] = str(REPO)

import click  # noqa: E402

from extract.analyze import analyze  # noqa: E402
from extract.nlp import load_nlp  # noqa: E402
from extract.questionset import load_question_set  # noqa: E402
from recorder.storage.transcript_files import Transcript  # noqa: E402
from testkit.corpus import Consultation, Tally, evaluate, read_corpus  # noqa: E402

CORPUS = REPO / "tests" / "corpus"
HOUR_WORDS = 9_000  # words in an hour of consultation at about 150 words a minute
TIMING_RUNS = 5  # timings on shared machines vary up to 1.8x (shared/notes): quote medians
QUESTION_ROWS = ("all questions", "Q1", "Q2", "Q3", "Q4", "Q5")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _one_hour(consultations) -> Transcript:
    """The corpus visits one after another, shifted in time, until about an hour of words."""
    segments, offset, words = [], 0.0, 0
    while words < HOUR_WORDS:
        for consultation in consultations:
            transcript = consultation.transcript
            segments += [replace(s, start=s.start + offset, end=s.end + offset,
                                 words=tuple(replace(w, start=w.start + offset, end=w.end + offset)
                                             for w in s.words))
                         for s in transcript.segments]
            offset += transcript.duration_s + 2.0
            words += consultation.words
            if words >= HOUR_WORDS:
                break
    return Transcript(engine="import:corpus", model="none", language="en",
                      duration_s=offset, segments=tuple(segments))


def timings(nlp) -> tuple[float, float, int]:
    """Median seconds per 1,000 words over the corpus, and for one hour-long transcript."""
    question_set = load_question_set()
    consultations = read_corpus(CORPUS)
    words = sum(c.words for c in consultations)
    corpus_runs, hour_runs = [], []
    hour = _one_hour(consultations)
    hour_words = sum(len(s.text.split()) for s in hour.segments)
    for _ in range(TIMING_RUNS):
        began = time.perf_counter()
        for consultation in consultations:
            analyze(consultation.transcript, question_set, nlp)
        corpus_runs.append(time.perf_counter() - began)
        began = time.perf_counter()
        analyze(hour, question_set, nlp)
        hour_runs.append(time.perf_counter() - began)
    return (statistics.median(corpus_runs) / words * 1000, statistics.median(hour_runs),
            hour_words)


def _make_sample():
    """samples/make_sample.py, which renders a script with espeak-ng (not a package)."""
    spec = importlib.util.spec_from_file_location("make_sample",
                                                  REPO / "samples" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render_consultation(consultation: Consultation, folder: Path) -> Path:
    """Speak a consultation with espeak-ng: the surgeon's voice for clinic staff, the
    patient's for the patient and companions. Returns the mp3."""
    staff = ("SURGEON", "NURSE", "PA")
    script = [f"{'SURGEON' if speaker in staff else 'PATIENT'}: {words}"
              for speaker, words in consultation.turns]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "script.txt").write_text("\n".join(script) + "\n", encoding="utf-8")
    _make_sample().render(folder)
    return folder / "visit.mp3"


def audio_check(count: int) -> list[str]:
    """The whole chain (espeak-ng audio -> `visit process`) on the `count` shortest
    consultations of the default question set: one line per consultation."""
    chosen = sorted((c for c in read_corpus(CORPUS) if not c.gold.question_set),
                    key=lambda c: c.words)[:count]
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for consultation in chosen:
            audio = render_consultation(consultation, Path(tmp) / consultation.name)
            out = Path(tmp) / f"{consultation.name}-visit"
            began = time.perf_counter()
            subprocess.run([str(REPO / ".venv" / "bin" / "visit"), "process", str(audio),
                            "--out", str(out)], check=True, capture_output=True)
            seconds = time.perf_counter() - began
            findings = json.loads((out / "findings.json").read_text())
            right = sum(q["status"] == consultation.gold.statuses[q["id"]]
                        for q in findings["questions"])
            lines.append(f"| {consultation.name} | {right} / {len(findings['questions'])} | "
                         f"{findings['verdict'] == consultation.gold.verdict} | {seconds:.1f} s |")
    return ["| consultation (audio) | statuses right | verdict right | visit process |",
            "| --- | --- | --- | --- |", *lines]


def table(tallies: dict[str, Tally]) -> list[str]:
    lines = ["| item | asked precision | asked recall | status accuracy | overclaims | "
             "key-fact recall |", "| --- | --- | --- | --- | --- | --- |"]
    for key in QUESTION_ROWS:
        t = tallies[key]
        lines.append(f"| {key} | {_fmt(t.precision())} | {_fmt(t.recall())} | "
                     f"{_fmt(t.accuracy())} | {t.overclaims} | {_fmt(t.fact_recall())} |")
    lines += ["", "| finding | accuracy | right / checked |", "| --- | --- | --- |"]
    for key in ("procedures", "surgeon's numbers", "comparison, referral, cost", "red flags",
                "artifacts", "verdict"):
        t = tallies[key]
        lines.append(f"| {key} | {_fmt(t.accuracy())} | {t.right} / {t.total} |")
    return lines


@click.command()
@click.option("--mistakes", is_flag=True, help="Also list every disagreement with the labels.")
@click.option("--no-timing", is_flag=True, help="Skip the speed measurement.")
@click.option("--blank-pipeline", is_flag=True,
              help="Use spaCy's blank English pipeline (the fallback without a model).")
@click.option("--audio", type=int, default=0, metavar="N",
              help="Also render the N shortest visits with espeak-ng and run `visit process`.")
def main(mistakes: bool, no_timing: bool, blank_pipeline: bool, audio: int) -> None:
    """Print the matching benchmark table over tests/corpus.

    Example:

        .venv/bin/python benchmarks/extract.py --mistakes
    """
    nlp = load_nlp()
    if blank_pipeline:
        import spacy

        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
    consultations = read_corpus(CORPUS)
    tallies = evaluate(consultations, nlp)
    words = sum(c.words for c in consultations)
    pipeline = "blank English, rule-based sentences" if blank_pipeline else nlp.meta["name"]
    click.echo(f"{len(consultations)} consultations, {words} words, spaCy pipeline: "
               f"{pipeline}\n")
    click.echo("\n".join(table(tallies)))
    if not no_timing:
        per_thousand, hour_s, hour_words = timings(nlp)
        click.echo(f"\nSpeed (median of {TIMING_RUNS}): {per_thousand:.3f} s per 1,000 words "
                   f"over the corpus; a one-hour transcript ({hour_words} words) in "
                   f"{hour_s:.2f} s.")
    if audio:
        click.echo("")
        click.echo("\n".join(audio_check(audio)))
    if mistakes:
        click.echo("\nMistakes:")
        for key, tally in tallies.items():
            for line in tally.mistakes:
                click.echo(f"  [{key}] {line}")


if __name__ == "__main__":
    main()
