"""What the bot shows of events, as plain data: an event's card, its details (who is going), the list of upcoming
sessions and its calendar file. Read-only; each function takes a session and names the group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from community.events.audience import reader_zone_of
from community.events.ics import event_ics, ics_filename
from community.events.recurrence import effective_offsets, next_occurrence
from storage.crud import courses as course_crud
from storage.crud import events as crud
from storage.models import Event, Group


@dataclass(frozen=True)
class CourseRef:
    course_id: int
    title: str


@dataclass(frozen=True)
class EventCard:
    """The event's card: its next start, answers so far and reminder times; where the card was posted."""

    event_id: int
    title: str
    status: str  # scheduled | cancelled
    next_start: datetime  # the next occurrence (the first start once none is ahead)
    timezone: str  # the zone its times are shown in: the reader's, or the group's for the card in the group
    duration_minutes: int
    rrule: str | None
    course: CourseRef | None
    capacity: int | None
    going: int
    maybe: int
    not_going: int
    waitlist: int
    offsets: tuple[int, ...]
    card_message_id: str | None
    card_chat_id: str | None
    card_channel_id: str | None

    def channel(self, group_chat_id: str) -> str | None:
        """The channel the card lives in (see `card_channel`)."""
        return _channel(self.card_channel_id, self.card_chat_id, group_chat_id)


def card_channel(event: Event, group_chat_id: str) -> str | None:
    """The channel the event's card was posted in (a Discord channel inside the guild), for edits and reminder
    posts; None where the platform needs none (the group's chat is the channel).

    Rows saved before `card_channel_id` existed kept the channel in `card_chat_id` when it differed from the group.
    """
    return _channel(event.card_channel_id, event.card_chat_id, group_chat_id)


def _channel(channel_id: str | None, chat_id: str | None, group_chat_id: str) -> str | None:
    if channel_id:
        return channel_id
    if chat_id and chat_id != group_chat_id:
        return chat_id
    return None


def card_of(s: Session, event: Event, group: Group, *, now: datetime, zone: str | None = None) -> EventCard:
    """The event's card, its times in `zone` (a reader's); None: the group's zone (the card posted in the group)."""
    assert event.id is not None
    counts = crud.rsvp_counts(s, group_id=event.group_id, event_id=event.id)
    course = None
    if event.course_id and event.status != "cancelled":
        row = course_crud.get_course(s, course_id=event.course_id)
        if row is not None and row.id is not None:
            course = CourseRef(row.id, row.title)
    return EventCard(
        event_id=event.id,
        title=event.title,
        status=event.status,
        next_start=next_occurrence(event, now) or event.starts_at,
        timezone=zone or group.timezone,
        duration_minutes=event.duration_minutes,
        rrule=event.rrule,
        course=course,
        capacity=event.capacity,
        going=counts.get(crud.GOING, 0),
        maybe=counts.get(crud.MAYBE, 0),
        not_going=counts.get(crud.NOT_GOING, 0),
        waitlist=counts.get(crud.WAITLIST, 0),
        offsets=tuple(effective_offsets(event, group)),
        card_message_id=event.card_message_id,
        card_chat_id=event.card_chat_id,
        card_channel_id=event.card_channel_id,
    )


def event_card(s: Session, *, group_id: int, event_id: int, now: datetime) -> EventCard | None:
    """The card as the group sees it (in the group's zone): for the card message itself."""
    event = crud.get_event(s, group_id=group_id, event_id=event_id)
    group = crud.group_row(s, group_id=group_id)
    if event is None or group is None:
        return None
    return card_of(s, event, group, now=now)


@dataclass(frozen=True)
class EventDetails:
    card: EventCard
    going: tuple[str, ...]  # names, in the order they answered
    maybe: tuple[str, ...]
    waitlist: tuple[str, ...]


def event_details(
    s: Session, *, group_id: int, event_id: int, member_id: int, now: datetime
) -> EventDetails | None:
    """The card and who answered, with times in the reader's (`member_id`) zone."""
    event = crud.get_event(s, group_id=group_id, event_id=event_id)
    group = crud.group_row(s, group_id=group_id)
    if event is None or group is None:
        return None
    card = card_of(s, event, group, now=now, zone=reader_zone_of(s, group=group, member_id=member_id))
    names: dict[str, tuple[str, ...]] = {}
    for status in (crud.GOING, crud.MAYBE, crud.WAITLIST):
        ids = [r.member_id for r in crud.rsvps(s, group_id=group_id, event_id=event_id, status=status)]
        people = crud.names_and_accounts(s, group_id=group_id, member_ids=ids, platform=group.platform)
        names[status] = tuple(name for _, name, _, _ in people)
    return EventDetails(card, names[crud.GOING], names[crud.MAYBE], names[crud.WAITLIST])


@dataclass(frozen=True)
class CalendarFile:
    filename: str
    data: bytes
    title: str


def calendar_file(s: Session, *, group_id: int, event_id: int, now: datetime) -> CalendarFile | None:
    event = crud.get_event(s, group_id=group_id, event_id=event_id)
    group = crud.group_row(s, group_id=group_id)
    if event is None or group is None:
        return None
    return CalendarFile(ics_filename(event), event_ics(event, now=now, group_title=group.title), event.title)


@dataclass(frozen=True)
class UpcomingEvent:
    event_id: int
    title: str
    next_start: datetime
    rrule: str | None
    going: int


@dataclass(frozen=True)
class Upcoming:
    timezone: str  # the reader's zone (their own when valid, else the group's)
    events: tuple[UpcomingEvent, ...]  # soonest first; a session still running counts as upcoming


def upcoming(s: Session, *, group_id: int, member_id: int, now: datetime) -> Upcoming:
    group = crud.group_row(s, group_id=group_id)
    assert group is not None
    rows = []
    for event in crud.scheduled_events(s, group_id=group_id):
        nxt = next_occurrence(event, now - timedelta(minutes=event.duration_minutes))
        if nxt is not None and event.id is not None:
            going = crud.rsvp_counts(s, group_id=group_id, event_id=event.id).get(crud.GOING, 0)
            rows.append(UpcomingEvent(event.id, event.title, nxt, event.rrule, going))
    rows.sort(key=lambda r: r.next_start)
    return Upcoming(reader_zone_of(s, group=group, member_id=member_id), tuple(rows))
