"""The stages of a visit, run on its folder: each reads the file of the stage before it and
writes its own, so `visit process` resumes after an interruption.

This is the I/O edge around the pure cores (recorder.transcription.engines, extract.analyze,
reports.render): heavy objects (the Whisper engine, the spaCy pipeline) are passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from extract.analyze import analyze
from extract.errors import BadInput
from extract.findings import Findings
from extract.questionset import QuestionSet, load_question_set_named
from extract.transcript import Transcript
from recorder import __version__
from recorder.app.live import LiveTranscriber
from recorder.storage.transcript_files import read_transcript, to_srt, to_text, to_vtt
from recorder.storage.visit import Manifest, VisitFolder
from recorder.transcription.engines import Engine, Progress, TranscribeSettings, transcribe_file
from reports.followup import draft_followup, open_requests
from reports.render import ReportInput, render_html, render_markdown, render_text

TRANSCRIPT_CHECKPOINT = "transcript.partial.json"  # finished windows of a running transcription


def transcript_is_current(visit: VisitFolder) -> bool:
    """A transcript exists and was made from the visit's recording as it is now."""
    if not visit.transcript_json.is_file():
        return False
    try:
        transcript = read_transcript(visit.transcript_json)
    except BadInput:
        return False
    manifest = visit.read_manifest()
    if manifest.audio_file is None:
        return True  # a transcript imported from another tool: there is nothing to redo
    return manifest.audio_sha256 is not None and transcript.audio_sha256 == manifest.audio_sha256


def write_transcript(visit: VisitFolder, transcript: Transcript) -> None:
    visit.write("transcript.json", transcript.to_json())
    visit.write("transcript.txt", to_text(transcript))
    visit.write("transcript.vtt", to_vtt(transcript))
    visit.write("transcript.srt", to_srt(transcript))


def transcribe_visit(visit: VisitFolder, engine: Engine, settings: TranscribeSettings,
                     on_progress: Progress | None = None) -> Transcript:
    """Transcribe the visit's recording, carrying on from the checkpoint of a run that was
    stopped; the checkpoint goes once the transcript is written."""
    audio = visit.require_audio()
    checksum = visit.read_manifest().audio_sha256
    if checksum is None:
        raise BadInput(f"The recording {audio.name} was never finished (the recorder was "
                       f"stopped abruptly); run `visit recover {visit.path}` first.")
    checkpoint = visit.file(TRANSCRIPT_CHECKPOINT)
    transcript = transcribe_file(audio, engine, settings=settings, audio_sha256=checksum,
                                 checkpoint=checkpoint, on_progress=on_progress)
    write_transcript(visit, transcript)
    checkpoint.unlink(missing_ok=True)
    visit.record_stage("transcribe", engine=transcript.engine, model=transcript.model,
                       language=transcript.language)
    return transcript


# --- Speaker labels ---------------------------------------------------------------------

def consent_wordings(manifest: Manifest) -> tuple[str, ...]:
    """What the patient reads aloud as a `visit record` recording opens: the consent script
    (as stored with the consent) and the sentence naming who agreed; for a recording made
    elsewhere, today's script (a patient may have read it from the prep sheet)."""
    from recorder.capture.recording import CONSENT_SCRIPT, Consent

    record = manifest.consent
    if not record:
        return (CONSENT_SCRIPT,)
    consent = Consent(given_by=tuple(record.get("given_by") or ("",)), time="", method="",
                      script=record.get("script") or CONSENT_SCRIPT)
    said = re.search(r'"(.+)"', consent.spoken_prompt())
    return (consent.script,) + ((said.group(1),) if said and record.get("given_by") else ())


def label_speakers(visit: VisitFolder, transcript: Transcript, session, *,
                   question_set: QuestionSet, speakers: int | None = None) -> Transcript:
    """Who spoke when (recorder.transcription.speakers): the transcript files are written
    again with a speaker on every segment and the roles in the header. `session` is the
    speaker encoder (speaker_model.load_speaker_encoder); `speakers` fixes the count."""
    from recorder.storage.audiofile import decode_chunks
    from recorder.transcription.speakers import diarize, label_transcript, name_roles

    manifest = visit.read_manifest()
    diarization = diarize(transcript, decode_chunks(visit.require_audio()), session,
                          speakers=speakers)
    labelled = name_roles(label_transcript(transcript, diarization),
                          consent=consent_wordings(manifest),
                          questions=[q.text for q in question_set.questions],
                          practitioner=question_set.practitioner)
    write_transcript(visit, labelled)
    visit.record_stage("speakers", count=diarization.count,
                       labels=[s.label for s in labelled.speakers],
                       silhouettes={str(k): round(v, 3) for k, v in diarization.scores.items()})
    return labelled


def remove_speaker_labels(visit: VisitFolder, transcript: Transcript) -> Transcript:
    """The transcript files written again without the speaker labels this tool made."""
    bare = replace(transcript, speakers=(),
                   segments=tuple(replace(s, speaker=None) for s in transcript.segments))
    write_transcript(visit, bare)
    visit.record_stage("speakers", count=0, labels=[], silhouettes={})
    return bare


def speakers_labelled(visit: VisitFolder) -> bool:
    """Speaker labelling ran on the visit's transcript as it is now."""
    manifest = visit.read_manifest()
    run, transcribed = manifest.stage("speakers"), manifest.stage("transcribe")
    return run is not None and (transcribed is None or run.finished >= transcribed.finished)


def finish_live(visit: VisitFolder, transcriber: LiveTranscriber) -> Transcript:
    """Keep the transcript made during the recording: only the audio still waiting is
    transcribed now, and the result is tied to the finished recording's checksum."""
    transcript = transcriber.finish(audio_sha256=visit.read_manifest().audio_sha256)
    write_transcript(visit, transcript)
    visit.record_stage("transcribe", engine=transcript.engine, model=transcript.model,
                       language=transcript.language, live=True)
    return transcript


def read_visit_transcript(visit: VisitFolder) -> Transcript:
    if not visit.transcript_json.is_file():
        raise BadInput(f"{visit.path} has no transcript yet; run `visit transcribe "
                       f"{visit.path}` first.")
    return read_transcript(visit.transcript_json)


def analyze_visit(visit: VisitFolder, transcript: Transcript, question_set: QuestionSet,
                  nlp, embedder=None) -> Findings:
    """Findings for the visit, written to findings.json. `embedder` matches by meaning
    (extract.embedding.load_embedder); None matches by words only, and the manifest says so."""
    findings = analyze(transcript, question_set, nlp, embedder=embedder)
    visit.write("findings.json", findings.to_json())
    visit.record_stage("analyze", question_set=question_set.name,
                       matched_by="meaning and words" if embedder is not None else "words only")
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


def question_set_of(findings: Findings) -> QuestionSet:
    """The question set the findings were made with: its wording is the report's."""
    try:
        return load_question_set_named(findings.question_set_file)
    except BadInput as error:
        raise BadInput(f"{str(error).rstrip('.')}; the findings were made with it, so put it "
                       "back or run `visit analyze` again with --questions.") from None


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    text: Path
    followup: Path


def visit_date(manifest: Manifest) -> date | None:
    """The day of the visit, known when this tool recorded it (the consent's time); the day
    a copied phone recording was made is not known."""
    if not manifest.consent:
        return None
    return datetime.fromisoformat(manifest.consent.get("time", manifest.created)).date()


def report_visit(visit: VisitFolder) -> ReportFiles:
    """The report in HTML, Markdown and plain text, and the follow-up email it points to."""
    findings = read_findings(visit)
    transcript = read_transcript(visit.transcript_json) if visit.transcript_json.is_file() else None
    manifest = visit.read_manifest()
    question_set = question_set_of(findings)
    followup = write_followup(visit, findings, question_set)
    data = ReportInput(findings=findings, question_set=question_set, transcript=transcript,
                       audio_name=manifest.audio_file,
                       markers=manifest.markers, tool_version=__version__,
                       visit_date=visit_date(manifest),
                       followup_email=followup.text if followup.needed else None)
    files = ReportFiles(html=visit.write("report.html", render_html(data)),
                        markdown=visit.write("report.md", render_markdown(data)),
                        text=visit.write("report.txt", render_text(data)), followup=followup.path)
    visit.record_stage("report", files=[files.html.name, files.markdown.name, files.text.name,
                                        files.followup.name])
    return files


@dataclass(frozen=True)
class Followup:
    path: Path
    text: str
    needed: bool  # False: everything the patient came for is in hand


def write_followup(visit: VisitFolder, findings: Findings, question_set: QuestionSet,
                   ) -> Followup:
    text = draft_followup(findings, question_set, visit_date=visit_date(visit.read_manifest()))
    return Followup(path=visit.write("followup.txt", text), text=text,
                    needed=not open_requests(findings, question_set).empty)


def followup_visit(visit: VisitFolder) -> Followup:
    findings = read_findings(visit)
    return write_followup(visit, findings, question_set_of(findings))
