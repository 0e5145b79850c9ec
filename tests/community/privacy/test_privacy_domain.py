"""Privacy at domain level: the /privacy report, opting out, and the two-step /forget as plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from community.privacy.forget import CONFIRM_MINUTES, cancel_forget, confirm_forget, request_forget
from community.privacy.report import privacy_report
from community.privacy.tracking import set_tracking
from storage.crud import core as crud
from storage.db import session_scope
from storage.models import Group, Member, Message, PendingAction

pytestmark = pytest.mark.usefixtures("backend")

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def join(s: Session, chat: str, user: str) -> tuple[int, int]:
    group = crud.get_or_create_group(s, platform="test", chat_id=chat)
    member = crud.get_or_create_member(s, platform="test", user_id=user, display_name=user)
    assert group.id is not None and member.id is not None
    crud.ensure_membership(s, group_id=group.id, member_id=member.id)
    return group.id, member.id


def post(s: Session, group_id: int, member_id: int, message_id: str, *, command: bool = False) -> None:
    crud.store_message(
        s,
        group_id=group_id,
        member_id=member_id,
        platform_message_id=message_id,
        sent_at=NOW,
        text=None if command else "hi",
        text_length=2,
        is_command=command,
    )


def test_report_counts_rows_retention_and_opt_out(engine: Engine) -> None:
    with session_scope(engine) as s:
        g, alice = join(s, "g1", "alice")
        g2, _ = join(s, "g2", "alice")
        post(s, g, alice, "m1")
        post(s, g, alice, "m2")
        post(s, g, alice, "c1", command=True)  # commands are not counted
        post(s, g2, alice, "x1")  # another group's rows are not counted
    with session_scope(engine) as s:
        report = privacy_report(s, group_id=g, member_id=alice)
    assert (report.counts, report.retention_days, report.opted_out) == ({"message": 2}, None, False)
    with session_scope(engine) as s:
        assert set_tracking(s, group_id=g, member_id=alice, tracked=False)
        assert not set_tracking(s, group_id=g, member_id=alice, tracked=False)
        group = s.get(Group, g)
        assert group is not None
        group.settings = {"retention_days": 30}
        s.add(group)
    with session_scope(engine) as s:
        report = privacy_report(s, group_id=g, member_id=alice)
        other = privacy_report(s, group_id=g2, member_id=alice)
    assert (report.retention_days, report.opted_out) == (30, True)
    assert other.opted_out is False  # opting out is per group


def test_nothing_stored_means_no_confirmation(engine: Engine) -> None:
    with session_scope(engine) as s:
        g, quiet = join(s, "g1", "quiet")
        request = request_forget(s, group_id=g, member_id=quiet, now=NOW)
        assert (request.action_id, request.counts) == (None, {})
        assert s.exec(select(func.count()).select_from(PendingAction)).one() == 0


def test_confirmation_is_the_members_own_in_its_group_and_expires(engine: Engine) -> None:
    with session_scope(engine) as s:
        g, alice = join(s, "g1", "alice")
        _, mallory = join(s, "g1", "mallory")
        g2, _ = join(s, "g2", "alice")
        post(s, g, alice, "m1")
        request = request_forget(s, group_id=g, member_id=alice, now=NOW)
    assert request.action_id is not None and request.counts == {"message": 1}
    assert request.confirm_minutes == CONFIRM_MINUTES
    action_id = request.action_id
    with session_scope(engine) as s:
        assert (
            confirm_forget(s, group_id=g, member_id=mallory, action_id=action_id, now=NOW).outcome
            == "not_yours"
        )
        assert (
            confirm_forget(s, group_id=g2, member_id=alice, action_id=action_id, now=NOW).outcome == "expired"
        )
        assert cancel_forget(s, group_id=g, member_id=mallory, action_id=action_id, now=NOW) == "not_yours"
        late = NOW + timedelta(minutes=CONFIRM_MINUTES, seconds=1)
        assert (
            confirm_forget(s, group_id=g, member_id=alice, action_id=action_id, now=late).outcome == "expired"
        )
        assert cancel_forget(s, group_id=g, member_id=alice, action_id=action_id, now=NOW) == "cancelled"
        assert cancel_forget(s, group_id=g, member_id=alice, action_id=action_id, now=NOW) == "expired"
        assert (
            confirm_forget(s, group_id=g, member_id=alice, action_id=action_id, now=NOW).outcome == "expired"
        )
        assert s.exec(select(func.count()).select_from(Message)).one() == 1  # nothing was deleted


def test_confirmed_forget_deletes_the_group_rows_and_counts_records(engine: Engine) -> None:
    with session_scope(engine) as s:
        g, alice = join(s, "g1", "alice")
        post(s, g, alice, "m1")
        post(s, g, alice, "m2")
        request = request_forget(s, group_id=g, member_id=alice, now=NOW)
    assert request.action_id is not None
    with session_scope(engine) as s:
        result = confirm_forget(s, group_id=g, member_id=alice, action_id=request.action_id, now=NOW)
    assert result.outcome == "forgotten"
    assert result.deleted["message"] == 2 and result.deleted["pendingaction"] == 1
    assert result.deleted["membership"] == 1 and result.deleted["member"] == 1
    assert result.records == 3  # two messages and the confirmation; not the membership or the identity
    with session_scope(engine) as s:
        assert s.get(Member, alice) is None
        assert s.exec(select(func.count()).select_from(Message)).one() == 0
