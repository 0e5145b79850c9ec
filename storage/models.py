"""All tables of the community store.

Ownership: `Course` rows belong to the deployment and are shared by all its groups. Everything about members
(messages, reactions, ratings, events, RSVPs, buddy data, reminders) carries a `group_id`, and every query in
`storage.crud` names it: one group never sees another group's rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime


def _now() -> datetime:
    return datetime.now(UTC)


ROLES = ("member", "admin", "owner")


class Group(SQLModel, table=True):
    """A chat on a platform (Telegram group, Discord guild, console room)."""

    __table_args__ = (UniqueConstraint("platform", "platform_chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    platform_chat_id: str = Field(max_length=64)
    title: str = Field(default="", max_length=256)
    timezone: str = Field(default="UTC", max_length=64)
    # Group settings: retention_days (None keeps text forever, 0 keeps none), reminder_offsets (minutes), ...
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class Member(SQLModel, table=True):
    """One person. May hold accounts on several platforms (linked with /link)."""

    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(default="", max_length=128)
    timezone: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class PlatformAccount(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    platform: str = Field(max_length=16)
    platform_user_id: str = Field(max_length=64)
    username: str | None = Field(default=None, max_length=128)
    display_name: str = Field(default="", max_length=128)
    # Whether the platform let us send this account a direct message (None: unknown yet).
    can_dm: bool | None = None


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("group_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    role: str = Field(default="member", max_length=16)
    active: bool = True
    opted_out: bool = False
    reminders_muted: bool = False
    joined_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))
    left_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Message(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("group_id", "platform_message_id"),
        Index("ix_message_group_sent", "group_id", "sent_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    platform_message_id: str = Field(max_length=64)
    reply_to_platform_id: str | None = Field(default=None, max_length=64)
    sent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # None once retention removed it (or when the group keeps no text); derived signals stay.
    text: str | None = None
    text_length: int = 0
    is_command: bool = False
    sentiment: float | None = None
    sentiment_label: str | None = Field(default=None, max_length=16)


class Reaction(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("group_id", "platform_message_id", "member_id", "emoji"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    platform_message_id: str = Field(max_length=64)
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    emoji: str = Field(max_length=64)
    sentiment: float = 0.0
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class Course(SQLModel, table=True):
    """A course of the deployment's catalogue (shared by all groups)."""

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, max_length=64, unique=True)
    title: str = Field(max_length=200, index=True)
    description: str = Field(default="", max_length=4000)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    level: str = Field(default="beginner", max_length=32)
    url: str | None = Field(default=None, max_length=500)
    price: float = 0.0
    currency: str = Field(default="USD", max_length=8)
    language: str = Field(default="en", max_length=16)
    active: bool = True
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def is_free(self) -> bool:
        return self.price <= 0


class Rating(SQLModel, table=True):
    """Explicit 1–5 ratings (source "rate") and implicit signals (mention, reaction, rsvp, feedback, ...)."""

    __table_args__ = (
        UniqueConstraint("group_id", "member_id", "course_id", "source"),
        Index("ix_rating_group_course", "group_id", "course_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    course_id: int = Field(foreign_key="course.id")
    value: float
    kind: str = Field(default="explicit", max_length=16)  # explicit | implicit
    source: str = Field(default="rate", max_length=32)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    timezone: str = Field(default="UTC", max_length=64)
    duration_minutes: int = 60
    rrule: str | None = Field(default=None, max_length=500)
    course_id: int | None = Field(default=None, foreign_key="course.id")
    capacity: int | None = None
    # Minutes before start; None means the group's default.
    reminder_offsets: list[int] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    status: str = Field(default="scheduled", max_length=16)  # scheduled | cancelled
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="member.id")
    # Where the event card was posted, so RSVP counts can be edited in place.
    card_chat_id: str | None = Field(default=None, max_length=64)
    card_message_id: str | None = Field(default=None, max_length=64)
    card_channel_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class Rsvp(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    status: str = Field(max_length=16)  # going | maybe | no | waitlist
    attended: bool | None = None
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class Reminder(SQLModel, table=True):
    """One reminder of one occurrence. Claimed in the database so that exactly one process sends it."""

    __table_args__ = (
        UniqueConstraint("event_id", "occurrence_start", "offset_minutes"),
        Index("ix_reminder_status_fire", "status", "fire_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    occurrence_start: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    offset_minutes: int
    fire_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    event_version: int = 1
    status: str = Field(default="pending", max_length=16)  # pending | claimed | sent | skipped | cancelled
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class BuddyProfile(SQLModel, table=True):
    """A member's study-buddy opt-in in one group."""

    __table_args__ = (UniqueConstraint("group_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    active: bool = True
    paused_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    waiting_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    ignored_checkins: int = 0
    joined_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class BuddyRound(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    kind: str = Field(default="round", max_length=16)  # round | on_demand
    algorithm: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class BuddyMatch(SQLModel, table=True):
    """A pair (or a group of three) from one round."""

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    round_id: int = Field(foreign_key="buddyround.id", index=True)
    member_ids: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    reason: str = Field(default="", max_length=1000)
    score: float = 0.0
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class BuddyCheckin(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("match_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    match_id: int = Field(foreign_key="buddymatch.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    asked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    answer: str | None = Field(default=None, max_length=16)  # met | not_met | skip
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class PendingAction(SQLModel, table=True):
    """A confirmation waiting for a button press (/forget, /event add). Stored, so restarts lose nothing."""

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    action: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class LinkCode(SQLModel, table=True):
    """A one-time code that links a member's accounts across platforms."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class ModelVersion(SQLModel, table=True):
    """A trained recommender artefact and the data fingerprint it was trained on."""

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(max_length=500)
    scope: str = Field(default="all", max_length=64)  # "all" or a group id
    fingerprint: str = Field(max_length=64)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class ModelRetrainRequest(SQLModel, table=True):
    """A retrain the saved models owe the store (a member used /forget): the next training runs whatever the
    data fingerprint says, then deletes the older versions. Deliberately names no member and no group."""

    id: int | None = Field(default=None, primary_key=True)
    reason: str = Field(default="forget", max_length=32)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class CourseMention(SQLModel, table=True):
    """A course named in a stored message (signals): who, which message, and the message's sentiment."""

    __table_args__ = (UniqueConstraint("message_id", "course_id"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    sentiment: float = 0.0
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


# Tables whose rows belong to one member in one group: /forget deletes from each of these.
MEMBER_SCOPED_TABLES: tuple[type[SQLModel], ...] = (
    Message,
    Reaction,
    Rating,
    Rsvp,
    BuddyProfile,
    BuddyCheckin,
    PendingAction,
    Membership,
    CourseMention,
)
