"""Buddy matches and check-in answers as plain rows for the recommender's member signals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from common.clock import as_utc
from storage.crud import buddies as crud


@dataclass(frozen=True)
class BuddySignal:
    """One member's side of one match: who with (empty: the partner was forgotten), when, and how the check-in
    went (None: not answered)."""

    member_id: int
    partner_ids: tuple[int, ...]
    match_id: int
    round_id: int
    matched_at: datetime
    score: float
    answer: str | None  # met | not_met | skip | ignored | None
    answered_at: datetime | None


def buddy_signals(s: Session, group_id: int) -> list[BuddySignal]:
    """Every match and check-in answer of one group as plain rows, oldest first (recommender member signals)."""
    answers = {(c.match_id, c.member_id): c for c in crud.checkins(s, group_id=group_id)}
    out: list[BuddySignal] = []
    for m in reversed(crud.matches(s, group_id=group_id)):
        assert m.id is not None
        for member in m.member_ids:
            c = answers.get((m.id, member))
            out.append(
                BuddySignal(
                    member_id=member,
                    partner_ids=tuple(p for p in m.member_ids if p != member),
                    match_id=m.id,
                    round_id=m.round_id,
                    matched_at=as_utc(m.created_at),
                    score=m.score,
                    answer=c.answer if c else None,
                    answered_at=as_utc(c.answered_at) if c and c.answered_at else None,
                )
            )
    return out
