"""The models folder: where it is, what is in it, downloads that fail clearly when the model
servers cannot be reached, and checksums that catch a damaged model. The failure is forced
(both hubs pointed at an address nothing listens on), so the test means the same on a
laptop with internet as on a closed machine."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from extract.errors import BadInput, NotInstalled
from recorder.app.cli import main

BASE_SIZE_MB = 145.2  # the joined packaged base model.bin
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, refused at once


def _error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("Error")]


def test_the_models_folder_is_flag_then_environment_then_checkout(tmp_path, monkeypatch):
    from recorder.transcription.models import MODELS_DIR_ENV, models_dir

    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path / "from-env"))
    assert models_dir(tmp_path / "from-flag") == tmp_path / "from-flag"
    assert models_dir() == tmp_path / "from-env"
    monkeypatch.delenv(MODELS_DIR_ENV)
    assert models_dir() == Path(__file__).resolve().parents[1] / "models"


@pytest.fixture()
def unreachable_model_servers(monkeypatch, tmp_path):
    """Both model hubs point at an address nothing listens on, and the Hugging Face cache is
    an empty folder: a download fails whether or not this machine has internet."""
    import huggingface_hub.constants as hub
    import whisper

    monkeypatch.setenv("HF_ENDPOINT", UNREACHABLE)  # for anything that reads it afresh
    monkeypatch.setattr(hub, "ENDPOINT", UNREACHABLE)  # read when huggingface_hub loaded
    monkeypatch.setattr(hub, "HUGGINGFACE_CO_URL_TEMPLATE",
                        UNREACHABLE + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(whisper, "_MODELS", {  # keeps each URL's path: it carries the sha256
        name: UNREACHABLE + urlsplit(url).path for name, url in whisper._MODELS.items()})


@pytest.mark.parametrize("engine", ["faster-whisper", "openai-whisper"])
def test_a_download_that_cannot_reach_the_server_fails_fast_in_one_sentence(
        unreachable_model_servers, tmp_path, engine):
    models = tmp_path / "models"
    result = CliRunner().invoke(main, ["models", "install", "tiny", "--engine", engine,
                                       "--models-dir", str(models)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    [error] = _error_lines(result)
    assert "download of the Whisper model 'tiny' failed" in error
    assert "'base', needs no download" in error
    assert error.count(". ") == 0  # one sentence
    assert not any(models.rglob("*tiny*"))  # nothing half-downloaded left behind


def test_an_unknown_model_name_lists_the_real_ones(tmp_path):
    result = CliRunner().invoke(main, ["models", "install", "huge", "--models-dir", str(tmp_path)])
    assert result.exit_code == 1
    [error] = _error_lines(result)
    assert "'huge'" in error and "small" in error and "large-v3" in error


def test_a_model_that_is_not_installed_says_how_to_install_it(tmp_path):
    from recorder.transcription.engines import TranscribeSettings, load_engine

    with pytest.raises(NotInstalled, match="visit models install small --engine openai-whisper"):
        load_engine(TranscribeSettings(engine="openai-whisper", model="small"), tmp_path)
    with pytest.raises(NotInstalled, match="visit models install small"):
        load_engine(TranscribeSettings(model="small"), tmp_path)


def test_install_list_and_verify_catch_a_damaged_model(tmp_path):
    runner = CliRunner()
    folder = ["--models-dir", str(tmp_path)]
    installed = runner.invoke(main, ["models", "install", "base", *folder])
    assert installed.exit_code == 0, installed.output  # joined from the packages, offline
    listed = runner.invoke(main, ["models", "list", *folder])
    line = next(row for row in listed.output.splitlines() if "faster-whisper" in row
                and "base" in row)
    assert f"{BASE_SIZE_MB} MB" in line and line.rstrip().endswith("ok")
    assert runner.invoke(main, ["models", "verify", *folder]).exit_code == 0

    weights = tmp_path / "faster-whisper-base" / "model.bin"
    with weights.open("r+b") as handle:  # one flipped byte deep inside the weights
        handle.seek(50_000_000)
        byte = handle.read(1)
        handle.seek(50_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    verified = runner.invoke(main, ["models", "verify", *folder])
    assert verified.exit_code == 1
    assert "faster-whisper-base/model.bin" in _error_lines(verified)[0]
    assert "damaged" in verified.output


def test_a_file_that_is_not_a_ctranslate2_model_is_refused():
    from recorder.transcription.checkpoint import parse_ctranslate2

    with pytest.raises(BadInput, match="CTranslate2 binary version"):
        parse_ctranslate2(b"\x07\x00\x00\x00not a model at all")
    with pytest.raises(BadInput, match="not a readable CTranslate2 model"):
        parse_ctranslate2(b"\x06\x00\x00\x00\x0c\x00WhisperSpec\x00\x03\x00")
