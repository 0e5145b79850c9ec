"""Per-user temporal splits and item cold-start splits (the protocol in ``../shared/data/ml-100k``)."""

from __future__ import annotations

import math

import numpy as np

from recommender.data import InteractionData


def temporal_split(
    data: InteractionData, *, test_fraction: float = 0.2, min_positives: int = 5
) -> tuple[InteractionData, InteractionData]:
    """Split each user's positives by time into (train, test), same id maps.

    Each user's positives are sorted by (timestamp, item index); a user with ``n >= min_positives`` puts the
    last ``max(1, floor(test_fraction * n))`` in test. Non-positive interactions always stay in train.
    """
    pos = np.flatnonzero(data.weights > 0)
    order = pos[np.lexsort((data.items[pos], data.timestamps[pos], data.users[pos]))]
    users = data.users[order]
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    ends = np.r_[starts[1:], len(order)]
    test = np.zeros(data.nnz, dtype=bool)
    for s, e in zip(starts, ends, strict=True):
        n = e - s
        if n >= min_positives:
            n_test = max(1, math.floor(test_fraction * n))
            test[order[e - n_test : e]] = True
    return data.with_interactions(~test), data.with_interactions(test)


def cold_item_split(
    data: InteractionData, *, fraction: float = 0.2, seed: int = 0
) -> tuple[InteractionData, np.ndarray]:
    """Hold out ``fraction`` of items (seeded) with all their interactions.

    Returns (data without those items' interactions, boolean cold mask ``[n_items]``).
    """
    rng = np.random.default_rng(seed)
    n_cold = int(round(fraction * data.n_items))
    cold = np.zeros(data.n_items, dtype=bool)
    cold[rng.choice(data.n_items, size=n_cold, replace=False)] = True
    return data.with_interactions(~cold[data.items]), cold
