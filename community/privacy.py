"""Privacy: what is stored about a member, opting out of signals, and forgetting a member in one group.

/forget is two steps: `request_forget` stores a PendingAction (so a restart loses nothing) and the confirmation
button calls `confirm_forget`, which checks that the same member presses it in the same group before it expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from storage import db
from storage.crud import privacy as q
from storage.crud import signals as signals_crud
from storage.models import PendingAction

FORGET_ACTION = "forget"
CONFIRM_MINUTES = 10

# Plain names of the tables a member can have rows in, for the /privacy and /forget answers.
TABLE_NAMES = {
    "message": ("message", "messages"),
    "reaction": ("reaction", "reactions"),
    "rating": ("rating or course signal", "ratings and course signals"),
    "coursemention": ("course mention", "course mentions"),
    "rsvp": ("event RSVP", "event RSVPs"),
    "buddyprofile": ("study-buddy profile", "study-buddy profiles"),
    "buddymatch": ("study-buddy match", "study-buddy matches"),
    "buddycheckin": ("study-buddy check-in", "study-buddy check-ins"),
    "pendingaction": ("pending confirmation", "pending confirmations"),
    "event": ("event you created", "events you created"),
}


class ForgetError(Exception):
    """The confirmation cannot be used (expired, used, someone else's)."""


def describe(counts: dict[str, int]) -> str:
    parts = []
    for name, n in sorted(counts.items()):
        one, many = TABLE_NAMES.get(name, (f"{name} row", f"{name} rows"))
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


def stored_counts(engine: Engine, *, group_id: int, member_id: int) -> dict[str, int]:
    with db.session_scope(engine) as s:
        return q.count_member_rows(s, group_id=group_id, member_id=member_id)


def set_tracking(engine: Engine, *, group_id: int, member_id: int, tracked: bool) -> bool:
    """Opt in (tracked) or out of signals; returns whether anything changed."""
    with db.session_scope(engine) as s:
        return signals_crud.set_opted_out(s, group_id=group_id, member_id=member_id, value=not tracked)


def request_forget(
    engine: Engine, *, group_id: int, member_id: int, now: datetime
) -> tuple[int | None, dict[str, int]]:
    """(pending action id, what would be deleted); no action is stored when nothing is stored about the member."""
    with db.session_scope(engine) as s:
        counts = q.count_member_rows(s, group_id=group_id, member_id=member_id)
        if not counts:
            return None, counts
        action = PendingAction(
            group_id=group_id,
            member_id=member_id,
            action=FORGET_ACTION,
            created_at=now,
            expires_at=now + timedelta(minutes=CONFIRM_MINUTES),
        )
        s.add(action)
        s.flush()
        return action.id, counts


def confirm_forget(
    engine: Engine, *, group_id: int, member_id: int, action_id: int, now: datetime
) -> dict[str, int]:
    """Delete everything about the member in the group once the confirmation checks out."""
    with db.session_scope(engine) as s:
        action = s.exec(select(PendingAction).where(PendingAction.id == action_id)).first()
        if action is None or action.action != FORGET_ACTION or action.group_id != group_id:
            raise ForgetError("That confirmation has expired. Send /forget again.")
        if action.member_id != member_id:
            raise ForgetError("Only the member who asked can confirm their own /forget.")
        if action.used_at is not None or action.expires_at < now:
            raise ForgetError("That confirmation has expired. Send /forget again.")
        return q.forget_member(s, group_id=group_id, member_id=member_id)


def cancel_forget(engine: Engine, *, group_id: int, member_id: int, action_id: int, now: datetime) -> bool:
    with db.session_scope(engine) as s:
        action = s.get(PendingAction, action_id)
        if action is None or action.group_id != group_id or action.member_id != member_id or action.used_at:
            return False
        action.used_at = now
        s.add(action)
        return True
