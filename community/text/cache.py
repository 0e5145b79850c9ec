"""Vectors cached by content hash: sha256 of (model name, role, text) -> vector, in memory (LRU) and optionally
in a SQLite file, so a course, message or resource is encoded once per model however often it is searched."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from community.text.encoders import Role, TextEncoder

DEFAULT_MAX_ITEMS = 50_000  # in memory: 50,000 x 512 float32 is about 100 MB


def content_key(model: str, role: str, text: str) -> bytes:
    """The cache key of one text: sha256 over the model name, the role and the text (NUL-separated)."""
    return hashlib.sha256(f"{model}\0{role}\0{text}".encode()).digest()


class VectorCache:
    """An LRU of vectors by key, backed by a SQLite file when `path` is given (created on first use).

    Thread-safe. The file holds one table `vectors(key, dim, vec)` with float32 bytes; it is a cache, so
    deleting it loses nothing but time."""

    def __init__(self, path: str | Path | None = None, *, max_items: int = DEFAULT_MAX_ITEMS) -> None:
        self.max_items = max_items
        self._mem: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            p = Path(path)
            p.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(p), check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, dim INTEGER, vec BLOB)"
            )
            self._db.commit()

    def __len__(self) -> int:
        return len(self._mem)

    def get_many(self, keys: Sequence[bytes]) -> list[np.ndarray | None]:
        """The cached vector of each key, or None."""
        with self._lock:
            out: list[np.ndarray | None] = []
            missing: list[int] = []
            for i, k in enumerate(keys):
                v = self._mem.get(k)
                if v is not None:
                    self._mem.move_to_end(k)
                else:
                    missing.append(i)
                out.append(v)
            if missing and self._db is not None:
                for i, v in zip(missing, self._read([keys[i] for i in missing]), strict=True):
                    if v is not None:
                        out[i] = v
                        self._remember(keys[i], v)
            return out

    def put_many(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Store vectors ([len(keys), d]) under their keys."""
        with self._lock:
            for k, v in zip(keys, vectors, strict=True):
                self._remember(k, np.array(v, dtype=np.float32))
            if self._db is not None:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors (key, dim, vec) VALUES (?, ?, ?)",
                    [
                        (k, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes())
                        for k, v in zip(keys, vectors, strict=True)
                    ],
                )
                self._db.commit()

    def clear_memory(self) -> None:
        with self._lock:
            self._mem.clear()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _remember(self, key: bytes, vec: np.ndarray) -> None:
        vec.setflags(write=False)  # handed out to callers: nobody may change a cached vector in place
        self._mem[key] = vec
        self._mem.move_to_end(key)
        while len(self._mem) > self.max_items:
            self._mem.popitem(last=False)

    def _read(self, keys: list[bytes]) -> list[np.ndarray | None]:
        assert self._db is not None
        found: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), 500):  # SQLite's bound-parameter limit
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for k, _dim, blob in self._db.execute(
                f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", chunk
            ):
                found[bytes(k)] = np.frombuffer(blob, dtype=np.float32).copy()
        return [found.get(k) for k in keys]


class CachedEncoder(TextEncoder):
    """An encoder whose vectors go through a `VectorCache`: only texts not seen before are encoded (in one
    batched call, each distinct text once). `hits` and `misses` count texts looked up."""

    def __init__(self, encoder: TextEncoder, cache: VectorCache | None = None) -> None:
        self.inner = encoder
        self.cache = cache if cache is not None else VectorCache()
        self.name = encoder.name
        self.dim = encoder.dim
        self.asymmetric = encoder.asymmetric
        self.batch_size = encoder.batch_size
        self.hits = 0
        self.misses = 0

    def encode(self, texts: Sequence[str], *, role: Role = "passage") -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not one string")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        key_role = role if self.asymmetric else ""  # a symmetric model gives one vector per text
        keys = [content_key(self.name, key_role, t) for t in texts]
        found = self.cache.get_many(keys)
        todo: dict[bytes, str] = {}
        for k, t, v in zip(keys, texts, found, strict=True):
            if v is None and k not in todo:
                todo[k] = t
        self.hits += sum(v is not None for v in found)
        self.misses += len(texts) - sum(v is not None for v in found)
        fresh: dict[bytes, np.ndarray] = {}
        if todo:
            vecs = self.inner.encode(list(todo.values()), role=role)
            self.cache.put_many(list(todo), vecs)
            fresh = dict(zip(todo, vecs, strict=True))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, (k, v) in enumerate(zip(keys, found, strict=True)):
            out[i] = v if v is not None else fresh[k]
        return out

    def _encode_batch(
        self, texts: list[str], role: Role
    ) -> np.ndarray:  # pragma: no cover - encode is overridden
        return self.inner.encode(texts, role=role)
