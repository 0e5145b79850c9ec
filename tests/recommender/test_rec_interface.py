"""Every recommender (hybrid and baselines) against the same interface and a known answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from rec_synthetic import missing_item

from recommender.base import Recommender, Scored, UnknownIdError
from recommender.baselines import EASE, ContentKNN, ImplicitALS, ImplicitBPR, ItemKNN, MostPopular
from recommender.data import InteractionData
from recommender.model import HybridConfig, HybridRecommender

FACTORIES: dict[str, Callable[[], Recommender]] = {
    "popular": MostPopular,
    "itemknn": lambda: ItemKNN(k=10),
    "ease": lambda: EASE(l2=1.0),
    "content": lambda: ContentKNN(encoder="hashing"),
    "als": lambda: ImplicitALS(factors=16, regularization=0.1, iterations=30, alpha=5.0),
    "bpr": lambda: ImplicitBPR(factors=8, learning_rate=0.05, iterations=300),
    "hybrid": lambda: HybridRecommender(HybridConfig(encoder="hashing", epochs=40, dim=16, hidden=32)),
}
PERSONAL = [k for k in FACTORIES if k != "popular"]


@pytest.fixture(scope="module", params=list(FACTORIES))
def fitted(request: pytest.FixtureRequest, clusters: InteractionData) -> tuple[str, Recommender]:
    pytest.importorskip("implicit") if request.param in ("als", "bpr") else None
    return request.param, FACTORIES[request.param]().fit(clusters, progress=False)


def test_known_answer(fitted: tuple[str, Recommender], clusters: InteractionData) -> None:
    kind, model = fitted
    users = [u for u in clusters.user_ids if str(u).endswith(("user0", "user1", "user2", "user3", "user6"))]
    for user in users:
        top = model.recommend(user, n=1)[0].id
        if kind == "popular":
            assert str(top).startswith("py") and top != "py-new"
        else:
            assert top == missing_item(str(user)), (kind, user, model.recommend(user, n=3))


def test_recommend_contract(fitted: tuple[str, Recommender], clusters: InteractionData) -> None:
    _, model = fitted
    recs = model.recommend("py_user0", n=3)
    assert len(recs) == 3 and all(isinstance(r, Scored) for r in recs)
    assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)
    seen = {"py1", "py2", "py3", "py4"}
    assert not seen & {r.id for r in recs}
    assert seen <= {r.id for r in model.recommend("py_user0", n=20, exclude_seen=False)}
    only = model.recommend("py_user0", n=5, candidates=["paint1", "paint2", "py1"])
    assert {r.id for r in only} <= {"paint1", "paint2"}
    with pytest.raises(UnknownIdError):
        model.recommend("nobody")


def test_recommend_all_matches_recommend(fitted: tuple[str, Recommender]) -> None:
    _, model = fitted
    users = ["py_user0", "paint_user3", "py_user7"]
    batch = model.recommend_all(users, n=4)
    for user, recs in zip(users, batch, strict=True):
        single = model.recommend(user, n=4)
        assert [r.id for r in recs] == [r.id for r in single]
        assert np.allclose([r.score for r in recs], [r.score for r in single], rtol=1e-5, atol=1e-6)


def test_similar_items_and_members(fitted: tuple[str, Recommender]) -> None:
    kind, model = fitted
    sims = model.similar_items("py0", n=3)
    assert len(sims) == 3 and "py0" not in {s.id for s in sims}
    assert all(str(s.id).startswith("py") for s in sims[:2]), (kind, sims)
    members = model.similar_members("paint_user0", n=3)
    assert members[0].id.startswith("paint_user"), (kind, members)
    restricted = model.similar_members("paint_user0", n=3, candidates=["py_user1", "py_user2"])
    assert {m.id for m in restricted} <= {"py_user1", "py_user2"}


def test_save_load_round_trip(fitted: tuple[str, Recommender], tmp_path: Path) -> None:
    _, model = fitted
    path = tmp_path / "model.pt"
    model.save(path)
    loaded = type(model).load(path)
    for user in ("py_user0", "paint_user5"):
        a, b = model.recommend(user, n=5), loaded.recommend(user, n=5)
        assert [x.id for x in a] == [x.id for x in b]
        assert np.allclose([x.score for x in a], [x.score for x in b])
    assert loaded.fitted is not None and model.fitted is not None
    assert loaded.fitted.fingerprint == model.fitted.fingerprint


def test_without_users_drops_every_trace_of_a_member(fitted: tuple[str, Recommender], tmp_path: Path) -> None:
    """/forget reaches the model: id, interaction rows and per-member arrays go, in memory and in the file."""
    import torch

    _, model = fitted
    assert model.fitted is not None
    n_users = len(model.fitted.user_ids)
    before = model.recommend("paint_user5", n=5)
    slim = model.without_users(["py_user0", "nobody"])
    assert slim is not model and "py_user0" in model.fitted.user_ids  # the original is untouched
    assert slim.fitted is not None and "py_user0" not in slim.fitted.user_ids
    assert slim.fitted.positives.shape[0] == slim.fitted.seen.shape[0] == n_users - 1
    with pytest.raises(UnknownIdError):
        slim.recommend("py_user0")
    after = slim.recommend("paint_user5", n=5)
    assert [x.id for x in after] == [x.id for x in before]
    assert model.without_users(["nobody"]) is model
    path = tmp_path / "model.pt"
    slim.save(path)
    payload = torch.load(str(path), weights_only=True)
    assert "py_user0" not in payload["user_ids"] and len(payload["user_ids"]) == n_users - 1
    for name, tensor in payload["state"].items():  # every per-member array lost the member's row
        if name.endswith(".shape"):
            rows = int(tensor[0]) if name.startswith(("inputs", "_positives", "_seen")) else None
        else:
            rows = tensor.shape[0] if tensor.ndim and name.startswith("user_") else None
        assert rows in (None, n_users - 1), name
    loaded = type(model).load(path)
    assert [x.id for x in loaded.recommend("paint_user5", n=5)] == [x.id for x in before]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]  # saved atomically, no temp file left
