"""Check-ins a week after a match: ask each member whether they met, count ignored questions (three in a row
pause the member) and store answers. `process_checkins` returns what to send as addressed notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session

from common.clock import as_utc
from community.buddies.audience import audience
from community.buddies.profiles import member_timezone
from community.buddies.status import partner_names
from community.ingest.service import ChatRef, PersonRef
from storage.crud import buddies as crud
from storage.models import BuddyCheckin

CHECKIN_IGNORED_AFTER = timedelta(days=7)
IGNORES_BEFORE_PAUSE = 3
ANSWERS = ("met", "not_met", "skip")

AnswerResult = Literal["ok", "again", "not_yours", "unknown"]


@dataclass(frozen=True)
class CheckinNotice:
    """Something to send one member about a check-in: "ask" (with answer buttons) or "paused" (after ignored
    check-ins), addressed to their account on the group's platform."""

    kind: Literal["ask", "paused"]
    group_id: int
    member_id: int
    checkin_id: int
    partner_names: tuple[str | None, ...]  # None: a former member (forgotten)
    match_at: datetime
    chat: ChatRef
    to: PersonRef
    timezone: str  # the member's, to show `match_at` in


def process_checkins(s: Session, *, now: datetime) -> list[CheckinNotice]:
    """In every group with open check-ins: mark long-unanswered ones as ignored (pausing members at 3 in a row)
    and ask the due ones. Notices for members without an account on the group's platform are left out."""
    notices: list[CheckinNotice] = []
    for group_id in crud.groups_with_open_checkins(s):
        notices += _age_ignored(s, group_id=group_id, now=now)
        notices += _ask_due(s, group_id=group_id, now=now)
    return notices


def _age_ignored(s: Session, *, group_id: int, now: datetime) -> list[CheckinNotice]:
    out: list[CheckinNotice] = []
    for c in crud.unanswered_asked_before(s, group_id=group_id, before=now - CHECKIN_IGNORED_AFTER):
        c.answer, c.answered_at = "ignored", now
        crud.save(s, c)
        p = crud.get_profile(s, group_id=group_id, member_id=c.member_id)
        if p is None or not p.active:
            continue
        p.ignored_checkins += 1
        if p.ignored_checkins >= IGNORES_BEFORE_PAUSE:
            p.active = False
            out += _notice("paused", s, c)
        crud.save(s, p)
    return out


def _ask_due(s: Session, *, group_id: int, now: datetime) -> list[CheckinNotice]:
    out: list[CheckinNotice] = []
    for c in crud.due_checkins(s, group_id=group_id, now=now):
        c.asked_at = now
        crud.save(s, c)
        p = crud.get_profile(s, group_id=group_id, member_id=c.member_id)
        if p is not None and p.active:
            out += _notice("ask", s, c)
    return out


def _notice(kind: Literal["ask", "paused"], s: Session, c: BuddyCheckin) -> list[CheckinNotice]:
    """The notice for one check-in, or none when the member cannot be reached on the group's platform."""
    assert c.id is not None
    match = crud.get_match(s, group_id=c.group_id, match_id=c.match_id)
    names = partner_names(
        s, group_id=c.group_id, member_ids=match.member_ids if match else [], member_id=c.member_id
    )
    where = audience(s, group_id=c.group_id, member_ids=[c.member_id])
    if where is None or c.member_id not in where.people:
        return []
    return [
        CheckinNotice(
            kind=kind,
            group_id=c.group_id,
            member_id=c.member_id,
            checkin_id=c.id,
            partner_names=names,
            match_at=as_utc(match.created_at) if match else c.due_at,
            chat=where.chat,
            to=where.people[c.member_id],
            timezone=member_timezone(s, group_id=c.group_id, member_id=c.member_id),
        )
    ]


def answer_checkin(
    s: Session, *, group_id: int, member_id: int, checkin_id: int, answer: str, now: datetime
) -> AnswerResult:
    """Store an answer; returns "ok", "again" (answer changed), "not_yours" or "unknown"."""
    if answer not in ANSWERS:
        return "unknown"
    c = crud.get_checkin(s, group_id=group_id, checkin_id=checkin_id)
    if c is None:
        return "unknown"
    if c.member_id != member_id:
        return "not_yours"
    again = c.answer is not None
    c.answer, c.answered_at = answer, now
    crud.save(s, c)
    p = crud.get_profile(s, group_id=group_id, member_id=member_id)
    if p is not None:
        p.ignored_checkins = 0  # "three ignored in a row" starts over with any answer
        crud.save(s, p)
    return "again" if again else "ok"
