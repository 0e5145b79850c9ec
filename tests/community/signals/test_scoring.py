"""Sentiment of every stored message: scored off the message path, re-scored on edit, backfilled at start."""

from __future__ import annotations

import threading
from dataclasses import replace

from sqlalchemy import event
from sqlmodel import select

from bot.app import CohortApp
from bot.testing import TestBot
from bot.types import Message as ChatMessage
from storage import db
from storage.models import CourseMention, Rating
from tests.helpers import ids, messages_of

BAD_INPUTS = [
    "",
    "   \n\t  ",
    "👍👍🎉",
    "great course " * 8000,  # ~100 KB
    "I love 这个课程，真的很好 😊 but the quiz was hard",
    "\x00\x01\xff\ufffd\x7f binary \u202e evil \u200b",
    "\udcff lone surrogate-looking",
]


async def test_every_message_gets_a_score_after_the_worker_flushes(bot: TestBot, running: CohortApp) -> None:
    await bot.say("alice", "I love this course, it is excellent and really helpful")
    await bot.say("bob", "this is terrible, boring and a waste of time")
    await running.stop()
    alice, bob = messages_of(running, "alice")[0], messages_of(running, "bob")[0]
    assert alice.sentiment is not None and bob.sentiment is not None
    assert alice.sentiment > 0.2 > -0.2 > bob.sentiment
    assert (alice.sentiment_label, bob.sentiment_label) == ("positive", "negative")


async def test_bad_input_is_stored_and_scored_without_error(bot: TestBot, running: CohortApp) -> None:
    for i, text in enumerate(BAD_INPUTS):
        replies = await bot.say("carol", text, message_id=f"bad{i}")
        assert replies == []  # plain messages never get an answer
    await running.stop()
    rows = messages_of(running, "carol")
    assert len(rows) == len(BAD_INPUTS)
    for row in rows:
        assert row.sentiment is not None and -1.0 <= row.sentiment <= 1.0
        assert row.sentiment_label in ("positive", "neutral", "negative")
    assert (rows[2].sentiment or 0) > 0  # emoji-only praise reads as positive


async def test_edited_message_is_rescored(bot: TestBot, running: CohortApp) -> None:
    await bot.say("alice", "this course is wonderful, I love it", message_id="e1")
    scorer = running.services.scorer
    await scorer.worker.stop()
    first = messages_of(running, "alice")[0].sentiment
    scorer.worker.start()
    edited = ChatMessage(
        id="e1",
        chat=bot.chat,
        author=bot.user("alice"),
        text="actually it is awful and boring",
        sent_at=running.clock.now(),
        edited=True,
    )
    await running.handle(edited, bot.adapter)
    await running.stop()
    row = messages_of(running, "alice")[0]
    assert first is not None and first > 0
    assert row.text == "actually it is awful and boring"
    assert row.sentiment is not None and row.sentiment < 0


async def test_messages_stored_while_down_are_backfilled_at_start(bot: TestBot, app: CohortApp) -> None:
    await bot.say("alice", "thanks, that explanation was great")  # the app is not started: no worker
    await bot.say("bob", "/help")
    assert messages_of(app, "alice")[0].sentiment is None
    await app.start()
    await app.stop()
    row = messages_of(app, "alice")[0]
    assert row.sentiment is not None and row.sentiment > 0
    assert messages_of(app, "bob")[0].sentiment is None  # commands are not messages to score


async def test_course_mention_becomes_an_implicit_rating(
    bot: TestBot, running: CohortApp, catalog: int, backend: str
) -> None:
    await bot.say("alice", "Python for Absolute Beginners is excellent, I love it! Also #9 is great")
    await bot.say("bob", "nothing about courses here")
    await running.stop()
    group_id, alice = ids(bot, "alice")
    with db.session_scope(running.engine) as s:
        ratings = list(s.exec(select(Rating).where(Rating.source == "mention")))
        mentions = list(s.exec(select(CourseMention)))
    message = messages_of(running, "alice")[0]
    assert {r.course_id for r in ratings} == {1, 9}
    for r in ratings:
        assert (r.group_id, r.member_id, r.kind) == (group_id, alice, "implicit")
        assert r.value == message.sentiment and r.value > 0
    assert {(m.course_id, m.message_id) for m in mentions} == {(1, message.id), (9, message.id)}


async def test_opted_out_messages_are_neither_stored_nor_scored(bot: TestBot, running: CohortApp) -> None:
    await bot.say("alice", "/optout")
    await bot.say("alice", "Python for Absolute Beginners is great")
    await running.stop()
    assert [m.is_command for m in messages_of(running, "alice")] == [True]


async def test_unknown_backend_falls_back_to_builtin(bot: TestBot, app: CohortApp) -> None:
    app.services.scorer.analyzer_name = "no-such-model"
    await app.start()
    await bot.say("alice", "great, thanks!")
    await app.stop()
    assert messages_of(app, "alice")[0].sentiment is not None


def test_edit_flag_reaches_listener_copy() -> None:
    # Guard for the edit test above: the neutral Message type carries the edit flag the core relies on.
    from datetime import UTC, datetime

    from bot.types import Chat, ChatUser

    m = ChatMessage(
        id="1", chat=Chat("test", "g"), author=ChatUser("test", "u", "U"), text="x", sent_at=datetime.now(UTC)
    )
    assert replace(m, edited=True).edited


async def test_hourly_catch_up_scores_texts_the_worker_dropped(bot: TestBot, running: CohortApp) -> None:
    scorer = running.services.scorer
    assert {"signals-backfill", "signals-retention"} <= set(running.scheduler.job_ids())
    await bot.say("alice", "first message")
    await scorer.worker.stop()  # a full queue drops texts: here, a stopped worker refuses them
    await bot.say("alice", "this one was dropped, but it is wonderful", message_id="dropped")
    assert messages_of(running, "alice")[1].sentiment is None
    scorer.worker.start()
    task = scorer.catch_up()
    assert task is not None and await task == 1  # only the dropped text was unscored
    await running.stop()
    assert all(m.sentiment is not None for m in messages_of(running, "alice"))


async def test_scoring_runs_no_store_statement_on_the_event_loop(
    bot: TestBot, running: CohortApp, catalog: int
) -> None:
    loop_thread = threading.get_ident()
    on_loop: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if threading.get_ident() == loop_thread:
            on_loop.append(statement)

    event.listen(running.engine, "before_cursor_execute", record)
    try:
        await bot.say("alice", "Python for Absolute Beginners is excellent, I love it")
        worker = running.services.scorer.worker
        assert worker is not None
        await worker.stop()  # scored, and the catalogue read and the writes done, in worker threads
    finally:
        event.remove(running.engine, "before_cursor_execute", record)
    assert on_loop == []
    with db.session_scope(running.engine) as s:
        assert [m.course_id for m in s.exec(select(CourseMention))] == [1]
