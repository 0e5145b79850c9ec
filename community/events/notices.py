"""Plain data for the messages the events feature asks the bot to send: a reminder (to the group, or directly to
one member going) and a direct notice (a freed seat after /forget). The bot renders and pushes them; nothing here
knows a chat type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class GroupChat:
    """The group's chat on its platform."""

    group_id: int
    platform: str
    chat_id: str
    title: str


@dataclass(frozen=True)
class Recipient:
    """A member to tell directly, by their account on the group's platform."""

    member_id: int
    platform: str
    user_id: str
    display_name: str  # the name they use now, else the account's
    timezone: str  # the zone they read times in (their own when valid, else the group's)
    username: str | None = None


@dataclass(frozen=True)
class ReminderNotice:
    """One reminder message: the group post (`to` is None, listing who is going) or one member's direct message."""

    reminder_id: int
    event_id: int
    title: str
    starts_at: datetime  # the occurrence this reminder is for (UTC)
    timezone: str  # the group's zone (the group post reads in it; a direct one in `to.timezone`)
    as_of: datetime  # the time "starts in N min" is counted from
    group: GroupChat
    channel_id: str | None  # where the event's card lives (a Discord channel), None: the group's chat
    going: tuple[str, ...]  # names of the members going, in the order they answered
    to: Recipient | None = None


@dataclass(frozen=True)
class SeatNotice:
    """A waitlisted member moved up to 'going' (a seat freed after /forget): tell them directly."""

    group: GroupChat
    event_id: int
    title: str
    starts_at: datetime  # the next occurrence (UTC), shown in `to.timezone`
    channel_id: str | None
    to: Recipient
