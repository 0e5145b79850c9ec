"""/recommend and /similar through the chat: cold start, reasons, feedback buttons, fold-in, training, hot swap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.app import CohortApp
from bot.testing import TestBot
from community.demo import seed_community
from community.recommendations.service import RecommendationService
from storage import db


@pytest.fixture
def seeded(app: CohortApp, catalog: int) -> TestBot:
    with db.session_scope(app.engine) as s:
        seed_community(s, platform="test", chat_id="g1", now=app.clock.now())
    return TestBot(app)


def svc(app: CohortApp) -> RecommendationService:
    return app.services.recommender  # type: ignore[no-any-return]


def pick_ids(replies: list) -> list[int]:  # type: ignore[type-arg]
    return [int(b.payload.split(":")[2]) for b in replies[0].flat_buttons if b.payload.startswith("rec:i:")]


async def test_usage_lines(seeded: TestBot) -> None:
    for bad in ("/recommend 0", "/recommend 1000", "/recommend x", "/recommend 1 2"):
        assert "Usage: `/recommend [1-10]`" in await seeded.text("alice", bad)
    assert "Usage: `/similar ID`" in await seeded.text("alice", "/similar")
    assert "no course #999" in await seeded.text("alice", "/similar 999")


async def test_new_member_gets_popular_picks_and_a_nudge(seeded: TestBot) -> None:
    replies = await seeded.say("newbie", "/recommend 3")
    text = replies[0].rich.to_plain()
    assert "Popular here" in text and "/rate ID 1-5" in text
    assert len(pick_ids(replies)) == 3


async def test_not_for_me_is_never_offered_again(seeded: TestBot) -> None:
    first = pick_ids(await seeded.say("newbie", "/recommend 3"))
    out = await seeded.press("newbie", f"rec:n:{first[0]}")
    assert "won't suggest" in out[0].rich.to_plain()
    again = pick_ids(await seeded.say("newbie", "/recommend 10"))
    assert first[0] not in again


async def test_trained_model_personalises_with_reasons_and_folds_in_new_ratings(seeded: TestBot) -> None:
    app = seeded.app
    outcome = svc(app).train(force=True)
    assert outcome.trained and outcome.path is not None and outcome.path.exists()
    assert svc(app).model is not None
    replies = await seeded.say("alice", "/recommend 5")
    text = replies[0].rich.to_plain()
    assert "Picked for you" in text
    assert "because you rated" in text or "close to" in text
    picks = pick_ids(replies)
    assert len(picks) == 5
    with db.session_scope(app.engine) as s:
        from storage.crud import courses as crud

        rated = {r.course_id for r in crud.member_ratings(s, group_id=1, member_id=1)}
    assert rated and not rated & set(picks)
    # A new rating changes the next picks at once, without retraining.
    await seeded.say("alice", f"/rate {picks[0]} 5")
    after = pick_ids(await seeded.say("alice", "/recommend 5"))
    assert picks[0] not in after and after != picks


async def test_training_is_skipped_when_nothing_changed_and_refresh_hot_swaps(seeded: TestBot) -> None:
    app = seeded.app
    assert svc(app).train().trained
    version = svc(app).version_id
    assert not svc(app).train().trained  # same data: skipped
    await seeded.say("zoe", "/rate 2 5")
    other = RecommendationService(app.engine, model_dir=app.settings.model_dir, encoder="hashing")
    assert other.train().trained  # another process trains a new version...
    assert svc(app).refresh() and svc(app).version_id != version  # ...and the bot swaps to it


async def test_similar_courses(seeded: TestBot) -> None:
    out = await seeded.text("alice", "/similar 14")  # SQL Basics
    assert "Courses like *SQL Basics*" in out
    assert len(out.splitlines()) == 6


async def test_broken_model_file_is_refused_and_bot_keeps_serving(seeded: TestBot, tmp_path: Path) -> None:
    import torch

    from storage.models import ModelVersion

    bad = tmp_path / "old.pt"
    torch.save({"format_version": 0, "kind": "HybridRecommender"}, str(bad))
    with db.session_scope(seeded.app.engine) as s:
        s.add(ModelVersion(path=str(bad), fingerprint="x"))
    assert not svc(seeded.app).refresh()
    assert svc(seeded.app).model is None
    assert "Popular here" in await seeded.text("alice", "/recommend")


def test_recommend_through_the_console(tmp_path: Path) -> None:
    env = {**os.environ, "COHORT_DATA_DIR": str(tmp_path), "COHORT_EMBEDDING_MODEL": "hashing"}
    env.pop("DATABASE_URL", None)
    dbp = tmp_path / "c.db"
    base = [sys.executable, "-m", "cohort.cli"]
    r = subprocess.run(
        [*base, "chat", "--seed", "--db", str(dbp)],
        input="alice: /recommend 2\n",
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert r.returncode == 0 and "Popular here" in r.stdout, r.stderr
    r = subprocess.run(
        [*base, "train", "--db", str(dbp)], capture_output=True, text=True, timeout=300, env=env
    )
    assert r.returncode == 0 and "Trained on" in r.stdout, r.stderr
    r = subprocess.run(
        [*base, "chat", "--db", str(dbp)],
        input="alice: /recommend 2\nalice: 2\n",  # her own pick: a bare line speaks as "me"
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert "Picked for you" in r.stdout and "[1] 👍" in r.stdout
    assert "won't suggest" in r.stdout


async def test_trained_model_uses_member_activity_features(seeded: TestBot) -> None:
    from community.recommendations.features import N_MEMBER_FEATURES

    app = seeded.app
    now = app.clock.now()
    with db.session_scope(app.engine) as s:
        data = svc(app).training_data(s, group_id=None, now=now)
    assert data.user_features is not None and data.user_features.shape == (data.n_users, N_MEMBER_FEATURES)
    assert np.abs(data.user_features).sum(axis=1).max() > 0  # active members have non-zero features
    assert svc(app).train(force=True, now=now).trained
    model = svc(app).model
    assert model is not None and model.config.user_feature_dim == N_MEMBER_FEATURES
    replies = await seeded.say("alice", "/recommend 4")
    assert "Picked for you" in replies[0].rich.to_plain() and len(pick_ids(replies)) == 4
    with db.session_scope(app.engine) as s:
        feats = svc(app).serving_features(s, group_id=1, member_id=1, now=now)
        assert feats.shape == (N_MEMBER_FEATURES,) and np.isfinite(feats).all()
        assert 1 in svc(app)._feature_cache  # computed once per group, reused by the next request
        history = svc(app).member_history(s, group_id=1, member_id=1)
    with_f = model.fold_in_user(history, None, feats)
    without = model.fold_in_user(history)
    assert np.any(feats) and not np.allclose(with_f.vector, without.vector)
