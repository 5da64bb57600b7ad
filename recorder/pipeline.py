"""The stages of a visit, run on its folder: each reads the file of the stage before it and
writes its own, so `visit process` resumes after an interruption.

This is the I/O edge around the pure cores (recorder.transcribe, extract.analyze,
reports.render): heavy objects (the Whisper engine, the spaCy pipeline) are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from extract.analyze import analyze
from extract.findings import Findings
from extract.questionset import QuestionSet
from recorder import __version__
from recorder.audio import load_audio
from recorder.errors import BadInput
from recorder.transcribe import Engine, Progress, TranscribeSettings, transcribe
from recorder.transcript import Transcript, read_transcript, to_srt, to_text, to_vtt
from recorder.visit import VisitFolder
from reports.render import ReportInput, render_html, render_markdown


def transcript_is_current(visit: VisitFolder) -> bool:
    """A transcript exists and was made from the visit's recording as it is now."""
    if not visit.transcript_json.is_file():
        return False
    try:
        transcript = read_transcript(visit.transcript_json)
    except BadInput:
        return False
    manifest = visit.read_manifest()
    return manifest.audio_sha256 is None or transcript.audio_sha256 == manifest.audio_sha256


def write_transcript(visit: VisitFolder, transcript: Transcript) -> None:
    visit.write("transcript.json", transcript.to_json())
    visit.write("transcript.txt", to_text(transcript))
    visit.write("transcript.vtt", to_vtt(transcript))
    visit.write("transcript.srt", to_srt(transcript))


def transcribe_visit(visit: VisitFolder, engine: Engine, settings: TranscribeSettings,
                     on_progress: Progress | None = None) -> Transcript:
    audio_path = visit.require_audio()
    audio = load_audio(audio_path)
    transcript = transcribe(audio, engine, settings=settings,
                            audio_sha256=visit.read_manifest().audio_sha256,
                            on_progress=on_progress)
    write_transcript(visit, transcript)
    visit.record_stage("transcribe", engine=transcript.engine, model=transcript.model,
                       language=transcript.language)
    return transcript


def read_visit_transcript(visit: VisitFolder) -> Transcript:
    if not visit.transcript_json.is_file():
        raise BadInput(f"{visit.path} has no transcript yet; run `visit transcribe "
                       f"{visit.path}` first.")
    return read_transcript(visit.transcript_json)


def analyze_visit(visit: VisitFolder, transcript: Transcript, question_set: QuestionSet,
                  nlp) -> Findings:
    findings = analyze(transcript, question_set, nlp)
    visit.write("findings.json", findings.to_json())
    visit.record_stage("analyze", question_set=question_set.name)
    return findings


def read_findings(visit: VisitFolder) -> Findings:
    if not visit.findings_json.is_file():
        raise BadInput(f"{visit.path} has no findings yet; run `visit analyze {visit.path}` "
                       "first.")
    try:
        return Findings.from_json(visit.findings_json.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError) as error:
        raise BadInput(f"{visit.findings_json} is damaged ({error}); run `visit analyze "
                       f"{visit.path}` again.") from None


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path


def report_visit(visit: VisitFolder) -> ReportFiles:
    findings = read_findings(visit)
    transcript = read_transcript(visit.transcript_json) if visit.transcript_json.is_file() else None
    manifest = visit.read_manifest()
    data = ReportInput(findings=findings, transcript=transcript, audio_name=manifest.audio_file,
                       markers=manifest.markers, tool_version=__version__)
    files = ReportFiles(html=visit.write("report.html", render_html(data)),
                        markdown=visit.write("report.md", render_markdown(data)))
    visit.record_stage("report", files=[files.html.name, files.markdown.name])
    return files
