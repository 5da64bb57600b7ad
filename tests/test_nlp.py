"""The spaCy pipeline (extract/nlp.py): sentences only, loaded as fast as it can be."""

from __future__ import annotations

from extract.nlp import ENGLISH_MODELS, SENTENCE_ONLY_EXCLUDE, _import_spacy


def test_the_tokenizer_spacy_builds_is_the_one_the_model_saved(nlp):
    """load_nlp does not read the model's tokenizer (SENTENCE_ONLY_EXCLUDE): the one built
    from spaCy's English defaults must have the same rules and exceptions, or the sentences
    would change. (The vocabulary is left out: it grows with every text the shared pipeline
    has read.)"""
    spacy = _import_spacy()
    read = []
    for name in ENGLISH_MODELS:
        try:
            read.append(spacy.load(name, exclude=[e for e in SENTENCE_ONLY_EXCLUDE
                                                  if e != "tokenizer"]))
        except OSError:
            continue
    assert read, "no English model installed"
    assert (nlp.tokenizer.to_bytes(exclude=["vocab"])
            == read[0].tokenizer.to_bytes(exclude=["vocab"]))
    text = "Dr. Lee said L4-5 isn't the cause, e.g. at 3:30 p.m. Is it? It's 60-70%."
    assert [t.text for t in nlp(text)] == [t.text for t in read[0](text)]
    assert "senter" in nlp.pipe_names
