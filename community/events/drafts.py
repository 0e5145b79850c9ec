"""Reading `/event add` specs into an `EventDraft` (what the owner confirms), and the checks every start obeys."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from common.numbers import NumberError, parse_int, shown
from community.events.rules import RuleError, check_series
from community.events.timeparse import parse_duration, parse_offsets, parse_repeat, parse_when

MAX_TITLE = 200
MAX_CAPACITY = 100_000


class EventError(ValueError):
    """A clear answer for the member (bad spec, refused change)."""


class SpecError(EventError):
    """A part typed in the wrong shape (a number that is not one): answered with the command's usage line."""


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
    check_repeat(draft.rrule, draft.starts_at, draft.timezone)
    return draft


def apply_option(draft: EventDraft, part: str) -> None:
    """One optional `| ...` part: a duration, a repeat, `course N`, `cap N` or `remind 1m,15m`."""
    word, rest = (part.split(None, 1) + [""])[:2]
    key = word.lower()
    if key == "course":
        draft.course_id = parse_course(rest)
    elif key in ("cap", "capacity", "max", "seats"):
        draft.capacity = parse_capacity(rest)
    elif key in ("remind", "reminders", "reminder"):
        draft.reminder_offsets = parse_offsets(rest)
    elif (minutes := parse_duration(part)) is not None:
        draft.duration_minutes = minutes
    elif (rule := parse_repeat(part)) is not None:
        draft.rrule = rule
    else:
        raise EventError(
            f"I don't understand '{shown(part, 40)}': use a duration (90m), a repeat (weekly), "
            "'course 3', 'cap 20' or 'remind 1h,15m'."
        )


def parse_capacity(raw: str) -> int:
    """`cap N` for /event add and /event edit alike: 1 to MAX_CAPACITY seats."""
    try:
        return parse_int(raw, low=1, high=MAX_CAPACITY)
    except NumberError:
        raise SpecError(
            f"'{shown(raw)}' is not a number of seats: write cap 20 (1 to {MAX_CAPACITY:,})."
        ) from None


def parse_course(raw: str) -> int:
    """`course N` (or `course #N`) for /event add and /event edit alike."""
    try:
        return parse_int(raw, low=1, strip_hash=True)
    except NumberError:
        raise SpecError(f"'{shown(raw)}' is not a course number: write course 3 (see /courses).") from None


def check_repeat(rrule: str | None, starts_at: datetime, tz: str) -> None:
    """A series must happen within a year of its first start, at most once a day (`rules.check_series`)."""
    if not rrule:
        return
    try:
        check_series(rrule, starts_at.astimezone(ZoneInfo(tz)).replace(tzinfo=None))
    except RuleError as e:
        raise EventError(str(e)) from None


def check_start(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise EventError("That time is in the past. Pick a time ahead, e.g. 'tomorrow 8pm'.")
    if starts_at > now + timedelta(days=3 * 366):
        raise EventError("That is more than three years ahead; pick a nearer date.")
