"""Queries behind community signals: message and reaction rows as plain tuples, mentions, backfill, retention.

Every function that reads member data names its group (keyword-only `group_id=`), except `unscored_messages` (the
sentiment backfill, which only writes a score back to the same row); the queries behind `interaction_records`
(`ratings`, `mentions`, `reactions_on_messages`, `rsvps_with_course`, `buddy_matches`) accept `group_id=None`
for model training only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import (
    BuddyMatch,
    BuddyProfile,
    CourseMention,
    Event,
    Group,
    Membership,
    Message,
    Rating,
    Reaction,
    Rsvp,
)


@dataclass(frozen=True)
class MessageRow:
    id: int
    member_id: int
    platform_message_id: str
    sent_at: datetime
    sentiment: float | None
    reply_to_platform_id: str | None


@dataclass(frozen=True)
class ReactionRow:
    reactor_id: int
    # Author of the message reacted to (None when that message is not stored: the bot's, or before the bot joined).
    author_id: int | None
    target_message_id: int | None
    sentiment: float
    created_at: datetime


def group_messages(s: Session, *, group_id: int, since: datetime | None = None) -> list[MessageRow]:
    """Non-command messages of a group, oldest first."""
    q = sa_select(
        col(Message.id),
        col(Message.member_id),
        col(Message.platform_message_id),
        col(Message.sent_at),
        col(Message.sentiment),
        col(Message.reply_to_platform_id),
    ).where(col(Message.group_id) == group_id, col(Message.is_command).is_(False))
    if since is not None:
        q = q.where(col(Message.sent_at) >= since)
    return [MessageRow(*row) for row in s.execute(q.order_by(col(Message.sent_at), col(Message.id)))]


def group_reactions(s: Session, *, group_id: int) -> list[ReactionRow]:
    """Reactions in a group with the author of the message they target (by row id, else by platform id)."""
    q = (
        sa_select(
            col(Reaction.member_id),
            col(Message.member_id),
            col(Message.id),
            col(Reaction.sentiment),
            col(Reaction.created_at),
        )
        .select_from(Reaction)
        .outerjoin(
            Message,
            (col(Message.group_id) == col(Reaction.group_id))
            & (col(Message.platform_message_id) == col(Reaction.platform_message_id)),
        )
        .where(col(Reaction.group_id) == group_id)
    )
    return [ReactionRow(*row) for row in s.execute(q)]


def group_mentions(s: Session, *, group_id: int, since: datetime | None = None) -> list[CourseMention]:
    q = select(CourseMention).where(CourseMention.group_id == group_id)
    if since is not None:
        q = q.where(col(CourseMention.created_at) >= since)
    return list(s.exec(q))


def opted_out_members(s: Session, *, group_id: int) -> set[int]:
    rows = s.exec(
        select(Membership.member_id).where(Membership.group_id == group_id, Membership.opted_out == True)  # noqa: E712
    )
    return set(rows)


def add_course_mention(
    s: Session,
    *,
    group_id: int,
    member_id: int,
    message_id: int,
    course_id: int,
    sentiment: float,
    at: datetime,
) -> CourseMention:
    """Record (or re-score, after an edit) that a message names a course."""
    row = s.exec(
        select(CourseMention).where(
            CourseMention.message_id == message_id, CourseMention.course_id == course_id
        )
    ).first()
    if row is None:
        row = CourseMention(
            group_id=group_id,
            member_id=member_id,
            message_id=message_id,
            course_id=course_id,
            sentiment=sentiment,
            created_at=at,
        )
    else:
        row.sentiment = sentiment
    s.add(row)
    s.flush()
    return row


def unscored_messages(s: Session, *, after_id: int, limit: int) -> list[tuple[int, int, str]]:
    """(group_id, message id, text) of stored texts without a sentiment yet, by id: the startup backfill.

    Texts of members who opted out in the message's group since they were stored are left alone."""
    opted_out = (
        select(Membership.id)
        .where(
            col(Membership.group_id) == col(Message.group_id),
            col(Membership.member_id) == col(Message.member_id),
            col(Membership.opted_out).is_(True),
        )
        .exists()
    )
    q = (
        select(Message.group_id, Message.id, Message.text)
        .where(
            col(Message.sentiment).is_(None),
            col(Message.text).is_not(None),
            col(Message.id) > after_id,
            col(Message.is_command).is_(False),
            ~opted_out,
        )
        .order_by(col(Message.id))
        .limit(limit)
    )
    return [(g, i, t or "") for g, i, t in s.exec(q) if i is not None]


def messages_by_id(s: Session, *, group_id: int, ids: Collection[int]) -> dict[int, Message]:
    """The group's Message rows among `ids`, by id (a message of another group, or deleted, is absent)."""
    if not ids:
        return {}
    q = select(Message).where(Message.group_id == group_id, col(Message.id).in_(list(ids)))
    return {m.id: m for m in s.exec(q) if m.id is not None}


def messages_with_mentions(s: Session, *, group_id: int, ids: Collection[int]) -> set[int]:
    """Which of the group's messages `ids` already have CourseMention rows."""
    if not ids:
        return set()
    q = select(CourseMention.message_id).where(
        CourseMention.group_id == group_id, col(CourseMention.message_id).in_(list(ids))
    )
    return set(s.exec(q))


def retention_by_group(s: Session) -> list[tuple[int, int]]:
    """(group_id, retention days) of every group that set a retention."""
    out = []
    for gid, settings in s.exec(select(Group.id, Group.settings)):
        days = (settings or {}).get("retention_days")
        if isinstance(days, int) and not isinstance(days, bool) and days >= 0 and gid is not None:
            out.append((gid, days))
    return out


def set_retention_days(s: Session, *, group_id: int, days: int | None) -> None:
    """Store the group's retention (`None`: keep text without a limit, the setting is removed)."""
    group = s.get(Group, group_id)
    if group is None:
        raise LookupError(f"no group {group_id}")
    settings = {k: v for k, v in group.settings.items() if k != "retention_days"}
    group.settings = settings if days is None else {**settings, "retention_days": days}
    s.add(group)


def clear_text_before(s: Session, *, group_id: int, before: datetime | None) -> int:
    """Null the text of a group's messages sent before `before` (all with None); derived signals stay."""
    stmt = update(Message).where(col(Message.group_id) == group_id, col(Message.text).is_not(None))
    if before is not None:
        stmt = stmt.where(col(Message.sent_at) < before)
    result = s.exec(stmt.values(text=None))
    return int(result.rowcount or 0)


def ratings(s: Session, *, group_id: int | None, member_ids: Collection[int] | None = None) -> list[Rating]:
    q = select(Rating)
    if group_id is not None:
        q = q.where(Rating.group_id == group_id)
    if member_ids is not None:
        q = q.where(col(Rating.member_id).in_(list(member_ids)))
    return list(s.exec(q.order_by(col(Rating.id))))


def mentions(
    s: Session, *, group_id: int | None, message_ids: Collection[int] | None = None
) -> list[CourseMention]:
    q = select(CourseMention)
    if group_id is not None:
        q = q.where(CourseMention.group_id == group_id)
    if message_ids is not None:
        q = q.where(col(CourseMention.message_id).in_(list(message_ids)))
    return list(s.exec(q.order_by(col(CourseMention.id))))


def reactions_on_messages(
    s: Session, *, group_id: int | None, reactor_ids: Collection[int] | None = None
) -> list[tuple[int, int, int, float, datetime]]:
    """(group_id, reactor member id, target message row id, sentiment, at) of reactions to stored messages."""
    q = sa_select(
        col(Reaction.group_id),
        col(Reaction.member_id),
        col(Message.id),
        col(Reaction.sentiment),
        col(Reaction.created_at),
    ).join(
        Message,
        (col(Message.group_id) == col(Reaction.group_id))
        & (col(Message.platform_message_id) == col(Reaction.platform_message_id)),
    )
    if group_id is not None:
        q = q.where(col(Reaction.group_id) == group_id)
    if reactor_ids is not None:
        q = q.where(col(Reaction.member_id).in_(list(reactor_ids)))
    return [(g, m, i, v, t) for g, m, i, v, t in s.execute(q)]


def rsvps_with_course(
    s: Session, *, group_id: int | None, member_ids: Collection[int] | None = None
) -> list[tuple[int, int, int, str, bool | None, datetime]]:
    """(group_id, member id, course id, status, attended, updated_at) of RSVPs to events tied to a course."""
    q = (
        sa_select(
            col(Rsvp.group_id),
            col(Rsvp.member_id),
            col(Event.course_id),
            col(Rsvp.status),
            col(Rsvp.attended),
            col(Rsvp.updated_at),
        )
        .join(Event, col(Event.id) == col(Rsvp.event_id))
        .where(col(Event.course_id).is_not(None))
    )
    if group_id is not None:
        q = q.where(col(Rsvp.group_id) == group_id)
    if member_ids is not None:
        q = q.where(col(Rsvp.member_id).in_(list(member_ids)))
    return [(g, m, c, st, a, t) for g, m, c, st, a, t in s.execute(q)]


def member_rsvps(s: Session, *, group_id: int) -> list[tuple[int, str, bool | None, datetime]]:
    """(member id, status, attended, updated_at) of every RSVP in a group."""
    q = select(Rsvp.member_id, Rsvp.status, Rsvp.attended, Rsvp.updated_at).where(Rsvp.group_id == group_id)
    return [(m, st, a, t) for m, st, a, t in s.exec(q)]


def buddy_matches(s: Session, *, group_id: int | None) -> list[BuddyMatch]:
    q = select(BuddyMatch)
    if group_id is not None:
        q = q.where(BuddyMatch.group_id == group_id)
    return list(s.exec(q.order_by(col(BuddyMatch.id))))


def buddy_profile(s: Session, *, group_id: int, member_id: int) -> BuddyProfile | None:
    return s.exec(
        select(BuddyProfile).where(BuddyProfile.group_id == group_id, BuddyProfile.member_id == member_id)
    ).first()


def set_message_mentions(
    s: Session, *, message: Message, course_ids: list[int], sentiment: float, at: datetime
) -> None:
    """Make the message's mentions exactly `course_ids` (an edit may drop a course), all with `sentiment`."""
    assert message.id is not None
    for row in s.exec(select(CourseMention).where(CourseMention.message_id == message.id)):
        if row.course_id not in course_ids:
            s.delete(row)
    for course_id in course_ids:
        add_course_mention(
            s,
            group_id=message.group_id,
            member_id=message.member_id,
            message_id=message.id,
            course_id=course_id,
            sentiment=sentiment,
            at=at,
        )
