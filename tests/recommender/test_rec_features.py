"""Text encoders: hashing (deterministic, any script), caching, the offline MiniLM default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.features import HashingTextEncoder, TextEncoder, make_encoder


def test_hashing_is_deterministic_normalised_and_reads_chinese() -> None:
    enc = HashingTextEncoder(dim=128)
    a = enc.encode(["Python for data analysis", "我喜欢这个群", ""])
    b = HashingTextEncoder(dim=128).encode(["Python for data analysis", "我喜欢这个群", ""])
    assert a.shape == (3, 128) and np.array_equal(a, b)
    assert np.linalg.norm(a[0]) == pytest.approx(1.0) and np.linalg.norm(a[1]) == pytest.approx(1.0)
    assert not a[2].any()
    zh = enc.encode(["学习Python编程课程", "Python编程入门课程", "水彩画风景"])
    assert zh[0] @ zh[1] > zh[0] @ zh[2]


def test_cache_avoids_reencoding_and_persists(tmp_path: Path) -> None:
    calls: list[int] = []

    class Counting(HashingTextEncoder):
        def _encode_new(self, texts: list[str]) -> np.ndarray:
            calls.append(len(texts))
            return super()._encode_new(texts)

    path = tmp_path / "cache.npz"
    enc = Counting(cache_path=path)
    first = enc.encode(["a course", "b course", "a course"])
    enc.encode(["b course", "a course"])
    assert calls == [2]
    enc.save_cache()
    again = Counting(cache_path=path)
    assert np.array_equal(again.encode(["a course", "b course", "a course"]), first)
    assert calls == [2]


def test_make_encoder_by_name() -> None:
    assert isinstance(make_encoder("hashing"), HashingTextEncoder)


def test_minilm_default_loads_offline() -> None:
    enc = make_encoder()
    assert isinstance(enc, TextEncoder) and enc.dim == 384
    v = enc.encode(["Intro to Python programming", "Learn Python coding basics", "Watercolour landscapes"])
    assert v.shape == (3, 384)
    assert v[0] @ v[1] > v[0] @ v[2]
