"""Reminder scheduling logic on the FakeClock: materialisation, one delivery, grace window, stale reminders,
coalescing after downtime, bounded series, DST, and the claim on both SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.commands.events import reminder_sender
from bot.testing import TestBot
from common.clock import FakeClock
from community.events.recurrence import HORIZON_DAYS, MAX_OCCURRENCES
from community.events.reminders import ReminderService
from storage import db
from storage.models import Member, Membership, Reminder
from tests.bot.events.conftest import AddEvent

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def service(bot: TestBot) -> ReminderService:
    svc = bot.app.services.reminders
    assert isinstance(svc, ReminderService)
    return svc


def reminders(bot: TestBot, event_id: int | None = None) -> list[Reminder]:
    with db.session_scope(bot.app.engine) as s:
        q = select(Reminder).order_by(Reminder.fire_at, Reminder.offset_minutes)
        if event_id is not None:
            q = q.where(Reminder.event_id == event_id)
        return list(s.exec(q))


def pushed_since(bot: TestBot, start: int) -> list[str]:
    return [
        ("DM " + r.direct_to.user_id + ": " if r.direct_to else "GROUP: ") + r.rich.to_plain()
        for r in bot.adapter.sent[start:]
    ]


async def test_fires_once_to_group_and_going_members(
    bot: TestBot, clock: FakeClock, add_event: AddEvent
) -> None:
    event_id = await add_event("Study hall | 2026-11-27 14:00")  # two hours ahead: the 24h one is never made
    assert [r.offset_minutes for r in reminders(bot, event_id)] == [15]
    for who, code in (("alice", "g"), ("bob", "g"), ("carol", "m"), ("dave", "g")):
        await bot.press(who, f"rsvp:{event_id}:{code}")
    await bot.say("dave", "/reminders off")
    with db.session_scope(bot.app.engine) as s:
        bob = s.exec(select(Member).where(Member.display_name == "bob")).one()
        bob.timezone = "Asia/Tokyo"
        s.add(bob)
    clock.set(datetime(2026, 11, 27, 13, 44, 59, tzinfo=UTC))
    assert (await service(bot).tick()).sent == []  # one second early: nothing
    start = len(bot.adapter.sent)
    clock.advance(seconds=1)
    result = await service(bot).tick()
    assert len(result.sent) == 1
    out = pushed_since(bot, start)
    group = [t for t in out if t.startswith("GROUP")]
    assert len(group) == 1 and "starts in 15 min" in group[0] and "Going (3): alice, bob, dave" in group[0]
    assert sorted(t.split(":")[0] for t in out if t.startswith("DM")) == ["DM alice", "DM bob"]  # dave muted
    assert "14:00 UTC" in next(t for t in out if t.startswith("DM alice"))
    assert "Fri 27 Nov 2026, 23:00 Asia/Tokyo" in next(
        t for t in out if t.startswith("DM bob")
    )  # bob's own zone
    clock.advance(minutes=1)
    assert (await service(bot).tick()).sent == []
    assert len(bot.adapter.sent) == start + len(out)
    assert reminders(bot, event_id)[0].status == "sent"


async def test_late_inside_grace_fires_without_apology(
    bot: TestBot, clock: FakeClock, add_event: AddEvent
) -> None:
    event_id = await add_event("Hall | 2026-11-27 14:00 | 2h")
    clock.set(datetime(2026, 11, 27, 14, 5, tzinfo=UTC))  # down from 13:40 to 14:05: 20 min late
    start = len(bot.adapter.sent)
    assert len((await service(bot).tick()).sent) == 1
    [text] = pushed_since(bot, start)
    assert "started 5 min ago" in text and "sorry" not in text.lower()
    assert reminders(bot, event_id)[0].status == "sent"


async def test_past_grace_is_skipped_and_logged(
    bot: TestBot, clock: FakeClock, add_event: AddEvent, caplog: pytest.LogCaptureFixture
) -> None:
    event_id = await add_event(
        "Hall | 2026-11-28 14:00 | 2h"
    )  # 24h reminder at 14:00 today, 15m at 13:45 tomorrow
    clock.set(datetime(2026, 11, 27, 14, 31, tzinfo=UTC))  # 31 min after the 24h reminder, grace is 30
    start = len(bot.adapter.sent)
    with caplog.at_level(logging.WARNING, logger="community.events.reminders"):
        result = await service(bot).tick()
    assert result.sent == [] and len(result.skipped) == 1
    assert len(bot.adapter.sent) == start
    assert "skipped" in caplog.text and "31 min late" in caplog.text
    statuses = {r.offset_minutes: r.status for r in reminders(bot, event_id)}
    assert statuses == {1440: "skipped", 15: "pending"}  # the next one still fires on time
    clock.set(datetime(2026, 11, 28, 13, 45, tzinfo=UTC))
    assert len((await service(bot).tick()).sent) == 1


async def test_several_due_after_downtime_send_only_the_nearest(
    bot: TestBot, clock: FakeClock, add_event: AddEvent
) -> None:
    event_id = await add_event("Hall | 2026-11-27 15:00 | remind 30m,15m")
    clock.set(datetime(2026, 11, 27, 14, 46, tzinfo=UTC))  # both due, both inside the grace window
    start = len(bot.adapter.sent)
    result = await service(bot).tick()
    assert len(result.sent) == 1 and len(result.skipped) == 1
    assert len(pushed_since(bot, start)) == 1
    assert {r.offset_minutes: r.status for r in reminders(bot, event_id)} == {30: "skipped", 15: "sent"}


async def test_cancelled_or_edited_event_sends_no_stale_reminder(
    bot: TestBot, clock: FakeClock, owner: str, add_event: AddEvent
) -> None:
    cancelled = await add_event("Gone | 2026-11-27 14:00")
    moved = await add_event("Moved | 2026-11-27 14:00")
    await bot.say(owner, f"/event cancel {cancelled}")
    await bot.say(owner, f"/event edit {moved} when 2026-11-27 16:00")
    clock.set(datetime(2026, 11, 27, 13, 45, tzinfo=UTC))
    start = len(bot.adapter.sent)
    assert (await service(bot).tick()).sent == []
    assert pushed_since(bot, start) == []
    clock.set(datetime(2026, 11, 27, 15, 45, tzinfo=UTC))
    assert len((await service(bot).tick()).sent) == 1
    assert "Moved" in pushed_since(bot, start)[0]


async def test_claimed_then_edited_is_dropped(
    bot: TestBot, clock: FakeClock, owner: str, add_event: AddEvent
) -> None:
    """A process that claimed a reminder just before an edit must not send the old time."""
    event_id = await add_event("Race | 2026-11-27 14:00")
    clock.set(datetime(2026, 11, 27, 13, 45, tzinfo=UTC))
    svc = service(bot)
    [rid] = svc.claim_due(clock.now())
    await bot.say(owner, f"/event edit {event_id} title Race (renamed)")
    start = len(bot.adapter.sent)
    assert await svc._deliver(rid, clock.now()) == "dropped"
    assert pushed_since(bot, start) == []


async def test_unbounded_series_is_materialised_in_a_window(
    bot: TestBot, clock: FakeClock, add_event: AddEvent
) -> None:
    event_id = await add_event("Daily standup | 2026-11-28 09:00 | daily")
    rows = reminders(bot, event_id)
    assert 0 < len(rows) <= MAX_OCCURRENCES * 2
    assert max(r.occurrence_start for r in rows) <= NOW + timedelta(days=HORIZON_DAYS)
    first_horizon = max(r.occurrence_start for r in rows)
    clock.advance(days=10)
    created = service(bot).extend()
    rows = reminders(bot, event_id)
    assert created > 0 and max(r.occurrence_start for r in rows) > first_horizon
    assert len({(r.occurrence_start, r.offset_minutes) for r in rows}) == len(rows)  # no duplicates
    assert service(bot).extend() == 0  # idempotent


@pytest.mark.parametrize(
    ("tz", "start", "expected_utc"),
    [
        # Berlin leaves CET for CEST on 29 March 2026: 19:00 local is 18:00 UTC, then 17:00 UTC.
        (
            "Europe/Berlin",
            "2026-03-19 19:00",
            [
                datetime(2026, 3, 19, 18, tzinfo=UTC),
                datetime(2026, 3, 26, 18, tzinfo=UTC),
                datetime(2026, 4, 2, 17, tzinfo=UTC),
            ],
        ),
        # New York leaves EDT on 1 November 2026: 19:00 local is 23:00 UTC, then 00:00 UTC the next day.
        (
            "America/New_York",
            "2026-10-22 19:00",
            [
                datetime(2026, 10, 22, 23, tzinfo=UTC),
                datetime(2026, 10, 29, 23, tzinfo=UTC),
                datetime(2026, 11, 6, 0, tzinfo=UTC),
            ],
        ),
    ],
)
async def test_weekly_series_keeps_wall_clock_across_dst(
    bot: TestBot,
    clock: FakeClock,
    owner: str,
    add_event: AddEvent,
    tz: str,
    start: str,
    expected_utc: list[datetime],
) -> None:
    clock.set(datetime.fromisoformat(start[:10]).replace(tzinfo=UTC) - timedelta(days=2))
    await bot.say(owner, f"/settings timezone {tz}")
    event_id = await add_event(f"Weekly | {start} | weekly | remind 15m")
    rows = reminders(bot, event_id)
    assert [r.occurrence_start for r in rows[:3]] == expected_utc
    assert [r.fire_at for r in rows[:3]] == [t - timedelta(minutes=15) for t in expected_utc]
    clock.set(rows[2].fire_at)
    await service(bot).tick()
    assert "19:00 " + tz in bot.adapter.sent[-1].rich.to_plain()


async def test_claim_is_exclusive_between_two_workers(
    backend: str, bot: TestBot, clock: FakeClock, add_event: AddEvent
) -> None:
    """Two services (two 'processes') on one database: each reminder is claimed by exactly one."""
    for i in range(6):
        await add_event(f"Hall {i} | 2026-11-27 14:00 | remind 15m")
    a = service(bot)
    b = ReminderService(bot.app.services.store, clock, reminder_sender(bot.app.push), worker="other")
    clock.set(datetime(2026, 11, 27, 13, 45, tzinfo=UTC))
    first, second = b.claim_due(clock.now()), a.claim_due(clock.now())
    assert len(first) == 6 and second == []
    with db.session_scope(bot.app.engine) as s:
        assert {r.claimed_by for r in s.exec(select(Reminder))} == {"other"}


async def test_muted_membership_flag(bot: TestBot) -> None:
    await bot.say("alice", "/reminders off")
    with db.session_scope(bot.app.engine) as s:
        assert [m.reminders_muted for m in s.exec(select(Membership))] == [True]


async def test_materialising_twice_at_once_is_safe(
    backend: str, bot: TestBot, add_event: AddEvent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes extending the same series race past the existence check: the unique key decides, no crash."""
    from community.events import recurrence as events_svc
    from storage.crud import events as events_crud
    from storage.models import Event, Group

    event_id = await add_event("Daily | 2026-11-28 09:00 | daily")
    before = len(reminders(bot, event_id))
    monkeypatch.setattr(
        events_crud, "reminder_exists", lambda *a, **k: False
    )  # as if the other wrote just now
    with db.session_scope(bot.app.engine) as s:
        event = s.get(Event, event_id)
        group = s.get(Group, event.group_id)  # type: ignore[union-attr]
        assert events_svc.materialise_reminders(s, event, group, now=NOW) == 0  # type: ignore[arg-type]
    assert len(reminders(bot, event_id)) == before
