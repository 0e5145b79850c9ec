"""A flood through the Telegram adapter: one member's 1,000 commands and presses never hold up another member.

Two first-come lines used to put another member behind a flooder: the updates of a chat were handled strictly one
after the other (600 updates ahead of you cost seconds of store work even when the dispatcher drops them), and the
answers waited in one line for the group's pace (about 20 a minute: a member's budget of 20 commands a minute
fills it). Now updates are ordered per member and the sends take turns per member. The pace here is one message
every 0.25 s instead of 3 s, so the flooder's 21 answers (20 within the budget, one notice) still take over 5 s:
the old adapter answered the other member after 9.7 s, this one within a second.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time

import pytest

from adapters.telegram.adapter import TelegramAdapter, requester
from bot.app import CohortApp
from bot.config import Settings
from bot.types import Chat, Reply, SentMessage
from storage import db
from storage.models import Course
from tests.adapters.telegram.conftest import ALICE, BOB, GROUP, fast_pacer, start_adapter
from tests.adapters.telegram.fake_server import FakeTelegram, visible_text

NOTICE = "faster than I can answer"
FLOOD = 1_000
SLOT = 0.25  # seconds between two messages in the group (the real pace is 3 s)
FLOOD_TEXTS = ["/help", "/nosuch", "/courses", "/courses python", "/start"]
FLOOD_PRESSES = ["courses:1:python", "nosuch:1", "rec:i:1", "courses:x"]
TG_GROUP = Chat(platform="telegram", chat_id=str(GROUP), kind="group", title="Study group")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The default budget (20 a minute), not the suite's 1,000.
    return dataclasses.replace(settings, rate_limit_per_minute=20)


async def flood(fake_tg: FakeTelegram, n: int, *, start: int = 0) -> None:
    """`n` updates from Alice: commands (known, unknown) and button presses, mixed."""
    for i in range(start, start + n):
        if i % 4 == 3:
            await fake_tg.push_callback(GROUP, ALICE, 900, FLOOD_PRESSES[i % len(FLOOD_PRESSES)])
        else:
            await fake_tg.push_message(GROUP, ALICE, FLOOD_TEXTS[i % len(FLOOD_TEXTS)])
        if i % 50 == 49:
            await asyncio.sleep(0)  # let the adapter poll while the flood goes on


def course_title(app: CohortApp, course_id: int) -> str:
    with db.session_scope(app.engine) as s:
        course = s.get(Course, course_id)
        assert course is not None
        return course.title


def answers_to(fake_tg: FakeTelegram, message_id: int) -> list[str]:
    return [
        visible_text(c.params["text"])[0]
        for c in fake_tg.delivered("sendMessage", GROUP)
        if (c.params.get("reply_parameters") or {}).get("message_id") == message_id
    ]


async def test_a_flood_does_not_delay_another_members_command(
    app: CohortApp, catalog: int, fake_tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    adapter: TelegramAdapter = await start_adapter(
        app, fake_tg, pacer=fast_pacer(group_rate=1, group_period=SLOT, chat_rate=1, chat_period=SLOT)
    )
    started = time.monotonic()
    try:
        await flood(fake_tg, 600)
        sent_at = time.monotonic()
        bob_mid = await fake_tg.push_message(GROUP, BOB, "/course 5")
        await flood(fake_tg, FLOOD - 600, start=600)
        [answer] = await fake_tg.wait_for(lambda: answers_to(fake_tg, bob_mid), timeout=30)
        call = next(
            c
            for c in fake_tg.delivered("sendMessage", GROUP)
            if (c.params.get("reply_parameters") or {}).get("message_id") == bob_mid
        )
        latency = call.at - sent_at
        # Let the flood play out: every update handled, every answer sent.
        await fake_tg.wait_for(lambda: not fake_tg.updates and adapter.ptb.update_queue.empty(), timeout=30)
    finally:
        await adapter.stop()
    print(
        f"\nBob's /course 5 answered {latency:.2f}s after he sent it; flood handled in "
        f"{time.monotonic() - started:.1f}s"
    )
    assert course_title(app, 5) in answer  # the real answer, not an error
    assert latency < 3.0, f"Bob waited {latency:.1f}s behind the flood"

    alice_texts = [
        visible_text(c.params["text"])[0]
        for c in fake_tg.delivered("sendMessage", GROUP)
        if (c.params.get("reply_parameters") or {}).get("message_id") != bob_mid
    ]
    assert sum(NOTICE in t for t in alice_texts) == 1  # one notice, then silence
    assert len(alice_texts) == 21  # 20 within the budget, the notice, nothing more
    assert all(c.status == 200 for c in fake_tg.calls_to("sendMessage"))  # paced: never a 429
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "something crashed"


async def send_as(adapter: TelegramAdapter, user_id: str | None, reply: Reply) -> SentMessage | None:
    """Send as if while handling `user_id`'s update (None: a message the bot starts itself)."""
    token = requester.set(user_id)
    try:
        return await adapter.send(reply)
    finally:
        requester.reset(token)


async def test_outbound_turns_are_fair_per_member_capped_and_keep_parts_together(
    app: CohortApp, fake_tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    pace = fast_pacer(chat_rate=1, chat_period=0.1, group_rate=1, group_period=0.1, max_queued_per_member=10)
    adapter = await start_adapter(app, fake_tg, pacer=pace)
    long_text = "\n".join(f"line {i:03d} " + "x" * 60 for i in range(100))  # two parts
    try:
        alice = [
            asyncio.create_task(send_as(adapter, "1001", Reply(chat=TG_GROUP, text=f"alice {i}")))
            for i in range(30)
        ]
        reminders = [
            asyncio.create_task(send_as(adapter, None, Reply(chat=TG_GROUP, text=f"reminder {i}")))
            for i in range(12)
        ]
        await asyncio.sleep(0.05)
        asked = time.monotonic()
        bob = await send_as(adapter, "1002", Reply(chat=TG_GROUP, text=long_text))
        bob_latency = time.monotonic() - asked
        alice_sent = await asyncio.gather(*alice)
        reminders_sent = await asyncio.gather(*reminders)
    finally:
        await adapter.stop()
    texts = fake_tg.sent_texts(GROUP)
    # Alice's 30 answers do not hold Bob up: after one of hers and one reminder, his turn (a first-come queue
    # would have sent 42 messages, 4 s, before his).
    assert bob is not None and bob_latency < 1.0, f"Bob waited {bob_latency:.2f}s"
    # His two parts went together, in order.
    first, second = [i for i, t in enumerate(texts) if t.startswith("line ")]
    assert second == first + 1 and first <= 3
    # Alice may have 10 answers waiting: her oldest waiting ones were dropped (and logged), the rest kept in order.
    assert sum(s is None for s in alice_sent) == 19
    assert [t for t in texts if t.startswith("alice")] == ["alice 0", *(f"alice {i}" for i in range(20, 30))]
    assert sum("dropped the oldest queued reply" in r.getMessage() for r in caplog.records) == 19
    # Messages the bot starts itself are never dropped, whatever the backlog.
    assert all(s is not None for s in reminders_sent)
    assert [t for t in texts if t.startswith("reminder")] == [f"reminder {i}" for i in range(12)]
    assert all(c.status == 200 for c in fake_tg.calls_to("sendMessage"))
