"""Study-buddy profiles, rounds, matches and check-ins. Every function names its group."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import (
    BuddyCheckin,
    BuddyMatch,
    BuddyProfile,
    BuddyRound,
    Member,
    Membership,
    Message,
    Rating,
)


def get_profile(s: Session, *, group_id: int, member_id: int) -> BuddyProfile | None:
    return s.exec(
        select(BuddyProfile).where(BuddyProfile.group_id == group_id, BuddyProfile.member_id == member_id)
    ).first()


def upsert_profile(s: Session, *, group_id: int, member_id: int, topics: list[str], at: datetime) -> tuple[BuddyProfile, bool]:
    """Opt a member in (again); returns (profile, created). Re-joining clears a pause."""
    p = get_profile(s, group_id=group_id, member_id=member_id)
    created = p is None
    if p is None:
        p = BuddyProfile(group_id=group_id, member_id=member_id, joined_at=at)
    p.topics, p.active, p.paused_until, p.ignored_checkins = topics, True, None, 0
    s.add(p)
    s.flush()
    return p, created


def save(s: Session, row: object) -> None:
    s.add(row)
    s.flush()


def eligible_profiles(s: Session, *, group_id: int, now: datetime) -> list[BuddyProfile]:
    """Opted-in, unpaused profiles of members still in the group (left members are never matched)."""
    rows = s.exec(
        select(BuddyProfile)
        .join(Membership, (col(Membership.member_id) == col(BuddyProfile.member_id))
              & (col(Membership.group_id) == col(BuddyProfile.group_id)))
        .where(BuddyProfile.group_id == group_id, BuddyProfile.active == True,  # noqa: E712
               Membership.active == True, Membership.opted_out == False)  # noqa: E712
        .order_by(col(BuddyProfile.member_id))
    )
    return [p for p in rows if p.paused_until is None or _aware(p.paused_until) <= now]


def _aware(dt: datetime) -> datetime:
    from common.clock import as_utc

    return as_utc(dt)


def names(s: Session, *, group_id: int, member_ids: Sequence[int]) -> dict[int, str]:
    """Display names of members of this group only."""
    if not member_ids:
        return {}
    rows = s.exec(
        select(Member.id, Member.display_name)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group_id, col(Member.id).in_(list(member_ids)))
    )
    return {int(i): n for i, n in rows if i is not None}


def timezones(s: Session, *, member_ids: Sequence[int]) -> dict[int, str | None]:
    if not member_ids:
        return {}
    rows = s.exec(select(Member.id, Member.timezone).where(col(Member.id).in_(list(member_ids))))
    return {int(i): tz for i, tz in rows if i is not None}


def recent_messages(s: Session, *, group_id: int, member_ids: Sequence[int], since: datetime
                    ) -> list[tuple[int, datetime, str | None]]:
    """(member_id, sent_at, text) of non-command messages in this group since `since`."""
    if not member_ids:
        return []
    rows = s.exec(
        select(Message.member_id, Message.sent_at, Message.text)
        .where(Message.group_id == group_id, Message.is_command == False,  # noqa: E712
               col(Message.sent_at) >= since, col(Message.member_id).in_(list(member_ids)))
        .order_by(col(Message.sent_at).desc())
    )
    return [(int(m), t, x) for m, t, x in rows]


def liked_course_ids(s: Session, *, group_id: int, member_ids: Sequence[int], min_value: float = 4.0
                     ) -> list[tuple[int, int]]:
    """(member_id, course_id) of explicit ratings >= min_value in this group."""
    if not member_ids:
        return []
    rows = s.exec(
        select(Rating.member_id, Rating.course_id)
        .where(Rating.group_id == group_id, Rating.source == "rate", col(Rating.value) >= min_value,
               col(Rating.member_id).in_(list(member_ids)))
    )
    return [(int(m), int(c)) for m, c in rows]


def create_round(s: Session, *, group_id: int, kind: str, algorithm: str, at: datetime) -> BuddyRound:
    r = BuddyRound(group_id=group_id, kind=kind, algorithm=algorithm[:32], created_at=at)
    save(s, r)
    return r


def last_round(s: Session, *, group_id: int, kind: str = "round") -> BuddyRound | None:
    return s.exec(
        select(BuddyRound).where(BuddyRound.group_id == group_id, BuddyRound.kind == kind)
        .order_by(col(BuddyRound.created_at).desc(), col(BuddyRound.id).desc())
    ).first()


def add_match(s: Session, *, group_id: int, round_id: int, member_ids: list[int], reason: str, score: float,
              at: datetime) -> BuddyMatch:
    m = BuddyMatch(group_id=group_id, round_id=round_id, member_ids=member_ids, reason=reason[:1000], score=score,
                   created_at=at)
    save(s, m)
    return m


def matches(s: Session, *, group_id: int, limit: int | None = None, since: datetime | None = None
            ) -> list[BuddyMatch]:
    """Matches of the group, newest first."""
    q = select(BuddyMatch).where(BuddyMatch.group_id == group_id).order_by(
        col(BuddyMatch.created_at).desc(), col(BuddyMatch.id).desc())
    if since is not None:
        q = q.where(col(BuddyMatch.created_at) >= since)
    if limit is not None:
        q = q.limit(limit)
    return list(s.exec(q))


def get_match(s: Session, *, group_id: int, match_id: int) -> BuddyMatch | None:
    m = s.get(BuddyMatch, match_id)
    return m if m is not None and m.group_id == group_id else None


def add_checkin(s: Session, *, group_id: int, match_id: int, member_id: int, due_at: datetime) -> BuddyCheckin:
    c = BuddyCheckin(group_id=group_id, match_id=match_id, member_id=member_id, due_at=due_at)
    save(s, c)
    return c


def get_checkin(s: Session, *, group_id: int, checkin_id: int) -> BuddyCheckin | None:
    c = s.get(BuddyCheckin, checkin_id)
    return c if c is not None and c.group_id == group_id else None


def due_checkins(s: Session, *, now: datetime, limit: int = 500) -> list[BuddyCheckin]:
    """Check-ins due and not asked yet, in every group (the poller's work list)."""
    return list(s.exec(
        select(BuddyCheckin).where(col(BuddyCheckin.asked_at).is_(None), col(BuddyCheckin.due_at) <= now)
        .order_by(col(BuddyCheckin.due_at)).limit(limit)
    ))


def unanswered_asked_before(s: Session, *, before: datetime, limit: int = 500) -> list[BuddyCheckin]:
    """Asked check-ins without an answer since before `before`: these count as ignored."""
    return list(s.exec(
        select(BuddyCheckin).where(col(BuddyCheckin.asked_at).is_not(None), col(BuddyCheckin.answer).is_(None),
                                   col(BuddyCheckin.asked_at) <= before)
        .order_by(col(BuddyCheckin.asked_at)).limit(limit)
    ))


def checkins(s: Session, *, group_id: int) -> list[BuddyCheckin]:
    return list(s.exec(select(BuddyCheckin).where(BuddyCheckin.group_id == group_id).order_by(col(BuddyCheckin.id))))


def profiles(s: Session, *, group_id: int) -> list[BuddyProfile]:
    return list(s.exec(select(BuddyProfile).where(BuddyProfile.group_id == group_id)))


def rated_course_ids(s: Session, *, group_id: int, member_ids: Sequence[int]) -> dict[int, set[int]]:
    """member -> course ids they rated (any score) in this group, in one query."""
    out: dict[int, set[int]] = {}
    if not member_ids:
        return out
    rows = s.exec(select(Rating.member_id, Rating.course_id).where(
        Rating.group_id == group_id, Rating.source == "rate", col(Rating.member_id).in_(list(member_ids))))
    for m, c in rows:
        out.setdefault(int(m), set()).add(int(c))
    return out
