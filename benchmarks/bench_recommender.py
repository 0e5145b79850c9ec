"""Benchmark of Cohort's recommender on MovieLens 100K, following ``/work/shared/data/ml-100k/PROTOCOL.md``.

Positives are ratings >= 4; per-user temporal 80/20 split; every tuning decision on a validation split carved
from TRAIN by the same rule; refit on all of TRAIN; ranking over the whole catalogue excluding TRAIN
positives; metrics @10. Second table: item cold start (20% of items, seeded, held out with all their
interactions; ranked among the held-out items only, from text/genres). Also: PyTorch BPR throughput vs the
hybrid's training throughput, and serving latency for 100,000 members x 10,000 items.

Run: ``.venv/bin/python benchmarks/bench_recommender.py [--device cpu|cuda|auto] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.base import Recommender  # noqa: E402
from recommender.baselines import EASE, ContentKNN, ImplicitALS, ImplicitBPR, ItemKNN, MostPopular  # noqa: E402
from recommender.data import InteractionData  # noqa: E402
from recommender.evaluate import evaluate  # noqa: E402
from recommender.model import HybridConfig, HybridRecommender  # noqa: E402
from recommender.split import cold_item_split, temporal_split  # noqa: E402

DATA = Path("/work/shared/data/ml-100k")
GENRES = [line.split("|")[0] for line in (DATA / "u.genre").read_text().splitlines() if line.strip()]


def load_movielens(path: Path = DATA) -> InteractionData:
    """Positives (rating >= 4, weight 1) with titles + genres as item text and genre one-hots as features."""
    items = [line.split("|") for line in (path / "u.item").read_text(encoding="latin-1").splitlines() if line]
    item_ids = [int(r[0]) for r in items]
    genre = np.array([[int(g) for g in r[5:24]] for r in items], dtype=np.float32)  # [n_items, 19]
    texts = [f"{r[1]}. Genres: {', '.join(GENRES[j] for j in np.flatnonzero(genre[k]))}" for k, r in enumerate(items)]
    raw = np.loadtxt(path / "u.data", dtype=np.int64)
    raw = raw[raw[:, 2] >= 4]
    user_ids = sorted(set(raw[:, 0].tolist()))
    uidx = {u: i for i, u in enumerate(user_ids)}
    iidx = {x: i for i, x in enumerate(item_ids)}
    users = np.array([uidx[u] for u in raw[:, 0]])
    its = np.array([iidx[i] for i in raw[:, 1]])
    return InteractionData.from_arrays(
        user_ids, item_ids, users, its, np.ones(len(raw), dtype=np.float32), raw[:, 3].astype(np.float64),
        item_texts=tuple(texts), item_features=genre,
    )


Factory = Callable[[dict[str, Any]], Recommender]

GRIDS: dict[str, tuple[Factory, list[dict[str, Any]]]] = {
    "most popular": (lambda p: MostPopular(), [{}]),
    "item-kNN (cosine)": (lambda p: ItemKNN(**p), [{"k": k} for k in (50, 100, 200, 400)]),
    "EASE": (lambda p: EASE(**p), [{"l2": v} for v in (50.0, 100.0, 200.0, 400.0, 800.0)]),
    "implicit ALS": (
        lambda p: ImplicitALS(**p),
        [{"factors": f, "regularization": r, "alpha": a, "iterations": 15} for f in (32, 64) for r in (0.05, 0.5) for a in (1.0, 5.0)],
    ),
    "implicit BPR": (
        lambda p: ImplicitBPR(**p),
        [{"factors": f, "learning_rate": lr, "regularization": 0.01, "iterations": it} for f in (32, 64) for lr in (0.01, 0.05) for it in (100, 300)],
    ),
}


def tune(name: str, train: InteractionData, progress: bool) -> tuple[dict[str, Any], float]:
    """Best params by validation NDCG@10 (validation carved from TRAIN by the protocol's rule)."""
    factory, grid = GRIDS[name]
    fit_part, valid = temporal_split(train)
    best, best_ndcg = grid[0], -1.0
    for params in grid:
        model = factory(params).fit(fit_part, progress=False)
        ndcg = evaluate(model, valid.positive_matrix())["ndcg"]
        if ndcg > best_ndcg:
            best, best_ndcg = params, ndcg
    return best, best_ndcg


def run_model(model: Recommender, train: InteractionData, truth: sp.csr_matrix, cands: np.ndarray | None = None) -> dict[str, float]:
    t0 = time.perf_counter()
    model.fit(train, progress=False)
    fit_s = time.perf_counter() - t0
    res = evaluate(model, truth, candidates=cands)
    res["fit_seconds"] = fit_s
    return res
