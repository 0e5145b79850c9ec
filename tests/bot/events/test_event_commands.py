"""/event and /events through the fake adapter: scheduling with confirmation, RSVP, waitlist, cancel, edit,
calendar export, bad input, and group isolation."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
from sqlmodel import select

from bot.app import CohortApp
from bot.testing import TestBot
from common.clock import FakeClock
from storage import db
from storage.models import Event, Member, PendingAction, Reminder, Rsvp
from tests.bot.events.conftest import AddEvent, make_owner


def events_in_store(app: CohortApp) -> list[Event]:
    with db.session_scope(app.engine) as s:
        return list(s.exec(select(Event)))


def reminders_of(app: CohortApp, event_id: int) -> list[Reminder]:
    with db.session_scope(app.engine) as s:
        return list(s.exec(select(Reminder).where(Reminder.event_id == event_id).order_by(Reminder.fire_at)))


async def test_add_echoes_in_group_zone_and_saves_only_on_confirm(bot: TestBot, owner: str) -> None:
    await bot.say(owner, "/settings timezone Asia/Shanghai")
    replies = await bot.say(owner, "/event add Kick-off | 2026-12-03 20:00 | 90m | weekly")
    echo = replies[-1].rich.to_plain()
    assert "Thu 3 Dec 2026, 20:00 Asia/Shanghai, weekly" in echo
    assert "90 min" in echo
    assert events_in_store(bot.app) == []  # nothing stored before the press
    with db.session_scope(bot.app.engine) as s:
        assert len(list(s.exec(select(PendingAction)))) == 1
    await bot.press(owner, replies[-1].flat_buttons[0].payload)
    [event] = events_in_store(bot.app)
    assert event.starts_at == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
    assert event.rrule == "FREQ=WEEKLY" and event.duration_minutes == 90
    assert event.card_message_id  # the card's id is kept for in-place edits
    # the confirmation cannot be replayed
    again = await bot.press(owner, replies[-1].flat_buttons[0].payload)
    assert "already used" in again[-1].rich.to_plain()
    assert len(events_in_store(bot.app)) == 1


async def test_chinese_time_and_discard(bot: TestBot, owner: str) -> None:
    await bot.say(owner, "/settings timezone Asia/Shanghai")
    replies = await bot.say(owner, "/event add 读书会 | 明天晚上8点")
    assert "Sat 28 Nov 2026, 20:00 Asia/Shanghai" in replies[-1].rich.to_plain()
    out = await bot.press(owner, replies[-1].flat_buttons[1].payload)
    assert "Discarded" in out[-1].rich.to_plain()
    assert events_in_store(bot.app) == []


async def test_pending_event_survives_restart(bot: TestBot, owner: str, settings, engine, clock) -> None:  # type: ignore[no-untyped-def]
    replies = await bot.say(owner, "/event add Q&A | tomorrow 18:00")
    payload = replies[-1].flat_buttons[0].payload
    restarted = TestBot(CohortApp(settings, engine=engine, clock=clock, migrate=False))
    out = await restarted.press(owner, payload)
    assert "Saved as event" in "\n".join(r.rich.to_plain() for r in out)
    assert len(events_in_store(restarted.app)) == 1


async def test_bad_input_gets_clear_answers_and_stores_nothing(bot: TestBot, owner: str) -> None:
    cases = {
        "/event add Old | 2020-01-01 10:00": "in the past",
        "/event add Nope | flibbertigibbet o'clock": "couldn't read",
        "/event add Feb | 2027-02-31 18:00": "no 31 February",
        "/event add Feb | 31 February 8pm": "no 31 February",
        "/event add " + "x" * 10_000 + " | tomorrow 8pm": "keep it under 200",
        "/event add Often | tomorrow 8pm | FREQ=MINUTELY": "not more often",
        "/event add Bad rule | tomorrow 8pm | RRULE:FREQ=WEEKLY;BYDAY=XX": "not valid",
        "/event add Hm | tomorrow 8pm | whenever": "don't understand",
        "/event add No time": "Separate the title",
        "/event add Course | tomorrow 8pm | course 999": "no course #999",
        "/event add Long | tomorrow 8pm | 30h": "1 minute to 24 hours",
        "/event 12345": "no event #12345",
        "/event abc": "not an event number",
        "/event cancel 99": "no event #99",
    }
    for text, expected in cases.items():
        out = "\n".join(r.rich.to_plain() for r in await bot.say(owner, text))
        assert expected in out, (text[:60], out[:300])
        assert len(out) < 1000  # the 10 KB title is never echoed back
    assert events_in_store(bot.app) == []
    with db.session_scope(bot.app.engine) as s:
        assert list(s.exec(select(PendingAction))) == []


async def test_non_owner_cannot_add_edit_or_cancel(bot: TestBot, add_event: AddEvent) -> None:
    event_id = await add_event("Study hall | tomorrow 20:00")
    for text in (
        "/event add Mine | tomorrow 8pm",
        f"/event cancel {event_id}",
        f"/event edit {event_id} title X",
        f"/event remind {event_id} 1m",
    ):
        assert "for group owners and admins" in await bot.text("bob", text)
    [event] = events_in_store(bot.app)
    assert event.status == "scheduled" and event.title == "Study hall" and event.version == 1


async def test_only_the_adding_owner_confirms(bot: TestBot, owner: str) -> None:
    await make_owner(bot, "otto")
    replies = await bot.say(owner, "/event add Hall | tomorrow 20:00")
    out = await bot.press("otto", replies[-1].flat_buttons[0].payload)
    assert "Only the owner who added" in out[-1].rich.to_plain()
    assert events_in_store(bot.app) == []


async def test_rsvp_counts_update_in_place_and_waitlist_moves_up(bot: TestBot, add_event: AddEvent) -> None:
    event_id = await add_event("Small room | tomorrow 20:00 | cap 2")
    card_id = events_in_store(bot.app)[0].card_message_id
    out = await bot.press("alice", f"rsvp:{event_id}:g")
    edit = [r for r in out if r.edit_message_id == card_id]
    assert edit and "1 of 2 going" in edit[0].rich.to_plain()
    await bot.press("bob", f"rsvp:{event_id}:g")
    out = await bot.press("carol", f"rsvp:{event_id}:g")
    assert (
        "waitlist" in out[-1].rich.to_plain() and out[-1].direct_to and out[-1].direct_to.user_id == "carol"
    )
    out = await bot.press("dave", f"rsvp:{event_id}:g")
    assert "2 on the waitlist" in [r for r in out if r.edit_message_id == card_id][0].rich.to_plain()
    # alice drops: carol (first on the waitlist) moves up and is told directly; dave still waits
    out = await bot.press("alice", f"rsvp:{event_id}:n")
    told = [r for r in out if r.direct_to is not None and r.direct_to.user_id == "carol"]
    assert told and "seat freed up" in told[0].rich.to_plain()
    with db.session_scope(bot.app.engine) as s:
        status = {r.member_id: r.status for r in s.exec(select(Rsvp))}
        names = {m.id: m.display_name for m in s.exec(select(Member))}
    by_name = {names[mid].lower(): st for mid, st in status.items()}
    assert by_name == {"alice": "no", "bob": "going", "carol": "going", "dave": "waitlist"}
    details = await bot.text("erin", f"/event {event_id}")
    assert "Going: bob, carol" in details and "Waitlist: dave" in details


async def test_cancel_notifies_and_refuses_rsvp(bot: TestBot, add_event: AddEvent, owner: str) -> None:
    event_id = await add_event("Q&A | tomorrow 20:00")
    await bot.press("alice", f"rsvp:{event_id}:g")
    await bot.press("bob", f"rsvp:{event_id}:m")
    await bot.press("carol", f"rsvp:{event_id}:n")
    out = await bot.say(owner, f"/event cancel {event_id}")
    told = sorted(r.direct_to.user_id for r in out if r.direct_to is not None)
    assert told == ["alice", "bob"]
    assert "told 2 members" in out[-1].rich.to_plain()
    assert all(r.status == "cancelled" for r in reminders_of(bot.app, event_id))
    late = await bot.press("dave", f"rsvp:{event_id}:g")
    assert "cancelled" in late[-1].rich.to_plain()
    with db.session_scope(bot.app.engine) as s:
        assert len(list(s.exec(select(Rsvp)))) == 3  # dave's answer was not stored
    assert "No upcoming sessions" in await bot.text("alice", "/events")


async def test_edit_bumps_version_and_rebuilds_reminders(
    bot: TestBot, add_event: AddEvent, owner: str
) -> None:
    event_id = await add_event("Hall | 2026-11-30 18:00")
    before = reminders_of(bot.app, event_id)
    assert [r.offset_minutes for r in before] == [1440, 15]
    await bot.press("alice", f"rsvp:{event_id}:g")
    out = await bot.say(owner, f"/event edit {event_id} when 2026-12-01 19:00")
    assert any(r.direct_to is not None and "moved to" in r.rich.to_plain() for r in out)
    after = reminders_of(bot.app, event_id)
    assert {r.event_version for r in after} == {2}
    assert after[-1].fire_at == datetime(2026, 12, 1, 18, 45, tzinfo=UTC)
    out = await bot.say(owner, f"/event remind {event_id} 1m")
    assert [r.offset_minutes for r in reminders_of(bot.app, event_id)] == [1]
    assert "1m before" in out[-1].rich.to_plain()
    bad = await bot.text(owner, f"/event edit {event_id} when yesterday")
    assert "past" in bad and "Nothing was changed" in bad


async def test_group_default_reminders(bot: TestBot, owner: str, add_event: AddEvent) -> None:
    event_id = await add_event("Hall | 2026-12-05 18:00")
    out = await bot.text(owner, "/settings reminders 120,10")
    assert "2h, 10m before" in out
    assert [r.offset_minutes for r in reminders_of(bot.app, event_id)] == [120, 10]
    assert "120,10" in await bot.text(owner, "/settings")
    assert "not a reminder time" in await bot.text(owner, "/settings reminders soon")


async def test_events_list_in_reader_zone_and_isolated(bot: TestBot, add_event: AddEvent) -> None:
    await add_event("Secret club | 2026-12-03 18:00")
    await bot.say("alice", "hi")
    with db.session_scope(bot.app.engine) as s:
        alice = s.exec(select(Member).where(Member.display_name == "alice")).one()
        alice.timezone = "America/New_York"
        s.add(alice)
    text = await bot.text("alice", "/events")
    assert "Thu 3 Dec 2026, 13:00 America/New_York" in text
    other = bot.in_chat("g2")
    assert "No upcoming sessions" in await other.text("alice", "/events")
    assert "no event #1" in await other.text("alice", "/event 1")
    assert "no event #1" in await other.text("alice", "/event 1 ics")
    out = await other.press("alice", "rsvp:1:g")
    assert "doesn't exist in this group" in out[-1].rich.to_plain()


async def test_ics_export_parses_back(bot: TestBot, owner: str, add_event: AddEvent) -> None:
    await bot.say(owner, "/settings timezone Europe/Berlin")
    event_id = await add_event("Weekly hall | 2026-12-03 19:00 | 90m | every other week")
    [reply] = await bot.say("alice", f"/event {event_id} ics")
    assert reply.attachment is not None and reply.attachment.mime == "text/calendar"
    cal = icalendar.Calendar.from_ical(reply.attachment.data)
    [ve] = cal.walk("VEVENT")
    assert str(ve["summary"]) == "Weekly hall"
    start = ve.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Berlin" and (start.hour, start.minute) == (19, 0)
    assert ve.decoded("duration").total_seconds() == 90 * 60
    assert ve["rrule"]["FREQ"] == ["WEEKLY"] and ve["rrule"]["INTERVAL"] == [2]
    assert cal.walk("VTIMEZONE")  # apps without the zone database still get the offsets


async def test_reminders_mute(bot: TestBot) -> None:
    assert "off" in await bot.text("alice", "/reminders off")
    assert "off" in await bot.text("alice", "/reminders")
    assert "on" in await bot.text("alice", "/reminders on")


async def test_relative_clock(clock: FakeClock, bot: TestBot, owner: str) -> None:
    clock.set(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    replies = await bot.say(owner, "/event add Soon | in 90 seconds | remind 1m")
    assert "Fri 27 Nov 2026, 12:01 UTC" in replies[-1].rich.to_plain()
    await bot.press(owner, replies[-1].flat_buttons[0].payload)
    [event] = events_in_store(bot.app)
    [r] = reminders_of(bot.app, event.id or 0)
    assert r.fire_at == datetime(2026, 11, 27, 12, 0, 30, tzinfo=UTC)


async def test_forget_frees_the_seat_for_the_waitlist(bot: TestBot, add_event: AddEvent) -> None:
    event_id = await add_event("Tiny room | tomorrow 20:00 | cap 1")
    await bot.press("alice", f"rsvp:{event_id}:g")
    await bot.press("bob", f"rsvp:{event_id}:g")
    yes = (await bot.say("alice", "/forget"))[0].flat_buttons[0]
    before = len(bot.adapter.sent)
    await bot.press("alice", yes.payload)
    told = [r for r in bot.adapter.sent[before:] if r.direct_to is not None and r.direct_to.user_id == "bob"]
    assert told and "seat freed up" in told[0].rich.to_plain()
    details = await bot.text("erin", f"/event {event_id}")
    assert "Going: bob" in details and "Waitlist" not in details
