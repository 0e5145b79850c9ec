"""Live sessions: proposing and saving an event, owners' edits and cancellations, RSVPs with a capped list and a
waitlist, group reminder defaults and muting. Each function takes a session and names its group; answers for the
member are `EventError`s (a `TimeParseError` from reading a time passes through as is)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from common.numbers import shown
from community.events.audience import group_chat, reader_zone_of, recipients
from community.events.drafts import (
    EventDraft,
    EventError,
    SpecError,
    check_repeat,
    check_start,
    clean_title,
    parse_add,
    parse_capacity,
    parse_course,
)
from community.events.notices import Recipient, SeatNotice
from community.events.recurrence import effective_offsets, materialise_reminders, next_occurrence
from community.events.timeparse import TimeParseError, parse_duration, parse_offsets, parse_repeat, parse_when
from community.events.views import EventCard, card_channel, card_of
from storage.crud import courses as course_crud
from storage.crud import events as crud
from storage.models import Event, Group

EDITABLE = ("title", "when", "duration", "repeat", "cap", "course", "remind")
NOT_YOUR_DRAFT = "Only the owner who added this event can save or discard it."


# ---- add: propose, then confirm -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Proposal:
    """What `/event add` understood, the reminder times it would get, and the pending confirmation's id."""

    draft: EventDraft
    offsets: tuple[int, ...]
    pending_id: int
    reader_zone: str  # the zone of the owner who typed it (the echo's times), else the group's


def propose_event(
    s: Session, *, group_id: int, member_id: int, spec: str, now: datetime, ttl: timedelta
) -> Proposal:
    group = crud.group_row(s, group_id=group_id)
    assert group is not None
    draft = parse_add(spec, tz=group.timezone, now=now)
    if draft.course_id is not None and course_crud.get_course(s, course_id=draft.course_id) is None:
        raise EventError(f"There is no course #{draft.course_id}. Find one with /courses.")
    offsets = (
        draft.reminder_offsets
        if draft.reminder_offsets is not None
        else effective_offsets(Event(group_id=group_id, title="", starts_at=now), group)
    )
    pending = crud.add_pending(
        s,
        group_id=group_id,
        member_id=member_id,
        action="event_add",
        payload=draft.to_payload(),
        now=now,
        expires_at=now + ttl,
    )
    assert pending.id is not None
    return Proposal(draft, tuple(offsets), pending.id, reader_zone_of(s, group=group, member_id=member_id))


def confirm_event(
    s: Session, *, group_id: int, member_id: int, pending_id: int, save: bool, now: datetime
) -> EventCard | None:
    """Save (or discard: None) the proposal, once, by the owner who made it. Returns the new event's card."""
    pending = crud.get_pending(s, group_id=group_id, pending_id=pending_id)
    if pending is not None and pending.member_id != member_id:
        raise EventError(NOT_YOUR_DRAFT)
    taken = crud.take_pending(s, group_id=group_id, pending_id=pending_id, action="event_add", now=now)
    if taken is None:
        raise EventError("That confirmation was already used or has expired. Add the event again.")
    if not save:
        return None
    group = crud.group_row(s, group_id=group_id)
    assert group is not None
    try:
        event = create_event(
            s, group=group, member_id=member_id, draft=EventDraft.from_payload(taken.payload), now=now
        )
    except EventError as e:
        raise EventError(f"{e} Nothing was saved.") from None
    return card_of(s, event, group, now=now)


def create_event(s: Session, *, group: Group, member_id: int, draft: EventDraft, now: datetime) -> Event:
    check_start(draft.starts_at, now)
    check_repeat(draft.rrule, draft.starts_at, draft.timezone)  # a draft saved before the rule checks existed
    assert group.id is not None
    event = crud.add_event(
        s,
        group_id=group.id,
        title=draft.title,
        starts_at=draft.starts_at,
        timezone=draft.timezone,
        duration_minutes=draft.duration_minutes,
        rrule=draft.rrule,
        course_id=draft.course_id,
        capacity=draft.capacity,
        reminder_offsets=draft.reminder_offsets,
        created_by=member_id,
        now=now,
    )
    materialise_reminders(s, event, group, now=now)
    return event


# ---- edit and cancel ------------------------------------------------------------------------------------------
def _locked_event(s: Session, *, group_id: int, event_id: int) -> tuple[Event, Group]:
    """The group's event, locked for an owner's change, and its group; a clear error when there is none."""
    event = crud.get_event_for_update(s, group_id=group_id, event_id=event_id)
    group = crud.group_row(s, group_id=group_id)
    if event is None or group is None:
        raise EventError(f"There is no event #{event_id} in this group.")
    return event, group


@dataclass(frozen=True)
class Edited:
    """An owner's edit: the field changed, the card (in the editor's zone) and whom to tell directly."""

    field: str  # one of EDITABLE ("capacity" is "cap", "reminders" is "remind")
    card: EventCard
    moved: tuple[Recipient, ...]  # members going, to tell when the start moved (else empty)
    promoted: tuple[Recipient, ...]  # moved up from the waitlist by a larger (or no) cap


def edit(
    s: Session, *, group_id: int, event_id: int, member_id: int, field_name: str, value: str, now: datetime
) -> Edited:
    event, group = _locked_event(s, group_id=group_id, event_id=event_id)
    old_start = event.starts_at
    try:
        name = edit_event(s, event, group, field_name=field_name, value=value, now=now)
    except SpecError as e:
        raise SpecError(f"{e} Nothing was changed.") from None
    except (EventError, TimeParseError) as e:
        raise EventError(f"{e} Nothing was changed.") from None
    promoted: list[int] = []
    if name == "cap":
        promoted = _fill_seats(s, event)
    moved: list[Recipient] = []
    if event.starts_at != old_start:
        going = [r.member_id for r in crud.rsvps(s, group_id=group_id, event_id=event_id, status=crud.GOING)]
        moved = recipients(s, group=group, member_ids=going)
    card = card_of(s, event, group, now=now, zone=reader_zone_of(s, group=group, member_id=member_id))
    return Edited(name, card, tuple(moved), tuple(recipients(s, group=group, member_ids=promoted)))


def edit_event(s: Session, event: Event, group: Group, *, field_name: str, value: str, now: datetime) -> str:
    """Change one field, bump the version (stale reminders die) and rebuild reminders. Returns the field's name
    (one of EDITABLE). A new time is read in the group's zone (or the zone it names), like /event add."""
    if event.status != "scheduled":
        raise EventError("That event was cancelled; it can't be edited.")
    name = field_name.lower()
    off = value.strip().lower() in ("none", "off")
    if name == "title":
        event.title = clean_title(value)
    elif name == "when":
        event.starts_at = parse_when(value, group.timezone, now)
        event.timezone = group.timezone
        check_start(event.starts_at, now)
    elif name == "duration":
        minutes = parse_duration(value)
        if minutes is None:
            raise EventError(f"'{shown(value)}' is not a duration; try 90m or 1h30m.")
        event.duration_minutes = minutes
    elif name == "repeat":
        if value.strip().lower() in ("none", "once", "off"):
            event.rrule = None
        else:
            rule = parse_repeat(value)
            if rule is None:
                raise EventError("Repeat: daily, weekly, every other week, monthly, an RRULE, or none.")
            event.rrule = rule
    elif name in ("cap", "capacity"):
        name = "cap"
        event.capacity = None if off else parse_capacity(value)
    elif name == "course":
        course_id = None if off else parse_course(value)
        if course_id is not None and course_crud.get_course(s, course_id=course_id) is None:
            raise EventError(f"There is no course #{course_id}.")
        event.course_id = course_id
    elif name in ("remind", "reminders"):
        name = "remind"
        event.reminder_offsets = None if value.strip().lower() == "default" else parse_offsets(value)
    else:
        raise EventError(f"You can edit: {', '.join(EDITABLE)}.")
    if name in ("when", "repeat"):
        check_repeat(event.rrule, event.starts_at, event.timezone)
    bump(s, event, group, now=now)
    return name


def bump(s: Session, event: Event, group: Group, *, now: datetime) -> None:
    """A new version: pending reminders are rebuilt; a claimed one of the old version is dropped at send time."""
    event.version += 1
    event.updated_at = now
    crud.save_event(s, event=event)
    assert event.id is not None
    crud.drop_pending_reminders(s, group_id=event.group_id, event_id=event.id)
    materialise_reminders(s, event, group, now=now)


@dataclass(frozen=True)
class Cancelled:
    title: str
    starts_at: datetime  # the next occurrence it would have had (UTC); each recipient reads it in their zone
    notify: tuple[Recipient, ...]  # who had said going, maybe or was waitlisted


def cancel(s: Session, *, group_id: int, event_id: int, now: datetime) -> Cancelled:
    event, group = _locked_event(s, group_id=group_id, event_id=event_id)
    starts_at = next_occurrence(event, now) or event.starts_at
    to_tell = cancel_event(s, event, now=now)
    return Cancelled(event.title, starts_at, tuple(recipients(s, group=group, member_ids=to_tell)))


def cancel_event(s: Session, event: Event, *, now: datetime) -> list[int]:
    """Cancel; returns the member ids who had said going, maybe or were waitlisted (to notify)."""
    if event.status == "cancelled":
        raise EventError("That event is already cancelled.")
    assert event.id is not None
    event.status = "cancelled"
    event.version += 1
    event.updated_at = now
    crud.save_event(s, event=event)
    crud.cancel_pending_reminders(s, group_id=event.group_id, event_id=event.id)
    return [
        r.member_id
        for r in crud.rsvps(s, group_id=event.group_id, event_id=event.id)
        if r.status in (crud.GOING, crud.MAYBE, crud.WAITLIST)
    ]


# ---- RSVP -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RsvpResult:
    status: str  # what the member now is: going | maybe | no | waitlist
    promoted: list[int]  # members moved from the waitlist to going


def set_rsvp(
    s: Session, *, group_id: int, event_id: int, member_id: int, choice: str, now: datetime
) -> RsvpResult:
    """Record going / maybe / no. Over the cap 'going' becomes 'waitlist'; a freed seat goes to the first waiting."""
    if choice not in (crud.GOING, crud.MAYBE, crud.NOT_GOING):
        raise EventError("Unknown answer.")
    event = crud.get_event_for_update(s, group_id=group_id, event_id=event_id)
    if event is None:
        raise EventError("That event doesn't exist in this group.")
    if event.status != "scheduled":
        raise EventError("That event was cancelled, so there is nothing to answer.")
    if not event.rrule and event.starts_at + timedelta(minutes=event.duration_minutes) < now:
        raise EventError("That event is over.")
    row = crud.get_rsvp(s, group_id=group_id, event_id=event_id, member_id=member_id)
    before = row.status if row else None
    status = choice
    if choice == crud.GOING and before in (crud.GOING, crud.WAITLIST):
        return RsvpResult(before, [])  # pressing 'going' again keeps one's place
    if choice == crud.GOING and event.capacity is not None:
        going = len(crud.rsvps(s, group_id=group_id, event_id=event_id, status=crud.GOING))
        if going >= event.capacity:
            status = crud.WAITLIST
    crud.upsert_rsvp(s, group_id=group_id, event_id=event_id, member_id=member_id, status=status, now=now)
    promoted: list[int] = []
    if before == crud.GOING and status != crud.GOING and event.capacity is not None:
        promoted = _fill_seats(s, event)
    return RsvpResult(status, promoted)


@dataclass(frozen=True)
class RsvpAnswer:
    status: str  # going | maybe | no | waitlist
    title: str
    starts_at: datetime  # the next occurrence (UTC)
    promoted: tuple[Recipient, ...]  # moved up from the waitlist: tell them directly


def answer(
    s: Session, *, group_id: int, event_id: int, member_id: int, choice: str, now: datetime
) -> RsvpAnswer:
    """A member's RSVP button: record it and say who moved up."""
    result = set_rsvp(s, group_id=group_id, event_id=event_id, member_id=member_id, choice=choice, now=now)
    event = crud.get_event(s, group_id=group_id, event_id=event_id)
    group = crud.group_row(s, group_id=group_id)
    assert event is not None and group is not None
    return RsvpAnswer(
        result.status,
        event.title,
        next_occurrence(event, now) or event.starts_at,
        tuple(recipients(s, group=group, member_ids=result.promoted)),
    )


def fill_freed_seats(s: Session, *, group_id: int, now: datetime) -> dict[int, list[int]]:
    """Move waitlisted members up wherever seats are free (after /forget removed someone who was going).

    Returns {event_id: promoted member ids} for the group's scheduled events with a cap.
    """
    out: dict[int, list[int]] = {}
    for event in crud.scheduled_events(s, group_id=group_id):
        if event.capacity is None or event.id is None:
            continue
        promoted = _fill_seats(s, event)
        if promoted:
            out[event.id] = promoted
    return out


def seats_freed(s: Session, *, group_id: int, now: datetime) -> list[SeatNotice]:
    """After /forget: fill freed seats from the waitlists; one notice per member moved up."""
    group = crud.group_row(s, group_id=group_id)
    if group is None:
        return []
    notices = []
    for event_id, member_ids in fill_freed_seats(s, group_id=group_id, now=now).items():
        event = crud.get_event(s, group_id=group_id, event_id=event_id)
        if event is None:
            continue
        channel = card_channel(event, group.platform_chat_id)
        starts_at = next_occurrence(event, now) or event.starts_at
        for to in recipients(s, group=group, member_ids=member_ids):
            notices.append(SeatNotice(group_chat(group), event_id, event.title, starts_at, channel, to))
    return notices


def _fill_seats(s: Session, event: Event) -> list[int]:
    """Move the waitlist up, first come first served, while seats are free (all of it when there is no cap).
    A lower cap moves nobody down: those going stay going, and nobody new gets in until seats free up."""
    assert event.id is not None
    going = len(crud.rsvps(s, group_id=event.group_id, event_id=event.id, status=crud.GOING))
    promoted = []
    for waiting in crud.rsvps(s, group_id=event.group_id, event_id=event.id, status=crud.WAITLIST):
        if event.capacity is not None and going >= event.capacity:
            break
        crud.move_up(s, rsvp=waiting)
        promoted.append(waiting.member_id)
        going += 1
    s.flush()
    return promoted


# ---- group defaults and muting --------------------------------------------------------------------------------
def set_default_offsets(s: Session, *, group_id: int, offsets: list[int], now: datetime) -> None:
    """The group's default reminder times; events without their own are rebuilt with them."""
    group = crud.set_group_reminder_offsets(s, group_id=group_id, offsets=offsets)
    assert group is not None
    for event in crud.scheduled_events(s, group_id=group_id):
        if event.reminder_offsets is None:
            bump(s, event, group, now=now)


def set_muted(s: Session, *, group_id: int, member_id: int, muted: bool | None) -> bool:
    """Turn a member's reminders in the group off (True), on (False) or leave them (None); the state now."""
    state = crud.set_reminders_muted(s, group_id=group_id, member_id=member_id, muted=muted)
    assert state is not None
    return state
