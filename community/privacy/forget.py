"""/forget in two steps, stored so a restart loses nothing.

`request_forget` counts what would go and stores a PendingAction; the confirmation button calls `confirm_forget`,
which checks that the same member presses it in the same group before it expires, then deletes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session

from storage.crud import privacy as crud

FORGET_ACTION = "forget"
CONFIRM_MINUTES = 10
# Rows that are the member's identity in the group, not records about them.
_IDENTITY_TABLES = frozenset({"membership", "member", "platformaccount"})

ForgetOutcome = Literal["forgotten", "expired", "not_yours"]
CancelOutcome = Literal["cancelled", "expired", "not_yours"]


@dataclass(frozen=True)
class ForgetRequest:
    """What /forget would delete; `action_id` is None (nothing stored) when `counts` is empty."""

    action_id: int | None
    counts: dict[str, int]
    confirm_minutes: int = CONFIRM_MINUTES


@dataclass(frozen=True)
class ForgetResult:
    """`forgotten` with the rows deleted by table, or why the confirmation could not be used."""

    outcome: ForgetOutcome
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        """Rows deleted about the member, besides their membership and identity."""
        return sum(n for name, n in self.deleted.items() if name not in _IDENTITY_TABLES)


def request_forget(s: Session, *, group_id: int, member_id: int, now: datetime) -> ForgetRequest:
    """Store a confirmation and say what would be deleted; nothing is stored when nothing is stored about them."""
    counts = crud.count_member_rows(s, group_id=group_id, member_id=member_id)
    if not counts:
        return ForgetRequest(action_id=None, counts=counts)
    action = crud.add_pending_action(
        s,
        group_id=group_id,
        member_id=member_id,
        action=FORGET_ACTION,
        now=now,
        expires_at=now + timedelta(minutes=CONFIRM_MINUTES),
    )
    return ForgetRequest(action_id=action.id, counts=counts)


def confirm_forget(
    s: Session, *, group_id: int, member_id: int, action_id: int, now: datetime
) -> ForgetResult:
    """Delete everything about the member in the group once the confirmation checks out."""
    action = crud.get_pending_action(s, group_id=group_id, action_id=action_id, action=FORGET_ACTION)
    if action is None:
        return ForgetResult("expired")
    if action.member_id != member_id:
        return ForgetResult("not_yours")
    if action.used_at is not None or action.expires_at < now:
        return ForgetResult("expired")
    return ForgetResult("forgotten", crud.forget_member(s, group_id=group_id, member_id=member_id))


def cancel_forget(
    s: Session, *, group_id: int, member_id: int, action_id: int, now: datetime
) -> CancelOutcome:
    """Close the member's own open confirmation: "cancelled"; "not_yours" (it stays open for the member who
    asked); "expired" when there is no open one (unknown, closed already, or gone with a confirmed /forget)."""
    action = crud.get_pending_action(s, group_id=group_id, action_id=action_id, action=FORGET_ACTION)
    if action is None:
        return "expired"
    if action.member_id != member_id:
        return "not_yours"
    closed = crud.close_pending_action(
        s, group_id=group_id, action_id=action_id, action=FORGET_ACTION, now=now
    )
    return "cancelled" if closed else "expired"
