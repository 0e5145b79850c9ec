"""The claim lease (issue 7 follow-up): a reminder claimed by a process that died before sending is taken over by
another process once the claim is older than CLAIM_LEASE_SECONDS — exactly one of them, even when several race —
and sent inside the grace window or skipped (and logged) past it. A live sender is never doubled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.app import CohortApp
from bot.commands.events import reminder_sender
from bot.config import Settings
from bot.testing import TestBot
from common.clock import FakeClock
from community.events.reminders import CLAIM_LEASE_SECONDS, ReminderService
from storage import db
from storage.crud import events as crud
from storage.models import Reminder
from tests.bot.events.conftest import AddEvent

FIRE = datetime(2026, 11, 27, 13, 45, tzinfo=UTC)  # the 15-minute reminder of a 14:00 event
LEASE = timedelta(seconds=CLAIM_LEASE_SECONDS)


def service(bot: TestBot) -> ReminderService:
    svc = bot.app.services.reminders
    assert isinstance(svc, ReminderService)
    return svc


def rows(engine: Engine) -> list[Reminder]:
    with db.session_scope(engine) as s:
        return list(s.exec(select(Reminder).order_by(Reminder.id)))


def group_posts(*bots: TestBot) -> list[str]:
    return [
        r.rich.to_plain()
        for b in bots
        for r in b.adapter.sent
        if r.direct_to is None and "Reminder" in r.rich.to_plain()
    ]


@pytest.fixture
def other_apps(settings: Settings, engine: Engine, clock: FakeClock) -> Iterator[list[TestBot]]:
    """Two more bot 'processes' on the same database, each with its own engine, adapter and worker name."""
    url = engine.url.render_as_string(hide_password=False)
    engines = [db.make_engine(url) for _ in range(2)]
    yield [TestBot(CohortApp(settings, engine=e, clock=clock, migrate=False)) for e in engines]
    for e in engines:
        e.dispose()


async def crashed_claim(bot: TestBot, clock: FakeClock, add_event: AddEvent) -> int:
    """An event with alice going; at its fire time a process claims the reminder and dies before sending."""
    event_id = await add_event("Hall | 2026-11-27 14:00 | remind 15m")
    await bot.press("alice", f"rsvp:{event_id}:g")
    clock.set(FIRE)
    crashed = ReminderService(bot.app.services.store, clock, reminder_sender(bot.app.push), worker="crashed")
    [rid] = crashed.claim_due(clock.now())  # ...and never sends: the process was killed here
    return rid


async def test_crashed_claim_is_sent_once_by_another_app_after_the_lease(
    backend: str, bot: TestBot, clock: FakeClock, add_event: AddEvent, other_apps: list[TestBot]
) -> None:
    rid = await crashed_claim(bot, clock, add_event)
    b1, b2 = other_apps
    clock.advance(seconds=CLAIM_LEASE_SECONDS - 1)  # inside the lease: the claim stands
    assert (await service(b1).tick()).sent == [] and (await service(b2).tick()).sent == []
    assert rows(bot.app.engine)[0].status == "claimed"

    clock.advance(seconds=2)  # the lease ran out: both race to take it over, in two threads
    now = clock.now()
    got = await asyncio.gather(
        asyncio.to_thread(service(b1).claim_due, now), asyncio.to_thread(service(b2).claim_due, now)
    )
    assert sorted(got) == [[], [rid]]
    winner = b1 if got[0] else b2
    assert rows(bot.app.engine)[0].claimed_by == service(winner).worker
    assert await service(winner)._deliver(rid, now) == "sent"

    for _ in range(3):  # nobody sends it again, however long they keep polling
        clock.advance(seconds=CLAIM_LEASE_SECONDS + 1)
        for b in (bot, b1, b2):
            assert (await service(b).tick()).sent == []
    [post] = group_posts(bot, b1, b2)
    assert "Hall" in post and "Going (1): alice" in post
    assert [r.direct_to.user_id for r in winner.adapter.sent if r.direct_to] == ["alice"]
    [row] = rows(bot.app.engine)
    assert row.status == "sent" and row.sent_at is not None


async def test_take_over_is_a_compare_and_set(
    backend: str, bot: TestBot, clock: FakeClock, add_event: AddEvent
) -> None:
    """Both processes saw the stale claim before either wrote: the conditional UPDATE lets exactly one win."""
    rid = await crashed_claim(bot, clock, add_event)
    clock.advance(seconds=CLAIM_LEASE_SECONDS + 1)
    now, stale_before = clock.now(), clock.now() - LEASE
    with db.session_scope(bot.app.engine) as s:
        assert crud.claimable_reminder_ids(s, now=now, stale_before=stale_before, limit=10) == [
            (rid, "claimed")
        ]
    wins = []
    for worker in ("p1", "p2"):
        with db.session_scope(bot.app.engine) as s:
            wins.append(
                crud.reclaim_if_stale(s, reminder_id=rid, stale_before=stale_before, worker=worker, now=now)
            )
    assert wins == [True, False]
    # the old claimer can no longer close it; the new one can
    with db.session_scope(bot.app.engine) as s:
        assert not crud.set_status_if(s, reminder_id=rid, expect="claimed", owner="crashed", status="sent")
        assert crud.set_status_if(s, reminder_id=rid, expect="claimed", owner="p1", status="sent")


async def test_live_sender_inside_the_lease_is_never_doubled(
    backend: str, bot: TestBot, clock: FakeClock, add_event: AddEvent, other_apps: list[TestBot]
) -> None:
    event_id = await add_event("Hall | 2026-11-27 14:00 | remind 15m")
    await bot.press("alice", f"rsvp:{event_id}:g")
    b1, _ = other_apps
    clock.set(FIRE)
    a = service(bot)
    [rid] = a.claim_due(clock.now())
    clock.advance(seconds=CLAIM_LEASE_SECONDS - 5)  # a slow but live sender, still inside its lease
    assert (await service(b1).tick()).sent == []  # the other process leaves it alone
    assert await a._deliver(rid, clock.now()) == "sent"
    assert rows(bot.app.engine)[0].status == "sent"  # recorded right after the post
    clock.advance(seconds=CLAIM_LEASE_SECONDS * 3)
    assert (await service(b1).tick()).sent == [] and (await a.tick()).sent == []
    assert len(group_posts(bot, b1)) == 1


async def test_stale_claim_past_the_grace_window_is_skipped_and_logged(
    backend: str,
    bot: TestBot,
    clock: FakeClock,
    add_event: AddEvent,
    other_apps: list[TestBot],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await crashed_claim(bot, clock, add_event)
    b1, _ = other_apps
    clock.set(FIRE + timedelta(minutes=31))  # nobody was up to take it over within the 30-minute grace
    with caplog.at_level(logging.WARNING, logger="community.events.reminders"):
        result = await service(b1).tick()
    assert result.sent == [] and len(result.skipped) == 1
    assert group_posts(bot, b1) == []
    assert "taken over" in caplog.text and "skipped" in caplog.text and "31 min late" in caplog.text
    assert rows(bot.app.engine)[0].status == "skipped"
    clock.advance(seconds=CLAIM_LEASE_SECONDS * 2)
    assert (await service(b1).tick()).skipped == []  # logged once, then settled


async def test_a_send_that_raises_is_retried_after_the_lease(
    bot: TestBot, clock: FakeClock, add_event: AddEvent, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_event("Hall | 2026-11-27 14:00 | remind 15m")
    svc = service(bot)
    real_deliver = svc.deliver

    async def down(notice):  # type: ignore[no-untyped-def]
        raise ConnectionError("platform unreachable")

    monkeypatch.setattr(svc, "deliver", down)
    clock.set(FIRE)
    assert (await svc.tick()).sent == []
    assert rows(bot.app.engine)[0].status == "claimed"  # not marked sent: nothing was posted
    monkeypatch.setattr(svc, "deliver", real_deliver)
    clock.advance(seconds=30)
    assert (await svc.tick()).sent == []  # inside the lease: not yet
    clock.advance(seconds=CLAIM_LEASE_SECONDS)
    assert len((await svc.tick()).sent) == 1
    assert len(group_posts(bot)) == 1 and rows(bot.app.engine)[0].status == "sent"
