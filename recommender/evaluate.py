"""Ranking metrics as free functions with one signature, and an evaluation driver.

Every metric takes ``top`` (int ``[n_users, >=k]`` internal item indices per user, best first, ``-1`` for an
empty slot) and ``truth`` (CSR ``[n_users, n_items]``, nonzero = relevant) and ``k``; it averages over users
with at least one relevant item (coverage is over all rows of ``top``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from recommender.base import Recommender

Metric = Callable[[np.ndarray, sp.csr_matrix, int], float]


def _hits(top: np.ndarray, truth: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(hit matrix bool ``[m, k]``, relevant counts ``[m]``) for users with relevant items."""
    truth = sp.csr_matrix(truth)
    counts = np.diff(truth.indptr)
    rows = np.flatnonzero(counts > 0)
    t = top[rows, :k]
    rel = truth[rows]
    rel.data[:] = 1
    safe = np.where(t >= 0, t, 0)
    hits = np.asarray(rel[np.arange(len(rows))[:, None], safe].todense()).astype(bool) & (t >= 0)
    return hits, counts[rows]


def precision_at_k(top: np.ndarray, truth: sp.csr_matrix, k: int = 10) -> float:
    hits, _ = _hits(top, truth, k)
    return float(hits.sum(1).mean() / k) if len(hits) else 0.0


def recall_at_k(top: np.ndarray, truth: sp.csr_matrix, k: int = 10) -> float:
    hits, counts = _hits(top, truth, k)
    return float((hits.sum(1) / counts).mean()) if len(hits) else 0.0


def ndcg_at_k(top: np.ndarray, truth: sp.csr_matrix, k: int = 10) -> float:
    """Binary gains, discount ``1/log2(rank+1)``, ideal DCG over ``min(|relevant|, k)``."""
    hits, counts = _hits(top, truth, k)
    if not len(hits):
        return 0.0
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * disc[: hits.shape[1]]).sum(1)
    idcg = np.cumsum(disc)[np.minimum(counts, k) - 1]
    return float((dcg / idcg).mean())


def map_at_k(top: np.ndarray, truth: sp.csr_matrix, k: int = 10) -> float:
    """Mean average precision normalised by ``min(|relevant|, k)``."""
    hits, counts = _hits(top, truth, k)
    if not len(hits):
        return 0.0
    prec = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    return float(((prec * hits).sum(1) / np.minimum(counts, k)).mean())


def coverage_at_k(top: np.ndarray, truth: sp.csr_matrix, k: int = 10) -> float:
    """Distinct items in all top-k lists / catalogue size (``truth.shape[1]``)."""
    t = top[:, :k]
    return float(len(np.unique(t[t >= 0])) / truth.shape[1])


METRICS: dict[str, Metric] = {
    "recall": recall_at_k,
    "ndcg": ndcg_at_k,
    "precision": precision_at_k,
    "map": map_at_k,
    "coverage": coverage_at_k,
}


def evaluate(
    model: Recommender,
    truth: sp.csr_matrix,
    *,
    k: int = 10,
    candidates: np.ndarray | None = None,
    batch_size: int = 2048,
) -> dict[str, float]:
    """Rank for every user with relevant items in ``truth`` ``[n_users, n_items]`` (train items excluded);
    returns each metric @k plus ``score_seconds`` (time to produce all top-k lists)."""
    users = np.flatnonzero(np.diff(sp.csr_matrix(truth).indptr) > 0)
    start = time.perf_counter()
    parts = [
        model.top_n_indices(users[s : s + batch_size], n=k, exclude_seen=True, candidates=candidates)
        for s in range(0, len(users), batch_size)
    ]
    elapsed = time.perf_counter() - start
    top = np.full((truth.shape[0], k), -1, dtype=np.int64)
    if len(users):
        top[users] = np.concatenate(parts)
    sub = sp.csr_matrix(truth)[users]
    out = {name: fn(top[users], sub, k) for name, fn in METRICS.items()}
    out["score_seconds"] = elapsed
    out["n_users"] = float(len(users))
    return out
