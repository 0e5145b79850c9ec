"""Member features in the hybrid's user tower (issue 4): shapes, training, persistence, fold-in."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from rec_synthetic import cluster_records

from recommender.base import FORMAT_VERSION, ModelFormatError
from recommender.data import InteractionData
from recommender.model import HybridConfig, HybridNet, HybridRecommender
from recommender.train import train_from_records

SMALL = HybridConfig(encoder="hashing", epochs=20, dim=16, hidden=32)


def features_for(data: InteractionData) -> np.ndarray:
    """``[n_users, 3]``: cluster indicator (python / painting) and a per-member level in [0, 1]."""
    out = np.zeros((data.n_users, 3), dtype=np.float32)
    for k, u in enumerate(data.user_ids):
        out[k, 0 if str(u).startswith("py") else 1] = 1.0
        out[k, 2] = (k % 4) / 3
    return out


@pytest.fixture(scope="module")
def featured(clusters: InteractionData) -> InteractionData:
    return replace(clusters, user_features=features_for(clusters))


@pytest.fixture(scope="module")
def hybrid_f(featured: InteractionData) -> HybridRecommender:
    return HybridRecommender(SMALL).fit(featured, progress=False)


def test_tower_shapes_with_and_without_user_features() -> None:
    cfg = HybridConfig(dim=4, hidden=6)
    x, text, feats, mask = torch.rand(2, 7), torch.rand(7, 5), torch.rand(7, 3), torch.ones(7)
    with_f = HybridNet(7, 5, 3, 5, cfg, user_feat_dim=4)
    u = with_f.users(x, text, feats, mask, torch.rand(2, 5), torch.rand(2, 2), torch.rand(2, 4))
    assert u.shape == (2, 5) and torch.all(u[:, -1] == 1)
    assert with_f(x, text, feats, mask, None, torch.rand(2, 2), torch.rand(2, 4)).shape == (2, 7)
    assert with_f.users.user_feat is not None and with_f.users.user_feat.weight.shape == (6, 4)
    without = HybridNet(7, 5, 3, 5, cfg)
    assert without.users.user_feat is None
    assert not any("user_feat" in k for k in without.state_dict())
    act = torch.rand(2, 2)
    # a tower without the feature term ignores features it is given
    assert torch.equal(
        without.users(x, text, feats, mask, None, act),
        without.users(x, text, feats, mask, None, act, torch.rand(2, 4)),
    )


def test_data_checks_and_from_records() -> None:
    records, item_ids, texts = cluster_records()
    feats = {"py_user0": [1.0, 0.5], "paint_user1": np.array([0.0, 1.0]), "stranger": [9.0, 9.0]}
    data = InteractionData.from_records(records, item_ids=item_ids, item_texts=texts, user_features=feats)
    assert data.user_features is not None and data.user_features.shape == (data.n_users, 2)
    assert data.user_features[data.user_index["py_user0"]].tolist() == [1.0, 0.5]
    assert data.user_features[data.user_index["py_user1"]].tolist() == [0.0, 0.0]  # missing: zeros
    assert "stranger" not in data.user_index  # features alone do not add a member
    with pytest.raises(ValueError, match="differ in length"):
        InteractionData.from_records(records, user_features={"py_user0": [1.0], "py_user1": [1.0, 2.0]})
    with pytest.raises(ValueError, match="user_features"):
        replace(data, user_features=np.zeros((data.n_users + 1, 2), dtype=np.float32))
    # the fingerprint (retrain trigger) does not depend on drifting member features
    assert replace(data, user_features=None).fingerprint() == data.fingerprint()


def test_fit_records_feature_dim_and_personalises(
    hybrid_f: HybridRecommender, featured: InteractionData
) -> None:
    assert hybrid_f.config.user_feature_dim == 3
    assert hybrid_f.user_feats is not None and hybrid_f.user_feats.shape == (featured.n_users, 3)
    assert hybrid_f.user_matrix.shape == (featured.n_users, SMALL.dim + 1)
    state = hybrid_f.member_state("py_user0")
    assert state.features is not None and state.features.tolist() == pytest.approx(
        featured.user_features[0].tolist()
    )
    top = hybrid_f.recommend("py_user3", n=1)[0].id
    assert str(top).startswith("py")


def test_without_user_features_dim_is_zero(clusters: InteractionData, featured: InteractionData) -> None:
    plain = HybridRecommender(SMALL, epochs=2).fit(clusters, progress=False)
    assert plain.config.user_feature_dim == 0 and plain.user_feats is None and plain.net is not None
    assert plain.net.users.user_feat is None
    off = HybridRecommender(SMALL, epochs=2, use_user_features=False).fit(featured, progress=False)
    assert off.config.user_feature_dim == 0 and off.user_feats is None
    # same seed and data, features switched off: the same model as without features
    same = HybridRecommender(SMALL, epochs=2).fit(clusters, progress=False)
    assert np.array_equal(off.user_matrix, same.user_matrix)
    # a model without feature term ignores features given at fold-in
    hist = {"py1": 1.0}
    assert np.array_equal(
        plain.fold_in_user(hist).vector, plain.fold_in_user(hist, None, [1.0, 0.0, 0.0]).vector
    )


def test_save_load_round_trip_with_features(hybrid_f: HybridRecommender, tmp_path: Path) -> None:
    path = tmp_path / "f.pt"
    hybrid_f.save(path)
    loaded = HybridRecommender.load(path)
    users = np.arange(hybrid_f.user_matrix.shape[0])
    assert np.array_equal(hybrid_f._scores(users), loaded._scores(users))
    assert loaded.config == hybrid_f.config and loaded.config.user_feature_dim == 3
    assert loaded.user_feats is not None and np.array_equal(loaded.user_feats, hybrid_f.user_feats)
    f = np.array([0.0, 1.0, 0.3], dtype=np.float32)
    a = hybrid_f.fold_in_user({"paint1": 1.0}, None, f)
    b = loaded.fold_in_user({"paint1": 1.0}, None, f)
    assert np.array_equal(a.vector, b.vector)
    assert [s.id for s in hybrid_f.score_user_vector(a, n=3)] == [
        s.id for s in loaded.score_user_vector(b, n=3)
    ]


def test_old_format_refused(hybrid_f: HybridRecommender, tmp_path: Path) -> None:
    assert FORMAT_VERSION >= 2
    path = tmp_path / "v1.pt"
    hybrid_f.save(path)
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = 1  # files written before member features
    torch.save(payload, path)
    with pytest.raises(ModelFormatError, match="retrain"):
        HybridRecommender.load(path)
    # a file whose config disagrees with its weights is refused too
    hybrid_f.save(path)
    payload = torch.load(path, weights_only=True)
    payload["config"]["user_feature_dim"] = 5
    torch.save(payload, path)
    with pytest.raises(ModelFormatError, match="retrain"):
        HybridRecommender.load(path)


def test_fold_in_with_features_changes_member_vector(hybrid_f: HybridRecommender) -> None:
    hist = {"py1": 1.0, "py2": 1.0}
    none = hybrid_f.fold_in_user(hist)
    zeros = hybrid_f.fold_in_user(hist, None, np.zeros(3, dtype=np.float32))
    assert np.array_equal(none.vector, zeros.vector) and none.features is None
    painter = hybrid_f.fold_in_user(hist, None, [0.0, 1.0, 0.0])
    coder = hybrid_f.fold_in_user(hist, None, [1.0, 0.0, 1.0])
    assert not np.allclose(painter.vector, none.vector)
    assert not np.allclose(painter.vector, coder.vector)
    assert painter.features is not None and painter.features.tolist() == [0.0, 1.0, 0.0]
    # a member with no history at all is placed by features alone
    assert not np.allclose(
        hybrid_f.fold_in_user({}, None, [0.0, 1.0, 0.0]).vector, hybrid_f.fold_in_user({}).vector
    )
    with pytest.raises(ValueError, match="expects 3"):
        hybrid_f.fold_in_user(hist, None, [1.0, 0.0])


def test_train_from_records_with_user_features() -> None:
    records, item_ids, texts = cluster_records()
    feats = {f"py_user{k}": [1.0, 0.0] for k in range(12)}
    model = train_from_records(
        records,
        item_ids=item_ids,
        item_texts=texts,
        user_features=feats,
        config=HybridConfig(encoder="hashing", epochs=3, dim=8, hidden=16),
    )
    assert model.config.user_feature_dim == 2
