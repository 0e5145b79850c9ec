"""Rounds: match every eligible member of a group (or two on demand, `/buddy me`), store the round, its matches and
one check-in per matched member, and return what was planned as data."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from common.clock import as_utc
from community.buddies.features import build_candidates
from community.buddies.first_step import RECOMMENDER_BUDGET_S, FirstStep, RecommendFn, first_step
from community.buddies.interests import Encoder
from community.buddies.matching import match_members, pair_score
from community.buddies.reasons import MatchReason, reason_for, reason_text
from storage.crud import buddies as crud
from storage.crud import courses as course_crud

CHECKIN_AFTER = timedelta(days=7)
PARTNER_MEMORY = timedelta(days=365)


class NotEligible(ValueError):
    """The member cannot be matched now (not opted in, paused, or no longer in the group)."""


@dataclass(frozen=True)
class PlannedMatch:
    match_id: int
    member_ids: tuple[int, ...]
    names: Mapping[int, str]
    reason: MatchReason
    first_step: FirstStep | None
    score: float
    repeat: bool  # recent partners again: there was nobody else free


@dataclass(frozen=True)
class RoundOutcome:
    round_id: int | None  # None: fewer than two members to match, nothing stored
    eligible: int
    matches: tuple[PlannedMatch, ...]
    algorithm: str
    skipped: tuple[int, ...] = ()  # asked to skip this round


def recent_partners(s: Session, *, group_id: int, now: datetime) -> dict[int, list[int]]:
    """member -> partners of the last year, most recent first (deduplicated)."""
    out: dict[int, list[int]] = {}
    for match in crud.matches(s, group_id=group_id, since=now - PARTNER_MEMORY):
        for m in match.member_ids:
            lst = out.setdefault(m, [])
            for p in match.member_ids:
                if p != m and p not in lst:
                    lst.append(p)
    return out


def skipping_next_round(s: Session, *, group_id: int, member_id: int | None = None) -> set[int]:
    """Members (or just `member_id`) who answered "skip me next time" after the group's last round: that skip is
    still to come."""
    last = crud.last_round(s, group_id=group_id)
    since = as_utc(last.created_at) if last is not None else None
    return {
        c.member_id
        for c in crud.checkins(s, group_id=group_id, member_id=member_id)
        if c.answer == "skip"
        and c.answered_at is not None
        and (since is None or as_utc(c.answered_at) > since)
    }


def eligible_member_ids(s: Session, *, group_id: int, now: datetime) -> tuple[list[int], list[int]]:
    """(ids to match, ids that asked to skip this round)."""
    skip = skipping_next_round(s, group_id=group_id)
    ids = [p.member_id for p in crud.eligible_profiles(s, group_id=group_id, now=now)]
    return [m for m in ids if m not in skip], [m for m in ids if m in skip]


def run_round(
    s: Session,
    *,
    group_id: int,
    now: datetime,
    encoder: Encoder,
    default_tz: str = "UTC",
    recommend: RecommendFn | None = None,
    multilingual: bool = True,
    kind: str = "round",
    member_ids: Sequence[int] | None = None,
) -> RoundOutcome:
    """Match every eligible member of the group (or `member_ids`), store the round, matches and check-ins."""
    skipped: list[int] = []
    if member_ids is None:
        ids, skipped = eligible_member_ids(s, group_id=group_id, now=now)
    else:
        ids = list(member_ids)
    if len(ids) < 2:
        return RoundOutcome(None, len(ids), (), "none", tuple(skipped))
    cands, infos = build_candidates(
        s,
        group_id=group_id,
        member_ids=ids,
        now=now,
        encoder=encoder,
        default_tz=default_tz,
        multilingual=multilingual,
    )
    result = match_members(cands, recent=recent_partners(s, group_id=group_id, now=now))
    rnd = crud.create_round(s, group_id=group_id, kind=kind, algorithm=result.algorithm, at=now)
    assert rnd.id is not None
    catalog = course_crud.list_courses(s)
    rated = crud.rated_course_ids(s, group_id=group_id, member_ids=ids)
    planned: list[tuple[MatchReason, FirstStep | None]] = []
    started = time.perf_counter()
    for g in result.groups:
        if recommend is not None and time.perf_counter() - started > RECOMMENDER_BUDGET_S:
            recommend = None  # the model scores one member at a time; thousands of pairs would take minutes
        reason = reason_for([infos[m] for m in g.member_ids], now)
        step = first_step(
            s,
            group_id=group_id,
            member_ids=g.member_ids,
            topics=reason.topics,
            recommend=recommend,
            catalog=catalog,
            rated=set().union(*(rated.get(m, set()) for m in g.member_ids)),
        )
        planned.append((reason, step))
    match_ids = crud.add_matches(
        s,
        group_id=group_id,
        round_id=rnd.id,
        matches=[
            crud.NewMatch(g.member_ids, reason_text(r), g.score)
            for g, (r, _) in zip(result.groups, planned, strict=True)
        ],
        at=now,
        checkin_due=now + CHECKIN_AFTER,
    )
    crud.set_waiting(s, group_id=group_id, member_ids=sorted(result.matched_ids), since=None)
    matches = tuple(
        PlannedMatch(
            mid,
            tuple(g.member_ids),
            {m: infos[m].name for m in g.member_ids},
            reason,
            step,
            g.score,
            g.repeat,
        )
        for mid, g, (reason, step) in zip(match_ids, result.groups, planned, strict=True)
    )
    return RoundOutcome(rnd.id, len(ids), matches, result.algorithm, tuple(skipped))


def request_partner(
    s: Session,
    *,
    group_id: int,
    member_id: int,
    now: datetime,
    encoder: Encoder,
    default_tz: str = "UTC",
    recommend: RecommendFn | None = None,
    multilingual: bool = True,
) -> RoundOutcome | None:
    """/buddy me: match with the best of the members also waiting; None puts the member on the waiting list.

    Raises NotEligible when the member is not opted in, is paused, or is no longer in the group."""
    eligible = {p.member_id: p for p in crud.eligible_profiles(s, group_id=group_id, now=now)}
    if member_id not in eligible:
        raise NotEligible(member_id)
    waiting = [m for m, p in eligible.items() if p.waiting_since is not None and m != member_id]
    if not waiting:
        crud.set_waiting(s, group_id=group_id, member_ids=[member_id], since=now)
        return None
    cands, _ = build_candidates(
        s,
        group_id=group_id,
        member_ids=[member_id, *waiting],
        now=now,
        encoder=encoder,
        default_tz=default_tz,
        multilingual=multilingual,
    )
    recent = recent_partners(s, group_id=group_id, now=now).get(member_id, [])[:3]
    me = cands[0]
    scored = sorted(
        ((pair_score(me, c) - (2.0 if c.member_id in recent else 0.0), c.member_id) for c in cands[1:]),
        reverse=True,
    )
    partner = scored[0][1]
    outcome = run_round(
        s,
        group_id=group_id,
        now=now,
        encoder=encoder,
        default_tz=default_tz,
        recommend=recommend,
        multilingual=multilingual,
        kind="on_demand",
        member_ids=[member_id, partner],
    )
    crud.set_waiting(s, group_id=group_id, member_ids=[member_id, partner], since=None)
    return outcome
