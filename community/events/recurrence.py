"""Occurrences of an event (a single session or an RRULE series) and the bounded materialisation of their
reminder rows.

Series are expanded in the event's own zone on naive wall-clock times and localised afterwards, so a weekly 19:00
session stays at 19:00 local across daylight-saving changes (its UTC instant moves by an hour). Every expansion
goes through `rules.expand`, bounded in count and in CPU time, whatever the stored rule says.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from community.events.rules import expand
from community.events.timeparse import localize
from storage.crud import events as crud
from storage.models import Event, Group

DEFAULT_OFFSETS = [1440, 15]
HORIZON_DAYS = 60  # reminders exist for occurrences this far ahead; a daily job extends the window
MAX_OCCURRENCES = 30  # and never for more than this many occurrences of one series at a time


def occurrences(
    event: Event, start: datetime, end: datetime, *, limit: int = MAX_OCCURRENCES
) -> list[datetime]:
    """UTC starts of the event's occurrences in [start, end), at most `limit`, wall-clock stable across DST."""
    if not event.rrule:
        return [event.starts_at] if start <= event.starts_at < end else []
    zone = ZoneInfo(event.timezone)
    first_local = event.starts_at.astimezone(zone).replace(tzinfo=None)
    # Compare in local naive time with a day's margin (offsets never exceed a day), then filter exactly in UTC;
    # at most one occurrence a day, so the margins hold at most two more than `limit`.
    lo = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    hi = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    out: list[datetime] = []
    for local in expand(event.rrule, first_local, after=lo, before=hi, limit=limit + 2):
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


def group_offsets(group: Group) -> list[int]:
    """The group's default reminder offsets (minutes before the start)."""
    stored = group.settings.get("reminder_offsets")
    return list(stored) if isinstance(stored, list) else list(DEFAULT_OFFSETS)


def effective_offsets(event: Event, group: Group) -> list[int]:
    if event.reminder_offsets is not None:
        return list(event.reminder_offsets)
    return group_offsets(group)


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
