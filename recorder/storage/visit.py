"""One folder per visit: where each stage's files live, and the manifest that describes them.

    <visit>/
      manifest.json      when, consent, audio facts and checksum, which stages ran with what
      recording.mp3      the audio (a copy of a given file, or what `visit record` captured)
      transcript.json    the Transcript contract (+ transcript.txt, .vtt, .srt)
      findings.json      the Findings contract
      report.html        the report (+ report.md, report.txt), followup.txt

The recording is never modified or overwritten; every other file is written atomically,
so a stage that was interrupted simply runs again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from extract.errors import BadInput
from recorder import __version__
from recorder.storage.audiofile import probe_duration_s
from recorder.storage.files import copy_private, make_private_dir, sha256_of, write_private

MANIFEST_FORMAT = "appointment-recorder/manifest"
MANIFEST_VERSION = 1
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".aac", ".webm", ".mp4")
RECORDING_STEM = "recording"


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class StageRun:
    """A stage that finished: which one, when, and with what."""

    stage: str  # "transcribe", "analyze", "report"
    finished: str  # ISO time
    tool_version: str = __version__
    details: dict = field(default_factory=dict)  # engine, model, question set...


@dataclass(frozen=True)
class Manifest:
    created: str
    audio_file: str | None = None  # a name inside the visit folder
    audio_sha256: str | None = None
    audio_source: str | None = None  # where a given file was copied from
    consent: dict | None = None  # written by `visit record`
    markers: tuple[dict, ...] = ()  # moments the patient marked while recording
    stages: tuple[StageRun, ...] = ()
    format: str = MANIFEST_FORMAT
    version: int = MANIFEST_VERSION

    def with_stage(self, run: StageRun) -> "Manifest":
        kept = tuple(s for s in self.stages if s.stage != run.stage)
        return replace(self, stages=kept + (run,))

    def stage(self, name: str) -> StageRun | None:
        return next((s for s in self.stages if s.stage == name), None)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError("not a manifest")
        data["stages"] = tuple(StageRun(**s) for s in data.get("stages", ()))
        data["markers"] = tuple(data.get("markers", ()))
        return cls(**data)


@dataclass(frozen=True)
class VisitFolder:
    path: Path

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def file(self, name: str) -> Path:
        return self.path / name

    transcript_json = property(lambda self: self.path / "transcript.json")
    findings_json = property(lambda self: self.path / "findings.json")
    report_html = property(lambda self: self.path / "report.html")
    report_md = property(lambda self: self.path / "report.md")
    report_txt = property(lambda self: self.path / "report.txt")
    followup_txt = property(lambda self: self.path / "followup.txt")

    def read_manifest(self) -> Manifest:
        try:
            return Manifest.from_json(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError, KeyError):
            raise BadInput(f"{self.manifest_path} is missing or damaged; this folder is not a "
                           "visit folder made by this tool.") from None

    def write_manifest(self, manifest: Manifest) -> None:
        write_private(self.manifest_path, manifest.to_json())

    def record_stage(self, stage: str, **details) -> None:
        manifest = self.read_manifest()
        self.write_manifest(manifest.with_stage(StageRun(stage, now_iso(), details=details)))

    @property
    def audio(self) -> Path | None:
        name = self.read_manifest().audio_file
        return self.path / name if name else None

    def require_audio(self) -> Path:
        audio = self.audio
        if audio is None or not audio.is_file():
            raise BadInput(f"{self.path} holds no recording; record one with `visit record`, "
                           "or give an audio file to `visit process`.")
        return audio

    def write(self, name: str, data: str | bytes) -> Path:
        return write_private(self.path / name, data)


def is_visit_folder(path: Path) -> bool:
    return path.is_dir() and (path / "manifest.json").is_file()


def open_visit(path: Path) -> VisitFolder:
    if not path.exists():
        raise BadInput(f"{path} does not exist; give a visit folder or an audio file.")
    if not is_visit_folder(path):
        raise BadInput(f"{path} is not a visit folder (it has no manifest.json); give a folder "
                       "made by `visit process` or `visit record`, or an audio file.")
    return VisitFolder(path)


def create_visit(path: Path) -> VisitFolder:
    """A new, empty visit folder (owner-only), or the existing visit at `path`."""
    if is_visit_folder(path):
        return VisitFolder(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BadInput(f"{path} already exists and is not a visit folder; choose another "
                       "folder with --out.")
    visit = VisitFolder(make_private_dir(path))
    visit.write_manifest(Manifest(created=now_iso()))
    return visit


def visit_for_audio(audio: Path, out: Path | None) -> VisitFolder:
    """The visit folder for a recording given as a file: beside it, or at `out`.

    The file is copied into the folder (the original is never touched). Run again on the
    same file, the same folder is reused; a folder holding a different recording is refused.
    """
    if audio.suffix.lower() not in AUDIO_SUFFIXES:
        raise BadInput(f"{audio.name} is not an audio file this tool reads; give a "
                       f"{', '.join(s[1:] for s in AUDIO_SUFFIXES)} file or a visit folder.")
    probe_duration_s(audio)  # refuses an empty or non-audio file before any folder is made
    folder = out if out is not None else audio.with_name(f"{audio.stem}-visit")
    visit = create_visit(folder)
    manifest = visit.read_manifest()
    checksum = sha256_of(audio)
    if manifest.audio_file:
        if manifest.audio_sha256 != checksum:
            raise BadInput(f"{folder} already holds a different recording; give that folder "
                           "alone, or choose a new folder with --out.")
        return visit
    name = f"{RECORDING_STEM}{audio.suffix.lower()}"
    copy_private(audio, folder / name)
    visit.write_manifest(replace(manifest, audio_file=name, audio_sha256=checksum,
                                 audio_source=str(audio.resolve())))
    return visit


TRANSCRIPT_SUFFIXES = (".json", ".vtt", ".srt", ".txt", ".text", ".md")


def visit_for_transcript(path: Path, out: Path | None):
    """A transcript file from this or another tool, read and stored in a visit folder."""
    from recorder.storage.transcript_files import read_transcript

    if not path.exists():
        raise BadInput(f"{path} does not exist; check the path, or give a visit folder.")
    if path.suffix.lower() not in TRANSCRIPT_SUFFIXES:
        raise BadInput(f"{path.name} is not a transcript this tool reads; give a .json, .vtt, "
                       ".srt or .txt file, or a visit folder.")
    transcript = read_transcript(path)
    folder = out if out is not None else path.with_name(f"{path.stem}-visit")
    visit = create_visit(folder)
    if visit.read_manifest().audio_file:
        raise BadInput(f"{folder} holds a recording and its own transcript; give that folder "
                       "alone, or choose a new folder with --out.")
    visit.write("transcript.json", transcript.to_json())
    return visit, transcript


def resolve_visit(target: Path, out: Path | None = None) -> VisitFolder:
    """A command's AUDIO_OR_VISIT argument, as a visit folder."""
    if target.is_dir():
        if out is not None:
            raise BadInput("--out is for an audio file; a visit folder is used where it is.")
        return open_visit(target)
    if not target.exists():
        raise BadInput(f"{target} does not exist; check the path, or give a visit folder.")
    return visit_for_audio(target, out)
