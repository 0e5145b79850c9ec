"""/me and /leaderboard as data: one member's report and a group's ranking (the bot words and formats them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from community.buddies.status import BuddyState, BuddyStatus, buddy_status
from community.signals.activity import (
    WINDOWS,
    ActivitySignals,
    WindowStats,
    leaderboard_score,
    member_activity,
)
from storage.crud import core as core_crud
from storage.crud import courses as courses_crud

__all__ = [
    "LEADERBOARD_SIZE",
    "BuddyState",
    "LeaderboardEntry",
    "MemberReport",
    "RatedCourse",
    "leaderboard",
    "member_report",
]

LEADERBOARD_SIZE = 10
REPORT_RATINGS = 5


@dataclass(frozen=True)
class RatedCourse:
    title: str  # "?" when the course is no longer in the catalogue
    value: float


@dataclass(frozen=True)
class MemberReport:
    """What /me shows: the member's activity, latest explicit ratings, buddy status and opt-out."""

    activity: ActivitySignals
    ratings: tuple[RatedCourse, ...]
    buddy: BuddyStatus  # the same status /buddy status shows (`buddy.state` sums it up)
    opted_out: bool


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    member_id: int
    name: str | None  # the name the member uses in this group, None when unknown
    score: float
    stats: WindowStats  # the counts of the ranked period


def member_report(s: Session, *, group_id: int, member_id: int, now: datetime) -> MemberReport:
    """One member's /me report in one group."""
    mine = member_activity(s, group_id=group_id, now=now).get(member_id) or ActivitySignals.none(member_id)
    ratings = courses_crud.member_ratings(s, group_id=group_id, member_id=member_id)[:REPORT_RATINGS]
    rated = tuple(
        RatedCourse(
            title=c.title if (c := courses_crud.get_course(s, course_id=r.course_id)) else "?", value=r.value
        )
        for r in ratings
    )
    membership = core_crud.get_membership(s, group_id=group_id, member_id=member_id)
    return MemberReport(
        activity=mine,
        ratings=rated,
        buddy=buddy_status(s, group_id=group_id, member_id=member_id, now=now),
        opted_out=membership is not None and membership.opted_out,
    )


def leaderboard(
    s: Session, *, group_id: int, period: str, now: datetime, size: int = LEADERBOARD_SIZE
) -> list[LeaderboardEntry]:
    """The top `size` current members of a group by `leaderboard_score` over `period` (week, month or all).

    Members who opted out or left never appear, nor does anyone without a positive score.
    """
    if period not in WINDOWS:
        raise ValueError(f"period must be one of {', '.join(WINDOWS)}")
    signals = member_activity(s, group_id=group_id, now=now)
    active = {m.id for m, _ in core_crud.active_members(s, group_id=group_id)}
    scored = sorted(
        (
            (leaderboard_score(sig.window(period)), mid)
            for mid, sig in signals.items()
            if not sig.opted_out and mid in active
        ),
        key=lambda x: (-x[0], x[1]),
    )
    top = [(score, mid) for score, mid in scored if score > 0][:size]
    return [
        LeaderboardEntry(
            rank=rank,
            member_id=mid,
            name=core_crud.member_name_in_group(s, group_id=group_id, member_id=mid),
            score=score,
            stats=signals[mid].window(period),
        )
        for rank, (score, mid) in enumerate(top, 1)
    ]
