"""Study-buddy profiles, rounds, matches, check-ins and round plans. Every query of member data names its group."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlmodel import Session, col, or_, select

from common.clock import as_utc
from storage.models import (
    BuddyCheckin,
    BuddyMatch,
    BuddyProfile,
    BuddyRound,
    Group,
    Member,
    Membership,
    Message,
    PlatformAccount,
    Rating,
)

PLAN_KEY = "buddy_rounds"  # Group.settings key of a group's scheduled-round plan


class NewMatch(NamedTuple):
    """One match of a round to store: its members, the reason shown to them and its score."""

    member_ids: Sequence[int]
    reason: str
    score: float


# ---- profiles ---------------------------------------------------------------------------------------------------
def get_profile(s: Session, *, group_id: int, member_id: int) -> BuddyProfile | None:
    return s.exec(
        select(BuddyProfile).where(BuddyProfile.group_id == group_id, BuddyProfile.member_id == member_id)
    ).first()


def upsert_profile(
    s: Session, *, group_id: int, member_id: int, topics: list[str], at: datetime
) -> tuple[BuddyProfile, bool]:
    """Opt a member in (again); returns (profile, created). Re-joining clears a pause."""
    p = get_profile(s, group_id=group_id, member_id=member_id)
    created = p is None
    if p is None:
        p = BuddyProfile(group_id=group_id, member_id=member_id, joined_at=at)
    p.topics, p.active, p.paused_until, p.ignored_checkins = topics, True, None, 0
    s.add(p)
    s.flush()
    return p, created


def save(s: Session, row: BuddyProfile | BuddyCheckin) -> None:
    """Write back a profile or check-in changed by the caller."""
    s.add(row)
    s.flush()


def profiles(s: Session, *, group_id: int) -> list[BuddyProfile]:
    return list(s.exec(select(BuddyProfile).where(BuddyProfile.group_id == group_id)))


def eligible_profiles(s: Session, *, group_id: int, now: datetime) -> list[BuddyProfile]:
    """Opted-in, unpaused profiles of members still in the group (left members are never matched)."""
    rows = s.exec(
        select(BuddyProfile)
        .join(
            Membership,
            (col(Membership.member_id) == col(BuddyProfile.member_id))
            & (col(Membership.group_id) == col(BuddyProfile.group_id)),
        )
        .where(
            BuddyProfile.group_id == group_id,
            BuddyProfile.active == True,  # noqa: E712
            Membership.active == True,  # noqa: E712
            Membership.opted_out == False,  # noqa: E712
        )
        .order_by(col(BuddyProfile.member_id))
    )
    return [p for p in rows if p.paused_until is None or as_utc(p.paused_until) <= now]


def set_waiting(s: Session, *, group_id: int, member_ids: Sequence[int], since: datetime | None) -> None:
    """Put members on the /buddy me waiting list (`since`) or take them off it (None)."""
    if not member_ids:
        return
    rows = s.exec(
        select(BuddyProfile).where(
            BuddyProfile.group_id == group_id, col(BuddyProfile.member_id).in_(list(member_ids))
        )
    )
    for p in rows:
        p.waiting_since = since
        s.add(p)
    s.flush()


# ---- members as matching sees them ----------------------------------------------------------------------------
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


def timezones(s: Session, *, group_id: int, member_ids: Sequence[int]) -> dict[int, str | None]:
    """Members' own time zones (None: not set), for members of this group only."""
    if not member_ids:
        return {}
    rows = s.exec(
        select(Member.id, Member.timezone)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group_id, col(Member.id).in_(list(member_ids)))
    )
    return {int(i): tz for i, tz in rows if i is not None}


def member_timezone(s: Session, *, group_id: int, member_id: int) -> str | None:
    return timezones(s, group_id=group_id, member_ids=[member_id]).get(member_id)


def set_member_timezone(s: Session, *, group_id: int, member_id: int, timezone: str) -> bool:
    """Store a member's time zone (theirs in every group); False when they are not a member of this group."""
    member = s.exec(
        select(Member)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group_id, Member.id == member_id)
    ).first()
    if member is None:
        return False
    member.timezone = timezone
    s.add(member)
    s.flush()
    return True


def accounts_on(
    s: Session, *, group_id: int, member_ids: Sequence[int], platform: str
) -> dict[int, PlatformAccount]:
    """member id -> their account on `platform`, for members of this group (one query)."""
    if not member_ids:
        return {}
    rows = s.exec(
        select(PlatformAccount)
        .join(Membership, col(Membership.member_id) == col(PlatformAccount.member_id))
        .where(
            Membership.group_id == group_id,
            PlatformAccount.platform == platform,
            col(PlatformAccount.member_id).in_(list(member_ids)),
        )
        .order_by(col(PlatformAccount.id))
    )
    out: dict[int, PlatformAccount] = {}
    for acc in rows:
        out.setdefault(acc.member_id, acc)
    return out


def recent_messages(
    s: Session, *, group_id: int, member_ids: Sequence[int], since: datetime
) -> list[tuple[int, datetime, str | None]]:
    """(member_id, sent_at, text) of non-command messages in this group since `since`."""
    if not member_ids:
        return []
    rows = s.exec(
        select(Message.member_id, Message.sent_at, Message.text)
        .where(
            Message.group_id == group_id,
            Message.is_command == False,  # noqa: E712
            col(Message.sent_at) >= since,
            col(Message.member_id).in_(list(member_ids)),
        )
        .order_by(col(Message.sent_at).desc())
    )
    return [(int(m), t, x) for m, t, x in rows]


def liked_course_ids(
    s: Session, *, group_id: int, member_ids: Sequence[int], min_value: float = 4.0
) -> list[tuple[int, int]]:
    """(member_id, course_id) of explicit ratings >= min_value in this group."""
    if not member_ids:
        return []
    rows = s.exec(
        select(Rating.member_id, Rating.course_id).where(
            Rating.group_id == group_id,
            Rating.source == "rate",
            col(Rating.value) >= min_value,
            col(Rating.member_id).in_(list(member_ids)),
        )
    )
    return [(int(m), int(c)) for m, c in rows]


def rated_course_ids(s: Session, *, group_id: int, member_ids: Sequence[int]) -> dict[int, set[int]]:
    """member -> course ids they rated (any score) in this group, in one query."""
    out: dict[int, set[int]] = {}
    if not member_ids:
        return out
    rows = s.exec(
        select(Rating.member_id, Rating.course_id).where(
            Rating.group_id == group_id, Rating.source == "rate", col(Rating.member_id).in_(list(member_ids))
        )
    )
    for m, c in rows:
        out.setdefault(int(m), set()).add(int(c))
    return out


# ---- rounds and matches ---------------------------------------------------------------------------------------
def create_round(s: Session, *, group_id: int, kind: str, algorithm: str, at: datetime) -> BuddyRound:
    r = BuddyRound(group_id=group_id, kind=kind, algorithm=algorithm[:32], created_at=at)
    s.add(r)
    s.flush()
    return r


def last_round(s: Session, *, group_id: int, kind: str = "round") -> BuddyRound | None:
    return s.exec(
        select(BuddyRound)
        .where(BuddyRound.group_id == group_id, BuddyRound.kind == kind)
        .order_by(col(BuddyRound.created_at).desc(), col(BuddyRound.id).desc())
    ).first()


def add_matches(
    s: Session,
    *,
    group_id: int,
    round_id: int,
    matches: Sequence[NewMatch],
    at: datetime,
    checkin_due: datetime,
) -> list[int]:
    """Store a round's matches and one check-in per matched member; returns the match ids in order.

    One flush for all matches (ids for the check-ins), one for all check-ins: large rounds stay fast.
    """
    rows = [
        BuddyMatch(
            group_id=group_id,
            round_id=round_id,
            member_ids=list(m.member_ids),
            reason=m.reason[:1000],
            score=m.score,
            created_at=at,
        )
        for m in matches
    ]
    s.add_all(rows)
    s.flush()
    ids = [_id(row) for row in rows]
    s.add_all(
        [
            BuddyCheckin(group_id=group_id, match_id=match_id, member_id=member, due_at=checkin_due)
            for match_id, m in zip(ids, matches, strict=True)
            for member in m.member_ids
        ]
    )
    s.flush()
    return ids


def _id(row: BuddyMatch) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id


def matches(
    s: Session, *, group_id: int, limit: int | None = None, since: datetime | None = None
) -> list[BuddyMatch]:
    """Matches of the group, newest first."""
    q = (
        select(BuddyMatch)
        .where(BuddyMatch.group_id == group_id)
        .order_by(col(BuddyMatch.created_at).desc(), col(BuddyMatch.id).desc())
    )
    if since is not None:
        q = q.where(col(BuddyMatch.created_at) >= since)
    if limit is not None:
        q = q.limit(limit)
    return list(s.exec(q))


def get_match(s: Session, *, group_id: int, match_id: int) -> BuddyMatch | None:
    m = s.get(BuddyMatch, match_id)
    return m if m is not None and m.group_id == group_id else None


# ---- check-ins ------------------------------------------------------------------------------------------------
def get_checkin(s: Session, *, group_id: int, checkin_id: int) -> BuddyCheckin | None:
    c = s.get(BuddyCheckin, checkin_id)
    return c if c is not None and c.group_id == group_id else None


def checkins(s: Session, *, group_id: int, member_id: int | None = None) -> list[BuddyCheckin]:
    """Check-ins of the group (of one member with `member_id`), oldest first."""
    q = select(BuddyCheckin).where(BuddyCheckin.group_id == group_id)
    if member_id is not None:
        q = q.where(BuddyCheckin.member_id == member_id)
    return list(s.exec(q.order_by(col(BuddyCheckin.id))))


def groups_with_open_checkins(s: Session) -> list[int]:
    """Ids of the groups with check-ins not yet asked or not yet answered (the poller's groups to look at)."""
    rows = s.exec(
        select(BuddyCheckin.group_id)
        .where(or_(col(BuddyCheckin.asked_at).is_(None), col(BuddyCheckin.answer).is_(None)))
        .distinct()
        .order_by(col(BuddyCheckin.group_id))
    )
    return [int(g) for g in rows]


def due_checkins(s: Session, *, group_id: int, now: datetime, limit: int = 500) -> list[BuddyCheckin]:
    """Check-ins of the group due and not asked yet."""
    return list(
        s.exec(
            select(BuddyCheckin)
            .where(
                BuddyCheckin.group_id == group_id,
                col(BuddyCheckin.asked_at).is_(None),
                col(BuddyCheckin.due_at) <= now,
            )
            .order_by(col(BuddyCheckin.due_at), col(BuddyCheckin.id))
            .limit(limit)
        )
    )


def unanswered_asked_before(
    s: Session, *, group_id: int, before: datetime, limit: int = 500
) -> list[BuddyCheckin]:
    """Check-ins of the group asked before `before` and still without an answer: these count as ignored."""
    return list(
        s.exec(
            select(BuddyCheckin)
            .where(
                BuddyCheckin.group_id == group_id,
                col(BuddyCheckin.asked_at).is_not(None),
                col(BuddyCheckin.answer).is_(None),
                col(BuddyCheckin.asked_at) <= before,
            )
            .order_by(col(BuddyCheckin.asked_at), col(BuddyCheckin.id))
            .limit(limit)
        )
    )


# ---- round plans (Group.settings) ------------------------------------------------------------------------------
def round_plan(s: Session, *, group_id: int) -> dict[str, Any] | None:
    """The group's stored plan for scheduled rounds (None: not scheduled)."""
    group = s.get(Group, group_id)
    plan = group.settings.get(PLAN_KEY) if group is not None else None
    return dict(plan) if plan else None


def set_round_plan(s: Session, *, group_id: int, plan: dict[str, Any] | None) -> bool:
    """Store (or with None remove) the group's round plan; False when the group does not exist."""
    group = s.get(Group, group_id)
    if group is None:
        return False
    settings = {k: v for k, v in group.settings.items() if k != PLAN_KEY}
    if plan is not None:
        settings[PLAN_KEY] = plan
    group.settings = settings
    s.add(group)
    s.flush()
    return True


def round_plans(s: Session) -> list[tuple[int, dict[str, Any]]]:
    """(group id, plan) of every group with scheduled rounds (re-created as jobs at start)."""
    out: list[tuple[int, dict[str, Any]]] = []
    for g in s.exec(select(Group).order_by(col(Group.id))):
        plan = g.settings.get(PLAN_KEY)
        if plan and g.id is not None:
            out.append((g.id, dict(plan)))
    return out
