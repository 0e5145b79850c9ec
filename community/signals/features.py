"""Hashed n-gram features of a text: what the builtin model's weights are indexed by.

Latin words give uni/bi-grams with negation marking, CJK runs give character 1-3-grams; features are hashed
with CRC-32 into ``2**N_BITS`` columns. Shared by training (``scripts/train_sentiment.py``) and scoring.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence

import numpy as np

from community.signals.lexicon import EN_NEGATORS, NEGATION_SCOPE, clean_text, normalise_text

__all__ = ["DIM", "FEATURE_VERSION", "N_BITS", "extract_features", "hash_features", "vectorise"]

FEATURE_VERSION = "hash-v1"
"""Bumped whenever feature extraction changes; the weights file records the version it was trained with."""

N_BITS = 20
DIM = 1 << N_BITS

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_TOKEN_RE = re.compile(
    "(?P<cjk>[" + _CJK + "]+)"
    "|(?P<word>n't|[a-z\u00c0-\u024f]+(?=n't)|'[a-z]+|[a-z0-9\u00c0-\u024f]+)"
    "|(?P<punct>[.,!?;:()\u3002\uff0c\uff01\uff1f\uff1b\uff1a])"
)


def extract_features(text: str) -> list[str]:
    """Feature strings for one text (without emoji/emoticons, which go through the lexicon prior).

    Latin: ``w:`` unigrams, ``b:`` bigrams, ``n:`` negated unigrams (up to 3 words after a negator, until
    punctuation). CJK: ``c:`` character 1-, 2- and 3-grams inside each run of ideographs.
    """
    text = normalise_text(clean_text(text))
    features: list[str] = []
    prev: str | None = None
    negate = 0
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        token = match.group()
        if kind == "word":
            features.append("w:" + token)
            if prev is not None:
                features.append("b:" + prev + " " + token)
            if negate:
                features.append("n:" + token)
                negate -= 1
            if token in EN_NEGATORS:
                negate = NEGATION_SCOPE
            prev = token
        elif kind == "cjk":
            _add_char_ngrams(token, features)
            prev, negate = None, 0
        else:
            prev, negate = None, 0
    return features


def _add_char_ngrams(run: str, features: list[str]) -> None:
    """Character 1-3-grams of one CJK run."""
    n = len(run)
    for i in range(n):
        features.append("c:" + run[i])
        if i + 1 < n:
            features.append("c:" + run[i : i + 2])
            if i + 2 < n:
                features.append("c:" + run[i : i + 3])


def hash_features(features: Sequence[str], n_bits: int = N_BITS) -> dict[int, float]:
    """Map feature strings to hashed column -> count (CRC-32, stable across processes and platforms)."""
    mask = (1 << n_bits) - 1
    counts: dict[int, float] = {}
    for feature in features:
        col = zlib.crc32(feature.encode("utf-8", errors="surrogatepass")) & mask
        counts[col] = counts.get(col, 0.0) + 1.0
    return counts


def vectorise(texts: Sequence[str], n_bits: int = N_BITS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse rows for a batch: (row ids, column ids, L2-normalised values), one row per text.

    Shared by training (to build a CSR matrix) and inference (to score with a dense weight vector).
    """
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for row, text in enumerate(texts):
        counts = hash_features(extract_features(text), n_bits)
        if not counts:
            continue
        norm = math.sqrt(sum(v * v for v in counts.values()))
        for col, value in counts.items():
            rows.append(row)
            cols.append(col)
            vals.append(value / norm)
    return (
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(vals, dtype=np.float64),
    )
