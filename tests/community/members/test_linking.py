"""Members at domain level: link codes (shape, issue, redeem outcomes) and time zone validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from community.members.linking import (
    ALPHABET,
    CODE_LENGTH,
    CODE_TTL,
    display_code,
    issue_code,
    looks_like_code,
    normalise_code,
    redeem_code,
)
from community.members.timezones import valid_timezone
from storage.crud import core as crud
from storage.db import session_scope

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def account(s: Session, platform: str, user: str) -> int:
    member = crud.get_or_create_member(s, platform=platform, user_id=user, display_name=user)
    assert member.id is not None
    return member.id


def test_code_shape_and_typing_tolerance() -> None:
    assert normalise_code(" abc-defg ") == "ABCDEFG"
    assert display_code("ACDEFGH") == "ACD-EFGH"
    assert looks_like_code("ACDEFGH") and not looks_like_code("ABCDEFG")  # B is not in the alphabet
    assert not looks_like_code("ACD") and len(ALPHABET) == len(set(ALPHABET))


def test_issue_and_redeem_outcomes(engine: Engine) -> None:
    with session_scope(engine) as s:
        tg = account(s, "telegram", "alice")
        dc = account(s, "discord", "alice")
        code = issue_code(s, member_id=tg, now=NOW)
        assert len(code) == CODE_LENGTH and looks_like_code(code)
        unknown = redeem_code(s, raw_code="ZZZ-ZZZZ", platform="discord", user_id="alice", now=NOW)
        assert unknown.outcome == "unknown"
        late = redeem_code(s, raw_code=code, platform="discord", user_id="alice", now=NOW + CODE_TTL)
        assert (late.outcome, late.other_platform) == ("expired", "telegram")
        linked = redeem_code(
            s,
            raw_code=display_code(code).lower(),
            platform="discord",
            user_id="alice",
            now=NOW + timedelta(minutes=1),
        )
        assert (linked.outcome, linked.other_platform) == ("linked", "telegram")
        assert linked.moved["platformaccount"] == 1
        found = crud.find_account(s, platform="discord", user_id="alice")
        assert found is not None and found.member_id == tg
        again = redeem_code(s, raw_code=code, platform="discord", user_id="alice", now=NOW)
        assert again.outcome == "used"
        assert dc != tg


def test_a_new_code_revokes_the_old_one(engine: Engine) -> None:
    with session_scope(engine) as s:
        tg = account(s, "telegram", "bob")
        account(s, "discord", "bob")
        first = issue_code(s, member_id=tg, now=NOW)
        second = issue_code(s, member_id=tg, now=NOW)
        assert first != second
        assert redeem_code(s, raw_code=first, platform="discord", user_id="bob", now=NOW).outcome == "used"
        assert redeem_code(s, raw_code=second, platform="discord", user_id="bob", now=NOW).outcome == "linked"


def test_valid_timezone() -> None:
    assert valid_timezone(" Asia/Shanghai ") == "Asia/Shanghai"
    for bad in ("", "Mars/Olympus", "../etc/passwd", "/etc/localtime", "x" * 65):
        assert valid_timezone(bad) is None
