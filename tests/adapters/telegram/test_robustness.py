"""Failures and concurrency: nothing a platform error or a slow handler does stops the bot or reorders a chat."""

from __future__ import annotations

import asyncio

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.admins import AdminCache
from bot.app import CohortApp
from bot.dispatcher import Context
from tests.adapters.telegram.conftest import ALICE, BOB, GROUP
from tests.adapters.telegram.fake_server import FakeTelegram

OTHER_GROUP = -1009999999999


async def test_a_slow_group_does_not_hold_up_another_but_keeps_its_own_order(
    app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    release = asyncio.Event()

    @app.dispatcher.command("slow", help="waits")
    async def slow(ctx: Context) -> str:
        await release.wait()
        return "slow done"

    await fake_tg.push_message(GROUP, ALICE, "/slow")
    await fake_tg.push_message(GROUP, ALICE, "/start")  # same group: must wait for /slow
    await fake_tg.push_message(OTHER_GROUP, BOB, "/start")  # other group: answered meanwhile
    await fake_tg.wait_for(lambda: fake_tg.sent_texts(OTHER_GROUP))
    assert fake_tg.sent_texts(GROUP) == []
    release.set()
    texts = await fake_tg.wait_for(lambda: len(fake_tg.sent_texts(GROUP)) == 2 and fake_tg.sent_texts(GROUP))
    assert texts[0] == "slow done" and "Cohort" in texts[1]


async def test_a_reply_that_keeps_failing_is_dropped_and_the_bot_goes_on(
    tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    fake_tg.fail("sendMessage", 502, "Bad Gateway", times=5)  # every attempt of the first reply
    await fake_tg.push_message(GROUP, ALICE, "/help")
    await fake_tg.wait_for(lambda: len(fake_tg.calls_to("sendMessage")) == 5)
    await fake_tg.push_message(GROUP, ALICE, "/start")
    [text] = await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP))
    assert "Cohort" in text and "what I can do" not in text
    assert len(fake_tg.calls_to("sendMessage")) == 6  # 5 tries, then given up; no duplicate afterwards


async def test_bot_removed_from_group_does_not_crash(tg: TelegramAdapter, fake_tg: FakeTelegram) -> None:
    fake_tg.fail("sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat")
    await fake_tg.push_message(GROUP, ALICE, "/help")
    await fake_tg.push_message(GROUP, ALICE, "/start")
    [text] = await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP))
    assert "Cohort" in text
    assert [c.status for c in fake_tg.calls_to("sendMessage")] == [403, 200]  # a 403 is never retried


async def test_admin_cache_expires_after_its_ttl() -> None:
    now = [100.0]
    cache = AdminCache(ttl=60, clock=lambda: now[0])
    fetched: list[int] = []

    async def fetch() -> frozenset[str]:
        fetched.append(1)
        return frozenset({"1001"}) if len(fetched) == 1 else frozenset({"1002"})

    assert await cache.admins("-1", fetch) == {"1001"}
    now[0] += 59
    assert await cache.admins("-1", fetch) == {"1001"} and len(fetched) == 1
    now[0] += 2
    assert await cache.admins("-1", fetch) == {"1002"} and len(fetched) == 2  # demotions show within a minute
