"""/forget reaches the recommender: out of the serving model at once, out of every saved version, a retrain owed
even when the data fingerprint looks unchanged, old versions deleted; and a fresh store trains on first need
(issue 11, items 3 and 14)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import torch
from sqlmodel import col, select

from bot.app import CohortApp
from bot.testing import TestBot
from bot.wiring import scheduled_jobs
from community.demo import seed_community
from community.recommendations.service import RecommendationService
from recommender import HybridRecommender
from storage import db
from storage.models import ModelRetrainRequest, ModelVersion
from tests.helpers import ids


@pytest.fixture
def seeded(app: CohortApp, catalog: int) -> TestBot:
    with db.session_scope(app.engine) as s:
        seed_community(s, platform="test", chat_id="g1", now=app.clock.now())
    return TestBot(app)


def svc(app: CohortApp) -> RecommendationService:
    return app.services.recommender  # type: ignore[no-any-return]


def versions(app: CohortApp) -> list[ModelVersion]:
    with db.session_scope(app.engine) as s:
        return list(s.exec(select(ModelVersion).order_by(col(ModelVersion.id))))


def owed(app: CohortApp) -> int:
    with db.session_scope(app.engine) as s:
        return len(list(s.exec(select(ModelRetrainRequest))))


def folders(app: CohortApp) -> list[Path]:
    root = app.settings.model_dir
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []


def saved_user_ids(path: str | Path) -> list[object]:
    return list(torch.load(str(path), weights_only=True)["user_ids"])


async def forget(bot: TestBot, who: str) -> None:
    yes = (await bot.say(who, "/forget"))[0].flat_buttons[0]
    assert "Forgotten" in (await bot.press(who, yes.payload))[0].rich.to_plain()


async def test_forget_takes_the_member_out_of_the_serving_model_and_every_saved_version(
    seeded: TestBot,
) -> None:
    app = seeded.app
    _, alice = ids(seeded, "alice")
    assert svc(app).train(epochs=2).trained and svc(app).train(force=True, epochs=2).trained
    model = svc(app).model
    assert model is not None and model.fitted is not None and alice in model.fitted.user_ids
    assert "Picked for you" in await seeded.text("alice", "/recommend")  # caches her text embedding
    assert any(key[1] == alice for key in svc(app)._text_cache)

    await forget(seeded, "alice")

    model = svc(app).model  # at once, in memory: no id, no vector, no text, no features, no interaction row
    assert model is not None and model.fitted is not None
    assert alice not in model.fitted.user_ids
    n = len(model.fitted.user_ids)
    assert model.user_matrix.shape[0] == model.inputs.shape[0] == model.user_text.shape[0] == n
    assert model.user_feats is not None and model.user_feats.shape[0] == n
    assert model.fitted.positives.shape[0] == model.fitted.seen.shape[0] == n
    assert not any(key[1] == alice for key in svc(app)._text_cache)
    old = versions(app)
    assert len(old) == 2 and all(alice not in saved_user_ids(v.path) for v in old)  # files rewritten now
    assert owed(app) == 1

    # The retrain /forget owes runs, writes a version without her and deletes every older one.
    outcome = svc(app).train(epochs=2)
    assert outcome.trained and outcome.removed == 2 and outcome.path is not None
    [kept] = versions(app)
    assert Path(kept.path) == outcome.path and folders(app) == [outcome.path.parent]
    loaded = HybridRecommender.load(kept.path)
    assert loaded.fitted is not None and alice not in loaded.fitted.user_ids
    assert svc(app).version_id == kept.id and owed(app) == 0
    assert svc(app).train().status == "unchanged"  # settled: nothing more is owed


async def test_forget_forces_a_retrain_even_when_the_fingerprint_looks_unchanged(seeded: TestBot) -> None:
    """Alice only talks in g2 (text, no ratings): forgetting her there leaves the interactions, and so the data
    fingerprint, as they were, but the model learnt from her g2 text and must not keep it."""
    app = seeded.app
    g2 = seeded.in_chat("g2", "Painters")
    await g2.say("alice", "Lately I sketch with watercolours every evening and love colour theory")
    assert svc(app).train(epochs=2).trained
    before = versions(app)[-1]
    await forget(g2, "alice")
    with db.session_scope(app.engine) as s:
        assert svc(app).training_data(s, group_id=None).fingerprint() == before.fingerprint
    outcome = svc(app).train(epochs=2)
    assert outcome.trained, outcome.message
    assert [v.id for v in versions(app)] == [versions(app)[-1].id] and versions(app)[-1].id != before.id


async def test_only_the_newest_versions_stay_on_disk_and_in_the_table(seeded: TestBot) -> None:
    app = seeded.app
    assert svc(app).keep_versions == app.settings.model_versions_kept == 3
    two = RecommendationService(
        app.engine, model_dir=app.settings.model_dir, encoder="hashing", keep_versions=2
    )
    paths = [two.train(force=True, epochs=1).path for _ in range(3)]
    assert all(p is not None for p in paths)
    assert [Path(v.path) for v in versions(app)] == paths[1:]
    assert folders(app) == sorted(p.parent for p in paths[1:] if p is not None)


async def test_when_nothing_is_left_to_learn_the_old_model_goes_too(app: CohortApp, catalog: int) -> None:
    bot = TestBot(app)
    for who, course in (("ann", 3), ("ann", 4), ("ben", 3), ("ben", 5)):
        await bot.say(who, f"/rate {course} 5")
    assert svc(app).train(epochs=1).trained and svc(app).model is not None
    await forget(bot, "ann")
    await forget(bot, "ben")
    outcome = svc(app).train()
    assert outcome.status == "no_data" and outcome.removed == 1, outcome
    assert versions(app) == [] and folders(app) == [] and owed(app) == 0
    assert svc(app).model is None and svc(app).version_id is None
    assert "Popular here" in await bot.text("cat", "/recommend")


async def test_another_process_drops_the_member_at_its_next_refresh(seeded: TestBot) -> None:
    app = seeded.app
    _, alice = ids(seeded, "alice")
    assert svc(app).train(epochs=1).trained
    other = RecommendationService(app.engine, model_dir=app.settings.model_dir, encoder="hashing")
    assert other.refresh() and other.model is not None and other.model.fitted is not None
    assert alice in other.model.fitted.user_ids
    await forget(seeded, "alice")
    assert other.refresh()  # the owed retrain says the saved files changed: load the clean one
    assert other.model is not None and other.model.fitted is not None
    assert alice not in other.model.fitted.user_ids


async def test_ratings_without_a_trained_model_are_told_plainly_and_the_model_trains_on_first_need(
    seeded: TestBot,
) -> None:
    app = seeded.app
    text = await seeded.text("alice", "/recommend")  # alice has ratings; no model is trained yet
    assert "not trained yet" in text and "while I learn what you like" not in text, text
    assert "Popular here while I learn what you like" in await seeded.text("newbie", "/recommend")

    refresh = next(j for j in scheduled_jobs(app.services) if j.name == "recommender-refresh")
    await refresh.run()  # the model refresh job finds no usable model: one training starts in the background
    thread = svc(app)._first_training
    assert thread is not None
    await asyncio.to_thread(thread.join, 600)
    assert not thread.is_alive() and svc(app).model is not None
    await refresh.run()
    assert svc(app)._first_training is thread  # once: a model now exists
    assert "Picked for you" in await seeded.text("alice", "/recommend")
