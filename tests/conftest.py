"""Shared fixtures: the real Whisper model, the real spaCy pipeline, the sample visit.

Heavy objects are built once per session and passed in. No test writes into the checkout:
models live in a folder of the session's own. Tests of the slow tiers are marked (real
Whisper, the virtual microphone, the headless browser: all also `slow`), so
`pytest -m "not slow"` is a quick run; `make test` and CI run everything. Under CI=true a
skipped test fails the run: nothing may silently skip. Helpers shared with the benchmarks
live in testkit/ (importable from the repository root), never in a test module.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from testkit.paths import SAMPLE_AUDIO, SAMPLE_DIR

SLOW_TIERS = ("whisper", "microphone", "browser", "speaker_model")  # each also "slow"
# A test using one of these fixtures belongs to that tier, whether or not its module says so.
TIER_OF_FIXTURE = {"base_engine": "whisper", "processed_sample": "whisper",
                   "openai_processed_sample": "whisper", "vmic": "microphone",
                   "browser": "browser"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for fixture, tier in TIER_OF_FIXTURE.items():
            if fixture in item.fixturenames:
                item.add_marker(tier)
        if any(item.get_closest_marker(tier) for tier in SLOW_TIERS):
            item.add_marker("slow")


@pytest.fixture(autouse=True)
def _working_folder_of_its_own(tmp_path, monkeypatch):
    """Every test runs in an empty folder of its own: a command that writes next to a
    relative path, or a default visit folder, writes there and never into the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def sample_truth() -> dict:
    return json.loads((SAMPLE_DIR / "truth.json").read_text())


@pytest.fixture(scope="session")
def question_set():
    from extract.questionset import load_question_set

    return load_question_set()


@pytest.fixture(scope="session")
def embedder():
    """The sentence-embedding model the commands match by meaning with (real weights)."""
    from extract.embedding import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def nlp():
    from extract.nlp import load_nlp

    return load_nlp()


@pytest.fixture(scope="session", autouse=True)
def models_folder(tmp_path_factory) -> Path:
    """The session's own models folder, never the checkout's: every `visit` command, in
    process or as a child, finds it through the environment. The packaged base model is
    joined into it when first needed, and the openai-whisper checkpoint converted from it
    once per session, when first needed."""
    from recorder.transcription.models import MODELS_DIR_ENV

    folder = tmp_path_factory.mktemp("models")
    saved = os.environ.get(MODELS_DIR_ENV)
    os.environ[MODELS_DIR_ENV] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop(MODELS_DIR_ENV, None)
    else:
        os.environ[MODELS_DIR_ENV] = saved


@pytest.fixture(scope="session")
def speaker_model(models_folder) -> Path:
    """The speaker-label model made in the session's models folder by the set-up step itself
    (`visit models install speakers`, in a child: torch stays out of the test process), so
    `visit process` labels speakers as on a set-up machine. Slow (about 10 s through torch):
    made only for the slow tiers and tests marked `speaker_model`."""
    import subprocess

    subprocess.run([str(Path(sys.executable).with_name("visit")), "models", "install",
                    "speakers"], check=True, capture_output=True)
    return models_folder


@pytest.fixture(autouse=True)
def _speaker_model_for_the_slow_tiers(request):
    if request.node.get_closest_marker("slow"):
        request.getfixturevalue("speaker_model")


@pytest.fixture(scope="session")
def base_engine(models_folder):
    """The embedded default: Whisper base (faster-whisper, int8), real weights."""
    from recorder.transcription.engines import TranscribeSettings, load_engine

    return load_engine(TranscribeSettings(), models_folder)


@pytest.fixture(scope="session")
def processed_sample(tmp_path_factory, speaker_model) -> Path:
    """The sample visit run through `visit process` once, end to end, with the real model
    (and the speaker-label model: session fixtures are made before the autouse one above)."""
    from click.testing import CliRunner

    from recorder.app.cli import main

    folder = tmp_path_factory.mktemp("sample") / "visit"
    result = CliRunner().invoke(main, ["process", str(SAMPLE_AUDIO), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def vmic(tmp_path_factory):
    """The default input of this process and its children is a virtual microphone: a
    private PulseAudio server (testkit/virtual_mic.py), started and stopped per module."""
    from testkit import virtual_mic

    mic = virtual_mic.start(tmp_path_factory.mktemp("pulse"))
    saved = {name: os.environ.get(name) for name in mic.environment()}
    os.environ.update(mic.environment())
    if "sounddevice" in sys.modules:  # imported before the server was up: scan again
        sd = sys.modules["sounddevice"]
        sd._terminate()
        sd._initialize()
    yield mic
    mic.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture()
def sample_copy(tmp_path) -> Path:
    target = tmp_path / "recording.mp3"
    shutil.copyfile(SAMPLE_AUDIO, target)
    return target


def pytest_sessionfinish(session, exitstatus):
    """Under CI, a skipped test is a failed run: every capability must be tested for real."""
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; failing the run.",
                            red=True)
        session.exitstatus = 1
