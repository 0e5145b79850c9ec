"""/optout and /optin: whether a member's messages and reactions in a group count as signals."""

from __future__ import annotations

from sqlmodel import Session

from storage.crud import privacy as crud


def set_tracking(s: Session, *, group_id: int, member_id: int, tracked: bool) -> bool:
    """Opt in (tracked) or out of signals; returns whether anything changed."""
    return crud.set_opted_out(s, group_id=group_id, member_id=member_id, value=not tracked)
