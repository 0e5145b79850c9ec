"""Events as chat text: the draft to confirm, the event card and its buttons, details, the upcoming list, and the
notices the feature pushes (reminders, a freed seat, a cancellation, a move). Plain data in, RichText/Reply out."""

from __future__ import annotations

from datetime import datetime

from bot.text import RichText, T, bold, code
from bot.types import Button, Chat, ChatUser, Reply
from common.text import clip
from community.events.drafts import EventDraft
from community.events.notices import GroupChat, Recipient, ReminderNotice, SeatNotice
from community.events.service import Edited
from community.events.timeparse import describe_rrule, format_offset, format_when
from community.events.views import EventCard, EventDetails, Upcoming
from community.members.timezones import zone_label

MAX_NAMES = 30  # names listed on a reminder post or the details before "and N more"
MAX_UPCOMING = 15


def offsets_label(offsets: tuple[int, ...] | list[int]) -> str:
    if not offsets:
        return "no reminders"
    return "reminders " + ", ".join(format_offset(o) for o in offsets) + " before"


def draft_summary(d: EventDraft, offsets: tuple[int, ...], zone: str) -> RichText:
    """The echo of `/event add`, its times in the owner's `zone` (and in the group's, where the event's times are
    read, when that differs)."""
    lines: list[RichText | str] = [
        T("New event: ", bold(d.title)),
        T(
            format_when(d.starts_at, zone),
            ", ",
            describe_rrule(d.rrule),
            f" · {d.duration_minutes} min",
        ),
    ]
    if format_when(d.starts_at, zone) != format_when(d.starts_at, d.timezone):
        lines.append(f"In the group's time: {format_when(d.starts_at, d.timezone)}")
    lines += [
        offsets_label(offsets)
        + (f" · {d.capacity} seat{'s' if d.capacity != 1 else ''}" if d.capacity else "")
        + (f" · course #{d.course_id}" if d.course_id else ""),
        "Save it?",
    ]
    return RichText.join(lines)


def confirm_buttons(pending_id: int) -> list[list[Button]]:
    return [[Button("✔ Save", f"evadd:ok:{pending_id}"), Button("✖ Discard", f"evadd:no:{pending_id}")]]


def _when_line(card: EventCard) -> str:
    return (
        f"{format_when(card.next_start, card.timezone)} · {card.duration_minutes} min · "
        f"{describe_rrule(card.rrule)}"
    )


def _course_line(card: EventCard) -> RichText:
    if card.course is None:
        return T("no course")
    return T("Course: ", bold(clip(card.course.title, 120)), f" (#{card.course.course_id})")


def _tally(card: EventCard) -> str:
    seat = f" of {card.capacity}" if card.capacity else ""
    tally = f"✅ {card.going}{seat} going · 🤔 {card.maybe} maybe · ❌ {card.not_going} not going"
    if card.waitlist:
        tally += f" · ⏳ {card.waitlist} on the waitlist"
    return tally


def card_text(card: EventCard) -> RichText:
    if card.status == "cancelled":
        return T("❌ ", bold(clip(card.title, 200)), f" (#{card.event_id}) was cancelled.")
    lines: list[RichText | str] = [
        T("📅 ", bold(clip(card.title, 200)), f" (#{card.event_id})"),
        _when_line(card),
    ]
    if card.course is not None:
        lines.append(_course_line(card))
    lines.append(_tally(card))
    lines.append(offsets_label(card.offsets))
    return RichText.join(lines)


def edit_summary(e: Edited) -> RichText:
    """The answer to `/event edit`: what changed, in one line (the card itself is edited in place)."""
    card = e.card
    change: RichText | str
    if e.field == "when":
        change = f"moved to {format_when(card.next_start, card.timezone)}."
    elif e.field == "duration":
        change = f"{card.duration_minutes} min."
    elif e.field == "repeat":
        change = f"{describe_rrule(card.rrule)}, next on {format_when(card.next_start, card.timezone)}."
    elif e.field == "cap":
        moved_up = f" · {len(e.promoted)} moved up from the waitlist" if e.promoted else ""
        change = f"{_tally(card)}{moved_up}."
    elif e.field == "remind":
        change = offsets_label(card.offsets) + "."
    elif e.field == "course":
        change = T(_course_line(card), ".")
    else:
        change = "new title."
    return T("Updated ", bold(clip(card.title, 200)), f" (#{card.event_id}): ", change)


def rsvp_buttons(event_id: int) -> list[list[Button]]:
    return [
        [
            Button("✅ Going", f"rsvp:{event_id}:g"),
            Button("🤔 Maybe", f"rsvp:{event_id}:m"),
            Button("❌ Not going", f"rsvp:{event_id}:n"),
        ]
    ]


def card_buttons(card: EventCard) -> list[list[Button]]:
    return rsvp_buttons(card.event_id) if card.status == "scheduled" else []


def _names(names: tuple[str, ...]) -> str:
    shown = [clip(n or "someone", 64) for n in names]
    more = f" and {len(shown) - MAX_NAMES} more" if len(shown) > MAX_NAMES else ""
    return ", ".join(shown[:MAX_NAMES]) + more


def details_text(details: EventDetails) -> RichText:
    lines: list[RichText | str] = [card_text(details.card)]
    for label, names in (("Going", details.going), ("Maybe", details.maybe), ("Waitlist", details.waitlist)):
        if names:
            lines.append(T(f"{label}: ", _names(names)))
    if details.card.status == "scheduled":
        lines.append(T("Calendar file: ", code(f"/event {details.card.event_id} ics")))
    return RichText.join(lines)


def upcoming_text(up: Upcoming) -> RichText:
    if not up.events:
        return T("No upcoming sessions. Owners add one with ", code("/event add Title | tomorrow 8pm"), ".")
    lines: list[RichText | str] = [T(bold("Upcoming sessions"), f" (times in {zone_label(up.timezone)})")]
    for e in up.events[:MAX_UPCOMING]:
        lines.append(
            T(
                f"#{e.event_id} ",
                bold(clip(e.title, 80)),
                f" — {format_when(e.next_start, up.timezone)}"
                f"{' · ' + describe_rrule(e.rrule) if e.rrule else ''} · {e.going} going",
            )
        )
    if len(up.events) > MAX_UPCOMING:
        lines.append(f"…and {len(up.events) - MAX_UPCOMING} more.")
    lines.append(T("Details: ", code("/event ID"), " · calendar: ", code("/event ID ics")))
    return RichText.join(lines)


# ---- notices --------------------------------------------------------------------------------------------------
def chat_of(group: GroupChat) -> Chat:
    return Chat(platform=group.platform, chat_id=group.chat_id, kind="group", title=group.title)


def user_of(to: Recipient) -> ChatUser:
    return ChatUser(
        platform=to.platform, user_id=to.user_id, display_name=to.display_name, username=to.username
    )


def until_text(start: datetime, now: datetime) -> str:
    minutes = round((start - now).total_seconds() / 60)
    if minutes <= 0:
        return "has started" if minutes > -2 else f"started {-minutes} min ago"
    if minutes < 90:
        return f"starts in {minutes} min"
    hours = round(minutes / 60)
    return f"starts in {hours} hours" if hours < 36 else f"starts in {round(hours / 24)} days"


def reminder_text(n: ReminderNotice) -> RichText:
    until = until_text(n.starts_at, n.as_of)
    if n.to is not None:  # a direct message reads in the member's own zone
        when = format_when(n.starts_at, n.to.timezone)
        return T("⏰ ", bold(clip(n.title, 200)), f" {until} ({when}). You said you're going.")
    head = T("⏰ Reminder: ", bold(clip(n.title, 200)), f" {until} ({format_when(n.starts_at, n.timezone)}).")
    if n.going:
        body = T(f"Going ({len(n.going)}): ", _names(n.going))
    else:
        body = T("Nobody has said they're going yet — ", bold("/event " + str(n.event_id)), " to join.")
    return RichText.join([head, body])


def reminder_reply(n: ReminderNotice) -> Reply:
    return Reply(
        chat=chat_of(n.group),
        text=reminder_text(n),
        direct_to=user_of(n.to) if n.to is not None else None,
        reply_channel_id=n.channel_id,
    )


def seat_freed_text(title: str, starts_at: datetime, zone: str) -> RichText:
    return T(
        "🎉 A seat freed up: you're now going to ",
        bold(clip(title, 200)),
        f" ({format_when(starts_at, zone)}).",
    )


def seat_reply(n: SeatNotice) -> Reply:
    return Reply(
        chat=chat_of(n.group),
        text=seat_freed_text(n.title, n.starts_at, n.to.timezone),
        direct_to=user_of(n.to),
        reply_channel_id=n.channel_id,
    )


def cancelled_text(title: str, starts_at: datetime, timezone: str) -> RichText:
    return T("❌ ", bold(clip(title, 200)), f" ({format_when(starts_at, timezone)}) was cancelled.")


def moved_text(title: str, starts_at: datetime, timezone: str) -> RichText:
    return T("🕑 ", bold(clip(title, 200)), f" moved to {format_when(starts_at, timezone)}.")
