"""A member's buddy status in one group (`/buddy status`) as data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from common.clock import as_utc
from community.buddies.plans import RoundPlan, get_plan
from community.buddies.profiles import member_timezone
from community.buddies.rounds import skipping_next_round
from storage.crud import buddies as crud

LAST_MATCHES_SEARCHED = 200


@dataclass(frozen=True)
class BuddyStatus:
    timezone: str  # the member's zone (theirs, else the group's)
    opted_in: bool
    topics: tuple[str, ...]
    paused_until: datetime | None  # only while the pause lasts
    skipping_next: bool  # answered "skip me next time" since the last round
    waiting: bool  # asked with /buddy me, nobody free yet
    last_match_at: datetime | None
    last_partners: tuple[str, ...]  # names of the last match's partners (empty: they left the group)
    plan: RoundPlan | None


def buddy_status(s: Session, *, group_id: int, member_id: int, now: datetime) -> BuddyStatus:
    p = crud.get_profile(s, group_id=group_id, member_id=member_id)
    last = next(
        (
            m
            for m in crud.matches(s, group_id=group_id, limit=LAST_MATCHES_SEARCHED)
            if member_id in m.member_ids
        ),
        None,
    )
    partners = (
        crud.names(s, group_id=group_id, member_ids=[x for x in last.member_ids if x != member_id])
        if last
        else {}
    )
    opted_in = p is not None and p.active
    paused = as_utc(p.paused_until) if p is not None and p.paused_until is not None else None
    return BuddyStatus(
        timezone=member_timezone(s, group_id=group_id, member_id=member_id),
        opted_in=opted_in,
        topics=tuple(p.topics) if p is not None else (),
        paused_until=paused if paused is not None and paused > now else None,
        skipping_next=member_id in skipping_next_round(s, group_id=group_id),
        waiting=p is not None and p.waiting_since is not None,
        last_match_at=as_utc(last.created_at) if last is not None else None,
        last_partners=tuple(partners.values()),
        plan=get_plan(s, group_id=group_id),
    )
