"""Evidence weighting, time decay, negative evidence and id maps."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.data import InteractionData, aggregate_records, interaction_weight, rating_weight, time_decay
from recommender.model import HybridConfig, HybridRecommender

DAY = 86_400.0


def test_rating_weights_follow_table() -> None:
    assert rating_weight(5) == 1.5 and rating_weight(4) == 1.0
    assert rating_weight(3) == -0.5 and rating_weight(1) == -1.0
    assert rating_weight(3, min_rating=3) == 1.0


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("mention", 1.0, 0.6),
        ("mention", -0.5, -0.5),
        ("reaction", 0.0, 0.3),
        ("rsvp", 0.0, 0.5),
        ("buddy_shared", 0.0, 0.4),
        ("feedback_interested", 0.0, 0.8),
        ("feedback_not_for_me", 0.0, -1.0),
    ],
)
def test_implicit_weights(kind: str, value: float, expected: float) -> None:
    assert interaction_weight(kind, value) == pytest.approx(expected)


def test_unknown_kind_rejected() -> None:
    with pytest.raises(ValueError, match="unknown evidence kind"):
        interaction_weight("like", 1.0)


def test_time_decay_half_life() -> None:
    assert time_decay(np.array([0.0, 30 * DAY, 60 * DAY]), 30.0) == pytest.approx([1.0, 0.5, 0.25])
    assert time_decay(np.array([90 * DAY]), None) == pytest.approx([1.0])


def test_aggregate_latest_rating_wins_and_evidence_sums() -> None:
    recs = [
        ("u", "a", "rating", 2.0, 0.0),
        ("u", "a", "rating", 5.0, 10.0),
        ("u", "a", "reaction", 0.0, 5.0),
        ("u", "b", "reaction", 0.0, 1.0),
        ("u", "b", "feedback_not_for_me", 0.0, 2.0),
    ]
    out = {(u, i): w for u, i, w, _ in aggregate_records(recs, half_life_days=None)}
    assert out[("u", "a")] == pytest.approx(1.8)
    assert out[("u", "b")] == pytest.approx(-0.7)


def test_from_records_builds_catalogue_and_texts() -> None:
    recs = [("u1", "c1", "rating", 5.0, 0.0), ("u2", "c9", "reaction", 0.0, 0.0)]
    data = InteractionData.from_records(
        recs, item_ids=["c1", "c2"], item_texts=["one", "two"], user_texts={"u3": "hi"}
    )
    assert data.item_ids == ("c1", "c2", "c9") and data.item_texts == ("one", "two", "")
    assert data.user_ids == ("u1", "u2", "u3") and data.user_texts == ("", "", "hi")
    assert data.positive_matrix().shape == (3, 3)
    other = InteractionData.from_records(recs[:1], item_ids=["c1", "c2"], item_texts=["one", "two"])
    assert data.fingerprint() != other.fingerprint()


def test_negative_evidence_is_seen_not_positive_and_never_recommended() -> None:
    recs = []
    for k in range(6):
        for j in range(4):
            recs.append((f"m{k}", f"c{j}", "rating", 5.0, float(j)))
    recs.append(("m0", "c4", "feedback_not_for_me", 0.0, 9.0))
    recs.append(("m1", "c4", "rating", 5.0, 9.0))
    recs.append(("m0", "c5", "mention", -0.8, 9.0))
    data = InteractionData.from_records(recs, half_life_days=None)
    m0, c4 = data.user_index["m0"], data.item_index["c4"]
    assert data.positive_matrix()[m0, c4] == 0 and data.seen_matrix()[m0, c4] == 1
    model = HybridRecommender(HybridConfig(encoder="hashing", epochs=5, dim=8, hidden=16)).fit(
        data, progress=False
    )
    ids = {r.id for r in model.recommend("m0", n=10)}
    assert "c4" not in ids and "c5" not in ids
