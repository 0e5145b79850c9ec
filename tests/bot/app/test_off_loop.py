"""Store work runs off the event loop: a chat whose every store call is slow never stalls another chat."""

from __future__ import annotations

import asyncio
import time
from contextvars import ContextVar
from typing import Any

import pytest
from sqlalchemy import event

from bot.app import CohortApp
from bot.testing import TestBot

SLOW_SECONDS = 0.2
_slow = ContextVar("slow_chat", default=False)


@pytest.fixture
def slow_store(app: CohortApp) -> None:
    """200 ms before every statement issued on behalf of the slow chat (the context follows the worker thread)."""

    def delay(*_: Any) -> None:
        if _slow.get():
            time.sleep(SLOW_SECONDS)

    event.listen(app.engine, "before_cursor_execute", delay)


async def test_help_in_one_chat_answers_while_another_chats_store_is_slow(
    app: CohortApp, slow_store: None, catalog: int, backend: str
) -> None:
    slow_bot = TestBot(app, chat_id="slow")
    fast_bot = slow_bot.in_chat("fast")
    await fast_bot.say("bob", "/help")  # first contact done: bob's identity exists
    await slow_bot.say("alice", "/start")

    async def slow_chat() -> float:
        _slow.set(True)  # only this task's store calls are slow
        t0 = time.perf_counter()
        await slow_bot.say("alice", "/courses python")
        return time.perf_counter() - t0

    task = asyncio.create_task(slow_chat())
    await asyncio.sleep(0.05)  # the slow chat is now inside a store call
    timings: list[float] = []
    for _ in range(3):  # three answers while the slow chat still runs; the best is what the design allows
        t0 = time.perf_counter()
        replies = await fast_bot.say("bob", "/help")
        timings.append(time.perf_counter() - t0)
        assert any("what I can do" in r.rich.to_plain() for r in replies if r.chat.chat_id == "fast")
    assert not task.done(), "the slow chat finished first: the latency was not injected"
    assert min(timings) < 0.1, f"/help timings {[round(t * 1000) for t in timings]} ms"
    slow_elapsed = await task
    assert slow_elapsed >= 3 * SLOW_SECONDS  # several slow statements really ran for the slow chat


async def test_events_of_one_chat_are_handled_in_order(app: CohortApp, catalog: int) -> None:
    """Five commands of one chat delivered at once are answered in arrival order."""
    bot = TestBot(app)
    other = bot.in_chat("g2")
    expected = [(await other.say("alice", f"/course {i}"))[0].rich.to_plain() for i in range(1, 6)]
    assert len(set(expected)) == 5
    before = len(bot.adapter.sent)
    await asyncio.gather(*(bot.say("alice", f"/course {i}") for i in range(1, 6)))
    answered = [r.rich.to_plain() for r in bot.adapter.sent[before:] if r.chat.chat_id == "g1"]
    assert answered == expected
