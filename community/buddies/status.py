"""A member's buddy status in one group as data: the one source of truth for `/buddy status`, `/buddy me`'s
refusals and the buddy line of `/me`.

`state` sums it up, first match wins: "opted_out" (tracking is off: matching needs /optin), "none" (never
joined), "left" (left matching, or paused after ignored check-ins), "paused", "waiting" (asked with /buddy me),
"matched" (matched within the last week) or "looking" (opted in, for the next round).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session

from common.clock import as_utc
from community.buddies.plans import RoundPlan, get_plan
from community.buddies.profiles import member_timezone
from community.buddies.rounds import CHECKIN_AFTER, skipping_next_round
from storage.crud import buddies as crud
from storage.crud import core as core_crud

LAST_MATCHES_SEARCHED = 200
CURRENT_MATCH = CHECKIN_AFTER  # "matched" until the week's check-in

BuddyState = Literal["opted_out", "none", "left", "paused", "waiting", "matched", "looking"]


@dataclass(frozen=True)
class BuddyStatus:
    state: BuddyState
    timezone: str  # the member's zone (theirs, else the group's)
    opted_in: bool  # the buddy profile is active (matching also needs `not opted_out`)
    opted_out: bool  # tracking is off (/optout): never matched until /optin
    topics: tuple[str, ...]
    paused_until: datetime | None  # only while the pause lasts
    skipping_next: bool  # answered "skip me next time" since the last round
    waiting: bool  # asked with /buddy me, nobody free yet
    last_match_at: datetime | None
    last_partners: tuple[str | None, ...]  # the last match's partners; None: a former member (forgotten)
    plan: RoundPlan | None


def partner_names(
    s: Session, *, group_id: int, member_ids: Sequence[int], member_id: int
) -> tuple[str | None, ...]:
    """Names of a match's other members, None for each former member: /forget takes a member out of her
    matches, so a match left with one member had a partner who is gone."""
    others = [m for m in member_ids if m != member_id]
    names = crud.names(s, group_id=group_id, member_ids=others)
    out: list[str | None] = [names.get(m) for m in others]
    return tuple(out) if out else (None,)


def buddy_status(s: Session, *, group_id: int, member_id: int, now: datetime) -> BuddyStatus:
    p = crud.get_profile(s, group_id=group_id, member_id=member_id)
    membership = core_crud.get_membership(s, group_id=group_id, member_id=member_id)
    opted_out = membership is not None and membership.opted_out
    last = next(
        (
            m
            for m in crud.matches(s, group_id=group_id, limit=LAST_MATCHES_SEARCHED)
            if member_id in m.member_ids
        ),
        None,
    )
    last_at = as_utc(last.created_at) if last is not None else None
    paused = as_utc(p.paused_until) if p is not None and p.paused_until is not None else None
    paused = paused if paused is not None and paused > now else None
    state: BuddyState
    if opted_out:
        state = "opted_out"
    elif p is None:
        state = "none"
    elif not p.active:
        state = "left"
    elif paused is not None:
        state = "paused"
    elif p.waiting_since is not None:
        state = "waiting"
    elif last_at is not None and last_at > now - CURRENT_MATCH:
        state = "matched"
    else:
        state = "looking"
    return BuddyStatus(
        state=state,
        timezone=member_timezone(s, group_id=group_id, member_id=member_id),
        opted_in=p is not None and p.active,
        opted_out=opted_out,
        topics=tuple(p.topics) if p is not None else (),
        paused_until=paused,
        skipping_next=member_id in skipping_next_round(s, group_id=group_id, member_id=member_id),
        waiting=p is not None and p.waiting_since is not None,
        last_match_at=last_at,
        last_partners=(
            partner_names(s, group_id=group_id, member_ids=last.member_ids, member_id=member_id)
            if last is not None
            else ()
        ),
        plan=get_plan(s, group_id=group_id),
    )
