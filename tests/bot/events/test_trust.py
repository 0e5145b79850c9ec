"""Issue 11, events: repeat rules that could stop the bot, times with their own zone, impossible clock times, the
cap edit and its waitlist, Save by an owner who lost admin status, every time shown in its reader's zone, the
edit reply, and numbers in commands and button payloads."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import cast

import pytest
from sqlmodel import select

from bot.app import CohortApp
from bot.commands.events import confirm_add
from bot.dispatcher import Context
from bot.testing import FakeAdapter, TestBot
from bot.types import Reply
from common.clock import FakeClock
from common.errors import UserError
from community.events.reminders import ReminderService
from storage import db
from storage.models import Event, Member, PendingAction, Rsvp
from tests.bot.events.conftest import AddEvent, make_owner

QUICK = 1.0  # seconds: what any answer may take, whatever the stored rule


def events_in_store(app: CohortApp) -> list[Event]:
    with db.session_scope(app.engine) as s:
        return list(s.exec(select(Event)))


def plain(replies: list[Reply]) -> str:
    return "\n".join(r.rich.to_plain() for r in replies)


async def timed(call: Awaitable[list[Reply]]) -> tuple[str, float]:
    start = time.perf_counter()
    replies = await asyncio.wait_for(call, timeout=10)
    return plain(replies), time.perf_counter() - start


def set_rule(app: CohortApp, event_id: int, rrule: str) -> None:
    """Write a rule straight into the store, as a row from before the checks (or a hand edit) would hold it."""
    with db.session_scope(app.engine) as s:
        event = s.exec(select(Event).where(Event.id == event_id)).one()
        event.rrule = rrule
        s.add(event)


# ---- item 1: repeat rules ---------------------------------------------------------------------------------------
EVERY_HOUR = "RRULE:FREQ=DAILY;BYHOUR=" + ",".join(str(h) for h in range(24))
BAD_RULES = {
    "RRULE:FREQ=DAILY;INTERVAL=0": "INTERVAL=0 is out of range (1 to 1000)",
    EVERY_HOUR: "more than once a day",
    "RRULE:FREQ=DAILY;BYMINUTE=" + ",".join(str(m) for m in range(21)): "more than once a day",
    "RRULE:FREQ=DAILY;BYWEEKNO=60": "BYWEEKNO=60 is out of range",
    "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30": "never happens in the year after the first session",
    "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29": "never happens in the year after the first session",
    "RRULE:FREQ=WEEKLY;UNTIL=20261101": "never happens in the year after the first session",
    "RRULE:FREQ=HOURLY": "not more often",
    "RRULE:FREQ=WEEKLY;BYSETPOS=0": "BYSETPOS=0 is out of range",
    "RRULE:FREQ=WEEKLY;FREQ=DAILY": "given twice",
}


@pytest.mark.parametrize(("rule", "expected"), list(BAD_RULES.items()), ids=list(range(len(BAD_RULES))))
async def test_bad_repeat_rules_are_refused_at_the_door_quickly(
    bot: TestBot, owner: str, add_event: AddEvent, rule: str, expected: str
) -> None:
    event_id = await add_event("Hall | 2026-11-28 20:00 | weekly")  # (also loads the time parsers: warm)
    text, took = await timed(bot.say(owner, f"/event add Rule | 2026-11-28 20:00 | {rule}"))
    assert expected in text and took < QUICK, (text, took)
    with db.session_scope(bot.app.engine) as s:
        assert [p.used_at is not None for p in s.exec(select(PendingAction))] == [True]  # Hall's only
    text, took = await timed(bot.say(owner, f"/event edit {event_id} repeat {rule}"))
    assert expected in text and "Nothing was changed" in text and took < QUICK, (text, took)
    [event] = events_in_store(bot.app)
    assert event.rrule == "FREQ=WEEKLY" and event.version == 1


async def test_moving_a_series_rechecks_its_rule(bot: TestBot, owner: str, add_event: AddEvent) -> None:
    """Feb 29 every year is fine from 1 March 2027 (its first is 29 Feb 2028), not from 28 Nov 2026."""
    event_id = await add_event("Leap | 2027-03-01 20:00 | RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29")
    text = await bot.text(owner, f"/event edit {event_id} when 2026-11-28 20:00")
    assert "never happens in the year" in text and "Nothing was changed" in text


CRAFTED = [
    "FREQ=DAILY;INTERVAL=0",  # never advances: /events used to spin forever
    "FREQ=DAILY;BYWEEKNO=60",  # never occurs: every expansion walked to the year 9999
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # every part in range, and still never occurs
    EVERY_HOUR.removeprefix("RRULE:"),  # 24 a day
    "FREQ=MINUTELY",
]


@pytest.mark.parametrize("rule", CRAFTED)
async def test_a_crafted_rule_in_the_store_cannot_hang_the_bot(
    bot: TestBot, clock: FakeClock, owner: str, add_event: AddEvent, rule: str
) -> None:
    other = await add_event("Other | 2026-12-05 20:00")
    event_id = await add_event("Crafted | 2026-11-28 20:00 | weekly")
    await bot.press("alice", f"rsvp:{event_id}:g")
    set_rule(bot.app, event_id, rule)
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # three days later: the series is under way

    lags: list[float] = []

    async def heartbeat() -> None:  # the event loop keeps turning while expansions run
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - before)

    beat = asyncio.create_task(heartbeat())
    try:
        for command in ("/events", f"/event {event_id}", f"/event {event_id} ics", f"/event {other}"):
            text, took = await timed(bot.say("alice", command))
            assert took < QUICK, (command, took)
            assert "Other" in text or "Calendar file" in text or "Crafted" in text, (command, text)
        reminders = bot.app.services.reminders
        assert isinstance(reminders, ReminderService)
        start = time.perf_counter()
        await asyncio.wait_for(reminders.extend_job(), timeout=10)  # the daily roll-forward
        await asyncio.wait_for(reminders.tick(), timeout=10)
        text, took = await timed(bot.say(owner, f"/event edit {event_id} title Renamed"))
        assert "Updated" in text and took < QUICK, (text, took)
        assert time.perf_counter() - start < 3 * QUICK
    finally:
        beat.cancel()
    assert max(lags) < 0.5, max(lags)


# ---- item 6: times with their own zone, impossible clock times ------------------------------------------------
@pytest.mark.parametrize(
    ("when", "utc"),
    [
        ("2026-11-28 20:00 UTC", datetime(2026, 11, 28, 20, 0, tzinfo=UTC)),
        ("2026-11-28 20:00Z", datetime(2026, 11, 28, 20, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 +14:00", datetime(2026, 11, 28, 6, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 +0500", datetime(2026, 11, 28, 15, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 EST", datetime(2026, 11, 29, 1, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 UTC-3", datetime(2026, 11, 28, 23, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 Europe/Berlin", datetime(2026, 11, 28, 19, 0, tzinfo=UTC)),
        ("2026-11-28 20:00", datetime(2026, 11, 28, 11, 0, tzinfo=UTC)),  # no zone: the group's
    ],
)
async def test_an_explicit_zone_is_honoured(
    bot: TestBot, owner: str, add_event: AddEvent, when: str, utc: datetime
) -> None:
    await bot.say(owner, "/settings timezone Asia/Tokyo")
    await add_event(f"T | {when}")
    [event] = events_in_store(bot.app)
    assert event.starts_at == utc
    await bot.say(owner, f"/event edit {event.id} when 2026-11-30 09:00")
    await bot.say(owner, f"/event edit {event.id} when {when}")
    [event] = events_in_store(bot.app)
    assert event.starts_at == utc


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("tomorrow 25pm", "25pm is not a time of day"),
        ("tomorrow 0am", "0am is not a time of day"),
        ("tomorrow 24:61", "24:61 is not a time of day"),
        ("2026-12-03 25:00", "25:00 is not a time of day"),
        ("13月1日", "There is no month 13"),
        ("2026-13-01 10:00", "There is no month 13"),
        ("tomorrow 8pm IST", "IST means different zones"),
        ("tomorrow 8pm +15:00", "from -12:00 to +14:00"),
        ("tomorrow 8pm Mars/Olympus", "I don't know the time zone 'Mars/Olympus'"),
    ],
)
async def test_impossible_times_and_unknown_zones_are_refused(
    bot: TestBot, owner: str, when: str, expected: str
) -> None:
    text = await bot.text(owner, f"/event add T | {when}")
    assert expected in text, text
    assert "\\u" not in text and "\\x" not in text
    with db.session_scope(bot.app.engine) as s:
        assert list(s.exec(select(PendingAction))) == []


# ---- item 9: the cap, one validation, Save by an owner who lost admin status ----------------------------------
def statuses(app: CohortApp) -> dict[str, str]:
    with db.session_scope(app.engine) as s:
        names = {m.id: m.display_name for m in s.exec(select(Member))}
        return {names[r.member_id]: r.status for r in s.exec(select(Rsvp))}


async def test_raising_the_cap_promotes_the_waitlist_and_lowering_it_moves_nobody_down(
    bot: TestBot, owner: str, add_event: AddEvent
) -> None:
    event_id = await add_event("Room | 2026-11-28 20:00 | cap 1")
    for who in ("alice", "bob", "carol"):
        await bot.press(who, f"rsvp:{event_id}:g")
    assert statuses(bot.app) == {"alice": "going", "bob": "waitlist", "carol": "waitlist"}
    out = await bot.say(owner, f"/event edit {event_id} cap 2")
    told = [r for r in out if r.direct_to is not None]
    assert [r.direct_to.user_id for r in told if r.direct_to] == ["bob"]
    assert "seat freed up" in told[0].rich.to_plain()
    assert "1 moved up from the waitlist" in out[-1].rich.to_plain()
    assert statuses(bot.app) == {"alice": "going", "bob": "going", "carol": "waitlist"}
    await bot.say(owner, f"/event edit {event_id} cap 1")  # lower: those going stay going, nobody new gets in
    await bot.press("dave", f"rsvp:{event_id}:g")
    assert statuses(bot.app) == {"alice": "going", "bob": "going", "carol": "waitlist", "dave": "waitlist"}
    await bot.press("alice", f"rsvp:{event_id}:n")  # still two going over a cap of one: nobody moves up
    assert statuses(bot.app)["carol"] == "waitlist"
    out = await bot.say(owner, f"/event edit {event_id} cap none")
    assert sorted(r.direct_to.user_id for r in out if r.direct_to) == ["carol", "dave"]
    assert statuses(bot.app) == {"alice": "no", "bob": "going", "carol": "going", "dave": "going"}


async def test_one_capacity_rule_for_add_and_edit(bot: TestBot, owner: str, add_event: AddEvent) -> None:
    event_id = await add_event("Room | 2026-11-28 20:00 | cap 5")
    for text in (
        f"/event edit {event_id} cap 999999999",
        "/event add Big | 2026-11-28 20:00 | cap 999999999",
    ):
        out = await bot.text(owner, text)
        assert "1 to 100,000" in out and "Usage:" in out, out
    assert "Nothing was changed" in await bot.text(owner, f"/event edit {event_id} cap 0")
    [event] = events_in_store(bot.app)
    assert event.capacity == 5 and event.version == 1
    await bot.say(owner, f"/event edit {event_id} cap 100000")
    assert events_in_store(bot.app)[0].capacity == 100_000


async def test_an_owner_who_lost_admin_status_cannot_save_a_draft(app: CohortApp) -> None:
    adapter = FakeAdapter(admins={"olga"})  # the platform's own admin list
    bot = TestBot(app, adapter=adapter)
    replies = await bot.say("olga", "/event add Hall | 2026-11-28 20:00")
    save, discard = replies[-1].flat_buttons
    adapter.admins = set()  # demoted on the platform before pressing Save
    out = await bot.press("olga", save.payload)
    assert "for group owners and admins" in plain(out)
    assert events_in_store(app) == []
    assert "for group owners and admins" in plain(await bot.press("olga", discard.payload))
    with db.session_scope(app.engine) as s:
        assert [p.used_at for p in s.exec(select(PendingAction))] == [None]  # the draft was not even taken


# ---- item 12: every time shown in its reader's zone -----------------------------------------------------------
ZONES = {
    "olga": "America/New_York",
    "alice": "Europe/Berlin",
    "bob": "Asia/Kolkata",
    "carol": "Australia/Sydney",
}
GROUP_ZONE = "Asia/Tokyo"
_TIME_AND_ZONE = re.compile(r"\b\d{2}:\d{2} ([A-Za-z_]+(?:/[A-Za-z_]+)*|UTC[+-]?\d*)")


async def test_every_time_is_shown_in_its_readers_zone(
    bot: TestBot, clock: FakeClock, owner: str, add_event: AddEvent
) -> None:
    await bot.say(owner, f"/settings timezone {GROUP_ZONE}")
    for who, zone in ZONES.items():
        assert zone in await bot.text(who, f"/timezone {zone}")
    seen: dict[str, list[Reply]] = {}

    def check(actor: str, replies: list[Reply], kind: str) -> None:
        """Each reply with a time reads in its reader's zone: a direct one in the recipient's, a group post (the
        card, edited in place or posted on Save, a reminder post) in the group's, the answer to a command in the
        zone of who typed it."""
        timed_replies = [r for r in replies if _TIME_AND_ZONE.search(r.rich.to_plain())]
        assert timed_replies, (kind, plain(replies))
        for r in timed_replies:
            text = r.rich.to_plain()
            if r.direct_to is not None:
                reader = ZONES[r.direct_to.user_id]
            elif r.edit_message_id or r.reply_to_id is None:
                reader = GROUP_ZONE
            else:
                reader = ZONES[actor]
            zones = set(_TIME_AND_ZONE.findall(text))
            allowed = {reader, GROUP_ZONE} if kind == "draft" else {reader}
            assert zones and zones <= allowed and reader in zones, (kind, reader, text)
        seen[kind] = timed_replies

    out = await bot.say(owner, "/event add Hall | 2026-11-28 20:00 | cap 2")
    check(owner, out, "draft")
    out = await bot.press(owner, out[-1].flat_buttons[0].payload)
    check(owner, out, "card")
    event_id = events_in_store(bot.app)[0].id
    for who in ("alice", "olga", "bob"):
        await bot.press(who, f"rsvp:{event_id}:g")
    check("alice", await bot.say("alice", "/events"), "list")
    check("alice", await bot.say("alice", f"/event {event_id}"), "details")
    out = await bot.say(owner, f"/event edit {event_id} when 2026-11-29 19:00")
    check(owner, out, "edit")  # the answer, alice's and olga's "moved" notices, the card edited in place
    assert {r.direct_to.user_id for r in out if r.direct_to} == {"alice", "olga"}
    check("olga", await bot.press("olga", f"rsvp:{event_id}:n"), "promotion")  # bob moves up
    await bot.press("carol", f"rsvp:{event_id}:g")  # waitlisted
    out = await bot.say(owner, f"/event edit {event_id} cap 3")
    check(owner, out, "cap")
    reminders = bot.app.services.reminders
    assert isinstance(reminders, ReminderService)
    clock.set(datetime(2026, 11, 29, 9, 45, tzinfo=UTC))  # the 15-minute reminder (19:00 Tokyo is 10:00 UTC)
    before = len(bot.adapter.sent)
    assert len((await reminders.tick()).sent) == 1
    check("nobody", bot.adapter.sent[before:], "reminder")
    assert {r.direct_to.user_id for r in bot.adapter.sent[before:] if r.direct_to} == {
        "alice",
        "bob",
        "carol",
    }
    check(owner, await bot.say(owner, f"/event edit {event_id} repeat weekly"), "repeat")
    await bot.press("olga", f"rsvp:{event_id}:g")  # the series is full again: olga waits
    yes = (await bot.say("alice", "/forget"))[0].flat_buttons[0]
    before = len(bot.adapter.sent)
    await bot.press("alice", yes.payload)  # alice's seat goes to olga
    check(
        "alice",
        [r for r in bot.adapter.sent[before:] if r.direct_to and r.direct_to.user_id == "olga"],
        "forget",
    )
    check(owner, await bot.say(owner, f"/event cancel {event_id}"), "cancel")
    assert set(seen) == {
        "draft", "card", "list", "details", "edit", "promotion", "cap", "reminder", "repeat", "forget", "cancel"
    }  # fmt: skip
    assert not any("UTC" in r.rich.to_plain() for replies in seen.values() for r in replies)


# ---- polish: the edit answer, numbers in commands and payloads ------------------------------------------------
async def test_edit_shows_the_card_once(bot: TestBot, owner: str, add_event: AddEvent) -> None:
    event_id = await add_event("Hall | 2026-11-28 20:00")
    out = await bot.say(owner, f"/event edit {event_id} title Big hall")
    cards = [r for r in out if r.rich.to_plain().startswith("📅")]
    assert len(cards) == 1 and cards[0].edit_message_id  # the card, edited in place
    assert plain(out).count("Big hall") == 2  # in the card and in the one-line answer
    assert out[-1].rich.to_plain() == f"Updated *Big hall* (#{event_id}): new title."


NUMBER_CASES: list[tuple[str, str]] = [
    ("/event ²", "is not an event number"),
    ("/event #²", "is not an event number"),
    ("/event 99999999999", "There is no event #99999999999"),
    ("/event 99999999999999999999999999999999999999", "There is no event #99999999999999999999…"),
    ("/event 0", "There is no event #0"),
    ("/event cancel ²", "is not an event number"),
    ("/event remind ² 1m", "is not an event number"),
    ("/event edit ² title X", "is not an event number"),
    ("/event edit {id} cap ²", "is not a number of seats"),
    ("/event edit {id} course ²", "is not a course number"),
    ("/event add X | 2026-11-28 20:00 | cap ²", "is not a number of seats"),
    ("/event add X | 2026-11-28 20:00 | course ²", "is not a course number"),
    ("/event add X | 2026-11-28 20:00 | cap 1e3", "is not a number of seats"),
]


@pytest.mark.parametrize(("command", "expected"), NUMBER_CASES)
async def test_numbers_in_event_commands_get_a_usage_line(
    bot: TestBot, owner: str, add_event: AddEvent, command: str, expected: str
) -> None:
    event_id = await add_event("Hall | 2026-11-28 20:00")
    text = await bot.text(owner, command.format(id=event_id))
    assert expected in text and "\\u" not in text, text
    if "There is no" not in text:
        assert "Usage:" in text, text


@pytest.mark.parametrize(
    "payload",
    [
        "rsvp:²:g",
        "rsvp:#1:g",
        "rsvp:99999999999999999999999999999999999999:g",
        "rsvp:0:g",
        "rsvp::g",
        "rsvp:1",
    ],
)
async def test_numbers_in_rsvp_payloads_never_crash(bot: TestBot, add_event: AddEvent, payload: str) -> None:
    await add_event("Hall | 2026-11-28 20:00")
    out = plain(await bot.press("alice", payload))
    assert "That button has expired" in out
    with db.session_scope(bot.app.engine) as s:
        assert list(s.exec(select(Rsvp))) == []


async def test_numbers_in_a_draft_payload_never_reach_the_store(bot: TestBot, owner: str) -> None:
    """The Save handler reads the pending id with parse_int itself, whatever payload reaches it."""
    replies = await bot.say(owner, "/event add Hall | 2026-11-28 20:00")
    assert replies[-1].flat_buttons
    for data in ("ok:²", "ok:99999999999999999999999999999999999999", "ok:", "ok:-1", "maybe:1"):
        with pytest.raises(UserError, match="That button has expired"):
            await confirm_add(cast(Context, None), data)  # refused before the context is used
    assert events_in_store(bot.app) == []


async def test_other_owner_is_told_the_draft_is_not_theirs(bot: TestBot, owner: str) -> None:
    await make_owner(bot, "otto")
    replies = await bot.say(owner, "/event add Hall | 2026-11-28 20:00")
    out = await bot.press("otto", replies[-1].flat_buttons[0].payload)
    assert "Only the owner who added this event" in plain(out)
    assert events_in_store(bot.app) == []
