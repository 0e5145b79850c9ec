"""Hybrid model: tower shapes, persistence and format checks, cold items, new members, reasons, determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from rec_synthetic import cluster_records

from recommender.base import FORMAT_VERSION, ModelFormatError
from recommender.data import InteractionData
from recommender.model import HybridConfig, HybridNet, HybridRecommender, input_matrix, recency_weights
from recommender.train import resolve_device, train_from_records

SMALL = HybridConfig(encoder="hashing", epochs=40, dim=16, hidden=32)


@pytest.fixture(scope="module")
def hybrid(clusters: InteractionData) -> HybridRecommender:
    return HybridRecommender(SMALL).fit(clusters, progress=False)


def test_tower_shapes() -> None:
    net = HybridNet(n_items=7, text_dim=5, feat_dim=3, user_text_dim=5, cfg=HybridConfig(dim=4, hidden=6))
    x = torch.rand(2, 7)
    text, feats, mask = torch.rand(7, 5), torch.rand(7, 3), torch.ones(7)
    u = net.users(x, text, feats, mask, torch.rand(2, 5), torch.rand(2, 2))
    v = net.items(text, feats, mask)
    assert u.shape == (2, 5) and v.shape == (7, 5)
    assert torch.all(u[:, -1] == 1)
    assert net(x, text, feats, mask, torch.rand(2, 5), torch.rand(2, 2)).shape == (2, 7)


def test_recency_weights_and_input_matrix(clusters: InteractionData) -> None:
    assert recency_weights(3, 1.0) == pytest.approx([0.25, 0.5, 1.0])
    m = input_matrix(clusters, 1.0)
    row = m[clusters.user_index["py_user0"]]
    # py_user0 rated py1..py4 at increasing times: the newest counts most
    by_item = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
    assert by_item[clusters.item_index["py4"]] > by_item[clusters.item_index["py1"]]


def test_save_load_identical_scores_and_metadata(hybrid: HybridRecommender, tmp_path: Path) -> None:
    path = tmp_path / "hybrid.pt"
    hybrid.save(path)
    loaded = HybridRecommender.load(path, device="cpu")
    users = np.arange(4)
    assert np.array_equal(hybrid._scores(users), loaded._scores(users))
    assert loaded.config == hybrid.config and loaded.metrics["best_epoch"] == hybrid.metrics["best_epoch"]
    folded_a = hybrid.fold_in_user({"py1": 1.0, "py2": 1.0})
    folded_b = loaded.fold_in_user({"py1": 1.0, "py2": 1.0})
    assert np.allclose(folded_a.vector, folded_b.vector)


def test_old_or_foreign_format_refused(hybrid: HybridRecommender, tmp_path: Path) -> None:
    path = tmp_path / "old.pt"
    hybrid.save(path)
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = FORMAT_VERSION - 1
    torch.save(payload, path)
    with pytest.raises(ModelFormatError, match="retrain"):
        HybridRecommender.load(path)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFormatError, match="retrain"):
        HybridRecommender.load(junk)
    torch.save({"format_version": FORMAT_VERSION, "kind": "EASE"}, tmp_path / "ease.pt")
    with pytest.raises(ModelFormatError, match="EASE"):
        HybridRecommender.load(tmp_path / "ease.pt")


def test_new_item_is_recommended_from_text(hybrid: HybridRecommender) -> None:
    assert not hybrid.warm[hybrid._item("py-new")]
    picks = hybrid.recommend("py_user0", n=5, candidates=["py-new", "paint0", "paint1", "paint2"])
    assert picks[0].id == "py-new"
    why = hybrid.explain("py_user0", "py-new")
    assert why.kind == "new_item" and str(why.evidence_item_id).startswith("py")
    assert "new course" in why.message
    similar = hybrid.similar_items("py-new", n=3)
    assert all(str(s.id).startswith("py") for s in similar)


def test_new_member_fold_in_and_immediate_update(hybrid: HybridRecommender) -> None:
    cold = hybrid.score_user_vector(hybrid.fold_in_user({}), n=3)
    assert len(cold) == 3
    one = hybrid.fold_in_user({"paint0": 1.5, "paint1": 1.0})
    picks = hybrid.score_user_vector(one, n=3)
    assert picks and all(str(p.id).startswith("paint") for p in picks[:3])
    assert not {"paint0", "paint1"} & {p.id for p in picks}
    changed = hybrid.fold_in_user({"paint0": 1.5, "paint1": 1.0, "py0": 1.5, "py1": 1.5, "py2": 1.5})
    assert hybrid.score_user_vector(changed, n=1)[0].id != picks[0].id
    excluded = hybrid.score_user_vector(one, n=3, exclude=[picks[0].id])
    assert picks[0].id not in {p.id for p in excluded}
    disliked = hybrid.fold_in_user({"paint0": 1.5, "paint2": -1.0})
    assert "paint2" not in {p.id for p in hybrid.score_user_vector(disliked, n=10)}


def test_recommend_with_reasons(hybrid: HybridRecommender) -> None:
    out = hybrid.recommend_with_reasons("paint_user0", n=2)
    assert len(out) == 2
    pick, why = out[0]
    assert pick.id == "paint0" and why.kind == "interacted"
    assert why.evidence_item_id in {"paint1", "paint2", "paint3", "paint4"}
    assert why.message.startswith("because you liked")


def test_member_text_cold_start() -> None:
    records, item_ids, texts = cluster_records()
    users = {"writer": "I love watercolour painting, brushes and colour mixing", "py_user0": "pandas"}
    model = train_from_records(
        records, item_ids=item_ids, item_texts=texts, user_texts=users, config=SMALL, half_life_days=None
    )
    assert model.user_text.shape[1] > 0
    state = model.member_state("writer")
    picks = model.score_user_vector(state, n=3)
    assert picks
    why = model.explain(state, picks[0].id)
    assert why.kind == "text" and "discuss" in why.message
    emb = model.encode_texts(["watercolour landscapes with brushes"])[0]
    new = model.fold_in_user({}, emb)
    assert model.explain(new, "paint0").similarity > model.explain(new, "py0").similarity


def test_cpu_training_is_deterministic(clusters: InteractionData) -> None:
    a = HybridRecommender(SMALL, epochs=5).fit(clusters, progress=False)
    b = HybridRecommender(SMALL, epochs=5).fit(clusters, progress=False)
    c = HybridRecommender(SMALL, epochs=5, seed=1).fit(clusters, progress=False)
    assert np.array_equal(a.item_matrix, b.item_matrix) and np.array_equal(a.user_matrix, b.user_matrix)
    assert not np.array_equal(a.item_matrix, c.item_matrix)


def test_early_stopping_uses_validation(rng: np.random.Generator) -> None:
    n_users, n_items = 60, 30
    users = np.repeat(np.arange(n_users), 8)
    items = (users % 3) * 10 + rng.integers(0, 10, len(users))
    pairs = np.unique(np.stack([users, items], 1), axis=0)
    data = InteractionData.from_arrays(
        list(range(n_users)),
        list(range(n_items)),
        pairs[:, 0],
        pairs[:, 1],
        np.ones(len(pairs)),
        rng.random(len(pairs)),
    )
    model = HybridRecommender(SMALL, epochs=15, patience=2).fit(data, progress=False)
    assert 1 <= model.metrics["best_epoch"] <= 15
    assert len(model.metrics["val_history"]) >= 1


def test_cuda_request_without_cuda_is_an_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ValueError, match="CUDA"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_gpu_training_loads_on_cpu(clusters: InteractionData, tmp_path: Path) -> None:
    model = HybridRecommender(SMALL, device="cuda").fit(clusters, progress=False)
    assert model.metrics["device"].startswith("cuda")
    model.save(tmp_path / "gpu.pt")
    loaded = HybridRecommender.load(tmp_path / "gpu.pt", device="cpu")
    assert loaded.recommend("py_user0", n=1)[0].id == "py0"
