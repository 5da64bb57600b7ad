"""Where the checkout keeps the data tests and benchmarks read: never written to by them."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "samples" / "sample-visit"  # script.txt, visit.mp3, turns.json, truth.json
SAMPLE_AUDIO = SAMPLE_DIR / "visit.mp3"
CORPUS_DIR = REPO / "tests" / "corpus"  # labelled consultations (tests/corpus/README.md)
GOLDEN_DIR = REPO / "tests" / "golden"  # report cases with their exact expected outputs
PRIMOCK_DIR = REPO / "tests" / "data" / "primock57"  # CC BY 4.0, see its README
VISIT = Path(sys.executable).with_name("visit")  # the installed command, run as a child
