"""Cross-platform identity: one-time link codes that merge a person's Telegram and Discord accounts.

`/link` on one platform issues a code for the member behind that account; `/link CODE` from an account on the
other platform moves that account (and everything its member owned) onto the code's member.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session

from storage.crud import core as core_crud
from storage.crud import identity as crud

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read aloud or retyped from a phone is not mistyped.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 7
CODE_TTL = timedelta(minutes=10)

RedeemOutcome = Literal["linked", "already", "unknown", "expired", "used", "same_platform", "conflict"]


@dataclass(frozen=True)
class RedeemResult:
    outcome: RedeemOutcome
    moved: dict[str, int]
    # The platform the code was issued from (for the reply), when known.
    other_platform: str | None = None


def normalise_code(raw: str) -> str:
    """Uppercase, without spaces or dashes; codes are shown as ABC-DEFG but typed any way."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())[:16]


def display_code(code: str) -> str:
    return f"{code[:3]}-{code[3:]}"


def looks_like_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def issue_code(s: Session, *, member_id: int, now: datetime) -> str:
    """A fresh code for the member; earlier unused codes of the member stop working."""
    crud.purge_expired_codes(s, now=now - timedelta(days=1))
    crud.revoke_open_codes(s, member_id=member_id, now=now)
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if (
            crud.create_code(s, code=code, member_id=member_id, now=now, expires_at=now + CODE_TTL)
            is not None
        ):
            return code


def cancel_code(s: Session, *, code: str, now: datetime) -> None:
    row = crud.get_code(s, code=code)
    if row is not None and row.id is not None:
        crud.claim_code(s, code_id=row.id, now=now)


def redeem_code(s: Session, *, raw_code: str, platform: str, user_id: str, now: datetime) -> RedeemResult:
    """Link the account (platform, user_id) to the member who issued the code."""
    code = normalise_code(raw_code)
    row = crud.get_code(s, code=code) if looks_like_code(code) else None
    if row is None or row.id is None:
        return RedeemResult("unknown", {})
    account = core_crud.find_account(s, platform=platform, user_id=user_id)
    if account is None:  # pragma: no cover - the dispatcher creates the account before any command runs
        return RedeemResult("unknown", {})
    target_accounts = core_crud.accounts_of(s, member_id=row.member_id)
    issuer_platforms = sorted({a.platform for a in target_accounts})
    other = next(
        (p for p in issuer_platforms if p != platform), issuer_platforms[0] if issuer_platforms else None
    )
    if row.used_at is not None:
        return RedeemResult("used", {}, other)
    if row.expires_at <= now:
        return RedeemResult("expired", {}, other)
    if account.member_id == row.member_id:
        return RedeemResult("already", {}, other)
    mine = core_crud.accounts_of(s, member_id=account.member_id)
    if any(a.platform == platform for a in target_accounts):
        return RedeemResult("same_platform", {}, other)
    # One account per platform per person: refuse a merge that would give the member two on one platform.
    if {a.platform for a in mine} & set(issuer_platforms):
        return RedeemResult("conflict", {}, other)
    if not crud.claim_code(s, code_id=row.id, now=now):
        return RedeemResult("used", {}, other)
    moved = crud.merge_members(s, keep_id=row.member_id, absorb_id=account.member_id)
    return RedeemResult("linked", moved, other)
