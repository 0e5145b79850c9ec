"""Temporal split rule and metric values on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.data import InteractionData
from recommender.evaluate import coverage_at_k, map_at_k, ndcg_at_k, precision_at_k, recall_at_k
from recommender.split import cold_item_split, temporal_split


def _data() -> InteractionData:
    # user 0: 10 positives at times 0..9 (item = time); user 1: 3 positives; user 0 also one negative
    users = [0] * 10 + [1] * 3 + [0]
    items = list(range(10)) + [0, 1, 2] + [10]
    weights = [1.0] * 13 + [-1.0]
    ts = list(range(10)) + [5, 6, 7] + [99]
    return InteractionData.from_arrays(
        ["a", "b"], list(range(11)), np.array(users), np.array(items), np.array(weights), np.array(ts, float)
    )


def test_temporal_split_holds_out_latest_fifth() -> None:
    train, test = temporal_split(_data())
    assert sorted(test.items[test.users == 0].tolist()) == [8, 9]
    assert (test.users == 1).sum() == 0
    assert train.nnz == 12 and (train.weights < 0).sum() == 1


def test_cold_item_split_removes_all_interactions_of_cold_items() -> None:
    warm, cold = cold_item_split(_data(), fraction=0.2, seed=3)
    assert cold.sum() == 2
    assert not cold[warm.items].any()


def test_metrics_hand_example() -> None:
    truth = sp.csr_matrix(np.array([[1, 0, 1, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], dtype=np.float32))
    top = np.array([[2, 1], [0, 3], [4, -1]])
    assert precision_at_k(top, truth, 2) == pytest.approx((1 / 2 + 0) / 2)
    assert recall_at_k(top, truth, 2) == pytest.approx((1 / 2 + 0) / 2)
    assert ndcg_at_k(top, truth, 2) == pytest.approx((1.0 / (1 + 1 / np.log2(3)) + 0) / 2)
    assert map_at_k(top, truth, 2) == pytest.approx((1 / 2 + 0) / 2)
    assert coverage_at_k(top, truth, 2) == pytest.approx(5 / 5)
    perfect = np.array([[0, 2], [4, 1], [3, 3]])
    assert ndcg_at_k(perfect, truth, 2) == pytest.approx(1.0)
    assert map_at_k(perfect, truth, 2) == pytest.approx(1.0)
