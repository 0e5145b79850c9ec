"""Live sessions: reading `/event add` specs, occurrences of a series, RSVPs with a capped list and a waitlist,
edits and cancellations, and the bounded materialisation of reminders.

Series are expanded in the event's own zone on naive wall-clock times and localised afterwards, so a weekly 19:00
session stays at 19:00 local across daylight-saving changes (its UTC instant moves by an hour).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlmodel import Session

from community.timeparse import (
    TimeParseError,
    localize,
    parse_duration,
    parse_offsets,
    parse_repeat,
    parse_when,
)
from storage.crud import events as crud
from storage.models import Event, Group, Rsvp

MAX_TITLE = 200
DEFAULT_OFFSETS = [1440, 15]
HORIZON_DAYS = 60  # reminders exist for occurrences this far ahead; a daily job extends the window
MAX_OCCURRENCES = 30  # and never for more than this many occurrences of one series at a time
MAX_CAPACITY = 100_000


class EventError(ValueError):
    """A clear answer for the member (bad spec, refused change)."""


@dataclass
class EventDraft:
    """What `/event add` understood, before the owner confirms. JSON-safe through `to_payload`."""

    title: str
    starts_at: datetime
    timezone: str
    duration_minutes: int = 60
    rrule: str | None = None
    course_id: int | None = None
    capacity: int | None = None
    reminder_offsets: list[int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        d = asdict(self)
        d["starts_at"] = self.starts_at.astimezone(UTC).isoformat()
        return d

    @classmethod
    def from_payload(cls, d: dict[str, Any]) -> EventDraft:
        d = dict(d)
        d["starts_at"] = datetime.fromisoformat(d["starts_at"]).astimezone(UTC)
        return cls(**d)


def clean_title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise EventError("Give the event a title: /event add Study hall | tomorrow 8pm")
    if len(title) > MAX_TITLE:
        raise EventError(f"That title is {len(title)} characters long; keep it under {MAX_TITLE}.")
    return title


def parse_add(text: str, *, tz: str, now: datetime) -> EventDraft:
    """`<title> | <when> [| <duration>] [| <repeat>] [| course <id>] [| cap <n>] [| remind 1m,15m]`."""
    parts = [p.strip() for p in text.split("|")]
    title = clean_title(parts[0]) if parts[0].strip() or len(parts) > 1 else ""
    if len(parts) < 2 or not parts[1]:
        raise EventError("Separate the title and the time with '|': /event add Study hall | tomorrow 8pm")
    if len(parts) > 7:
        raise EventError("Too many '|' parts.")
    starts_at = parse_when(parts[1], tz, now)
    draft = EventDraft(title=title, starts_at=starts_at, timezone=tz)
    for part in parts[2:]:
        if part:
            apply_option(draft, part)
    check_start(draft.starts_at, now)
    return draft


def apply_option(draft: EventDraft, part: str) -> None:
    """One optional `| ...` part: a duration, a repeat, `course N`, `cap N` or `remind 1m,15m`."""
    word, _, rest = part.partition(" ")
    key = word.lower()
    if key == "course":
        draft.course_id = _positive_int(rest, "course number")
    elif key in ("cap", "capacity", "max", "seats"):
        draft.capacity = _positive_int(rest, "capacity")
        if draft.capacity > MAX_CAPACITY:
            raise EventError(f"A capacity of at most {MAX_CAPACITY}, please.")
    elif key in ("remind", "reminders", "reminder"):
        draft.reminder_offsets = parse_offsets(rest)
    elif (minutes := parse_duration(part)) is not None:
        draft.duration_minutes = minutes
    elif (rule := parse_repeat(part)) is not None:
        draft.rrule = rule
    else:
        raise EventError(
            f"I don't understand {part[:40]!r}: use a duration (90m), a repeat (weekly), "
            "'course 3', 'cap 20' or 'remind 1h,15m'."
        )


def _positive_int(raw: str, what: str) -> int:
    raw = raw.strip().lstrip("#")
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise EventError(f"{raw[:20]!r} is not a {what}.")
    return int(raw)


def check_start(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise EventError("That time is in the past. Pick a time ahead, e.g. 'tomorrow 8pm'.")
    if starts_at > now + timedelta(days=3 * 366):
        raise EventError("That is more than three years ahead; pick a nearer date.")


# ---- occurrences ----------------------------------------------------------------------------------------------
def occurrences(
    event: Event, start: datetime, end: datetime, *, limit: int = MAX_OCCURRENCES
) -> list[datetime]:
    """UTC starts of the event's occurrences in [start, end), at most `limit`, wall-clock stable across DST."""
    if not event.rrule:
        return [event.starts_at] if start <= event.starts_at < end else []
    zone = ZoneInfo(event.timezone)
    first_local = event.starts_at.astimezone(zone).replace(tzinfo=None)
    rule = rrulestr(event.rrule, dtstart=first_local)
    # Compare in local naive time with a day's margin (offsets never exceed a day), then filter exactly in UTC.
    lo = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    hi = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    out: list[datetime] = []
    for local in rule.xafter(lo, inc=True):
        if local > hi:
            break
        at = localize(local, zone)
        if start <= at < end:
            out.append(at)
            if len(out) >= limit:
                break
    return out


def next_occurrence(event: Event, now: datetime) -> datetime | None:
    """The next start at or after `now` (a series looks up to three years ahead)."""
    found = occurrences(event, now, now + timedelta(days=3 * 366), limit=1)
    return found[0] if found else None


def card_channel(event: Event, group_chat_id: str) -> str | None:
    """The channel the event's card was posted in (a Discord channel inside the guild), for edits and reminder
    posts; None where the platform needs none (the group's chat is the channel).

    Rows saved before `card_channel_id` existed kept the channel in `card_chat_id` when it differed from the group.
    """
    if event.card_channel_id:
        return event.card_channel_id
    if event.card_chat_id and event.card_chat_id != group_chat_id:
        return event.card_chat_id
    return None


def effective_offsets(event: Event, group: Group) -> list[int]:
    if event.reminder_offsets is not None:
        return list(event.reminder_offsets)
    stored = group.settings.get("reminder_offsets")
    return list(stored) if isinstance(stored, list) else list(DEFAULT_OFFSETS)


def materialise_reminders(s: Session, event: Event, group: Group, *, now: datetime) -> int:
    """Create the missing reminders of the event's occurrences in the next HORIZON_DAYS (bounded). Returns count."""
    if event.status != "scheduled" or event.id is None:
        return 0
    offsets = effective_offsets(event, group)
    created = 0
    # Occurrences that started already but whose reminders could still be due are not needed: reminders fire
    # before the start, so the window begins at `now`.
    for occ in occurrences(event, now, now + timedelta(days=HORIZON_DAYS)):
        for offset in offsets:
            fire_at = occ - timedelta(minutes=offset)
            if fire_at < now:
                continue  # e.g. the 24h reminder of a session added two hours ahead
            if crud.reminder_exists(s, event_id=event.id, occurrence_start=occ, offset_minutes=offset):
                continue
            made = crud.add_reminder(
                s,
                group_id=event.group_id,
                event_id=event.id,
                occurrence_start=occ,
                offset_minutes=offset,
                fire_at=fire_at,
                event_version=event.version,
            )
            created += int(made)
    s.flush()
    return created


def extend_all(s: Session, *, now: datetime) -> int:
    """The daily job: materialise the next window of every scheduled event (series roll forward)."""
    total = 0
    for event in crud.scheduled_events(s):
        group = crud.group_row(s, group_id=event.group_id)
        if group is not None:
            total += materialise_reminders(s, event, group, now=now)
    return total


# ---- create, edit, cancel -------------------------------------------------------------------------------------
def create_event(s: Session, *, group: Group, member_id: int, draft: EventDraft, now: datetime) -> Event:
    check_start(draft.starts_at, now)
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
        created_at=now,
        updated_at=now,
    )
    materialise_reminders(s, event, group, now=now)
    return event


EDITABLE = ("title", "when", "duration", "repeat", "cap", "course", "remind")


def edit_event(s: Session, event: Event, group: Group, *, field_name: str, value: str, now: datetime) -> str:
    """Change one field, bump the version (stale reminders die) and rebuild reminders. Returns a short summary."""
    if event.status != "scheduled":
        raise EventError("That event was cancelled; it can't be edited.")
    name = field_name.lower()
    if name == "title":
        event.title = clean_title(value)
    elif name == "when":
        event.starts_at = parse_when(value, event.timezone, now)
        check_start(event.starts_at, now)
    elif name == "duration":
        minutes = parse_duration(value)
        if minutes is None:
            raise EventError(f"{value[:20]!r} is not a duration; try 90m or 1h30m.")
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
        event.capacity = (
            None if value.strip().lower() in ("none", "off") else _positive_int(value, "capacity")
        )
    elif name == "course":
        event.course_id = (
            None if value.strip().lower() in ("none", "off") else _positive_int(value, "course number")
        )
    elif name in ("remind", "reminders"):
        event.reminder_offsets = None if value.strip().lower() == "default" else parse_offsets(value)
    else:
        raise EventError(f"You can edit: {', '.join(EDITABLE)}.")
    bump(s, event, group, now=now)
    return name


def bump(s: Session, event: Event, group: Group, *, now: datetime) -> None:
    """A new version: pending reminders are rebuilt; a claimed one of the old version is dropped at send time."""
    event.version += 1
    event.updated_at = now
    s.add(event)
    assert event.id is not None
    crud.drop_pending_reminders(s, group_id=event.group_id, event_id=event.id)
    materialise_reminders(s, event, group, now=now)


def cancel_event(s: Session, event: Event, *, now: datetime) -> list[int]:
    """Cancel; returns the member ids who had said going, maybe or were waitlisted (to notify)."""
    if event.status == "cancelled":
        raise EventError("That event is already cancelled.")
    assert event.id is not None
    event.status = "cancelled"
    event.version += 1
    event.updated_at = now
    s.add(event)
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
    if row is None:
        row = Rsvp(
            group_id=group_id,
            event_id=event_id,
            member_id=member_id,
            status=status,
            created_at=now,
            updated_at=now,
        )
    else:
        row.status, row.updated_at = status, now
    s.add(row)
    s.flush()
    promoted: list[int] = []
    if before == crud.GOING and status != crud.GOING and event.capacity is not None:
        promoted = _fill_seats(s, event, now=now)
    return RsvpResult(status, promoted)


def fill_freed_seats(s: Session, *, group_id: int, now: datetime) -> dict[int, list[int]]:
    """Move waitlisted members up wherever seats are free (after /forget removed someone who was going).

    Returns {event_id: promoted member ids} for the group's scheduled events with a cap.
    """
    out: dict[int, list[int]] = {}
    for event in crud.scheduled_events(s, group_id=group_id):
        if event.capacity is None or event.id is None:
            continue
        promoted = _fill_seats(s, event, now=now)
        if promoted:
            out[event.id] = promoted
    return out


def _fill_seats(s: Session, event: Event, *, now: datetime) -> list[int]:
    assert event.id is not None and event.capacity is not None
    going = len(crud.rsvps(s, group_id=event.group_id, event_id=event.id, status=crud.GOING))
    promoted = []
    for waiting in crud.rsvps(s, group_id=event.group_id, event_id=event.id, status=crud.WAITLIST):
        if going >= event.capacity:
            break
        waiting.status = crud.GOING  # keeps updated_at: order on the list is when they asked
        s.add(waiting)
        promoted.append(waiting.member_id)
        going += 1
    s.flush()
    return promoted


__all__ = [
    "EventDraft",
    "EventError",
    "RsvpResult",
    "TimeParseError",
    "cancel_event",
    "create_event",
    "edit_event",
    "extend_all",
    "fill_freed_seats",
    "materialise_reminders",
    "next_occurrence",
    "occurrences",
    "parse_add",
    "set_rsvp",
]
