"""The layers point one way: a lower layer never imports a higher one.

    recorder.app                         the command line, the pipeline, the live checklist
    recorder.capture | recorder.transcription   siblings: neither imports the other
    recorder.storage                     the visit folder, audio and transcript files
    recorder (its __init__: the version)
    reports                              pure rendering
    extract                              pure matching, and the contracts (Transcript, errors)

Every import counts, including the lazy ones inside functions. testkit/ (helpers for tests
and benchmarks) sits above everything: nothing installed may import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# (package prefix, rank): a module may import a lower rank, or its own layer.
LAYERS = (
    ("extract", 0),
    ("reports", 1),
    ("recorder.storage", 3),
    ("recorder.capture", 4),
    ("recorder.transcription", 4),
    ("recorder.app", 5),
    ("recorder", 2),  # the package's own __init__ (the version), below its subpackages
    ("testkit", 9),
)
INSTALLED = ("extract", "reports", "recorder")


def layer_of(module: str) -> tuple[str, int] | None:
    for prefix, rank in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return prefix, rank
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, at any depth in the file, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from recorder.capture import recording` imports recorder.capture.recording
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def violations(path: Path) -> list[str]:
    source = layer_of(module_name(path))
    assert source is not None, f"{path} is in no layer: add its package to LAYERS"
    source_prefix, source_rank = source
    wrong = []
    for line, target in imported_modules(path):
        layer = layer_of(target)
        if layer is None:
            continue
        prefix, rank = layer
        if prefix == source_prefix or rank < source_rank:
            continue
        if prefix == "recorder" and target != "recorder":
            continue  # `from recorder.x import y` seen as "recorder.x": judged by its own prefix
        wrong.append(f"{path.relative_to(REPO)}:{line} ({source_prefix}) imports {target} "
                     f"({prefix})")
    return wrong


def python_files() -> list[Path]:
    return sorted(p for package in INSTALLED for p in (REPO / package).rglob("*.py"))


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_imports_a_higher_layer(path):
    assert violations(path) == []


def test_the_checker_catches_an_upward_import(tmp_path, monkeypatch):
    """The check itself can fail: a capture module importing the matcher is caught."""
    fake = REPO / "recorder" / "capture" / "_layers_probe.py"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: (
        "def later():\n    from extract.analyze import analyze\n"
        "    from recorder.transcription.engines import load_engine\n"
        "    from recorder.app import pipeline\n"))
    found = violations(fake)
    assert any("recorder.transcription.engines" in v for v in found)
    assert any("recorder.app" in v for v in found)
    assert not any("extract.analyze" in v for v in found)


def test_capture_does_not_load_the_matcher():
    """Importing the microphone side loads neither the matcher nor transcription."""
    import subprocess
    import sys

    code = ("import sys, recorder.capture.recording, recorder.capture.microphone; "
            "print(sorted(m for m in sys.modules if m.startswith(('extract.analyze', "
            "'recorder.transcription', 'recorder.app', 'spacy'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "[]"
