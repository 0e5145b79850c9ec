"""The store on SQLite and PostgreSQL: identity, idempotent ingestion, ratings, group scoping, UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from storage.crud import core as crud
from storage.crud import courses as course_crud
from storage.db import session_scope
from storage.models import Course

pytestmark = pytest.mark.usefixtures("backend")

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _group_member(engine: Engine, chat: str, user: str) -> tuple[int, int]:
    with session_scope(engine) as s:
        g = crud.get_or_create_group(s, platform="telegram", chat_id=chat, title=chat)
        m = crud.get_or_create_member(s, platform="telegram", user_id=user, display_name=user)
        assert g.id and m.id
        crud.ensure_membership(s, group_id=g.id, member_id=m.id)
        return g.id, m.id


def test_one_person_one_member_across_groups(engine: Engine) -> None:
    g1, m1 = _group_member(engine, "-100", "7")
    g2, m2 = _group_member(engine, "-200", "7")
    assert g1 != g2 and m1 == m2
    with session_scope(engine) as s:
        assert [m.id for m, _ in crud.active_members(s, group_id=g1)] == [m1]


def test_message_ingestion_is_idempotent(engine: Engine) -> None:
    g, m = _group_member(engine, "-100", "7")
    for _ in range(3):
        with session_scope(engine) as s:
            crud.store_message(
                s, group_id=g, member_id=m, platform_message_id="55", sent_at=NOW, text="hi", text_length=2
            )
    with session_scope(engine) as s:
        assert crud.count_messages(s, group_id=g) == 1
    # The same platform id in another group is a different message.
    g2, _ = _group_member(engine, "-200", "7")
    with session_scope(engine) as s:
        _, created = crud.store_message(
            s, group_id=g2, member_id=m, platform_message_id="55", sent_at=NOW, text="hi", text_length=2
        )
        assert created


def test_datetimes_round_trip_as_utc(engine: Engine) -> None:
    g, m = _group_member(engine, "-100", "7")
    local = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(engine) as s:
        crud.store_message(
            s, group_id=g, member_id=m, platform_message_id="1", sent_at=local, text="x", text_length=1
        )
    with session_scope(engine) as s:
        msg = crud.get_message(s, group_id=g, platform_message_id="1")
        assert msg is not None
        assert msg.sent_at.tzinfo is not None and msg.sent_at.utcoffset() == timedelta(0)
        assert msg.sent_at == local


def test_naive_datetimes_are_rejected(engine: Engine) -> None:
    g, m = _group_member(engine, "-100", "7")
    with pytest.raises(Exception, match="naive datetime"), session_scope(engine) as s:
        crud.store_message(
            s,
            group_id=g,
            member_id=m,
            platform_message_id="1",
            sent_at=datetime(2026, 1, 1),
            text="x",
            text_length=1,
        )


def test_ratings_upsert_and_group_scope(engine: Engine) -> None:
    g1, m = _group_member(engine, "-100", "7")
    g2, _ = _group_member(engine, "-200", "7")
    with session_scope(engine) as s:
        course_crud.upsert_courses(s, courses=[Course(title="SQL Basics", external_id="sql")])
        [course] = course_crud.list_courses(s)
        cid = course.id or 0
        course_crud.upsert_rating(s, group_id=g1, member_id=m, course_id=cid, value=5, at=NOW)
        course_crud.upsert_rating(s, group_id=g1, member_id=m, course_id=cid, value=3, at=NOW)
        course_crud.upsert_rating(s, group_id=g2, member_id=m, course_id=cid, value=1, at=NOW)
    with session_scope(engine) as s:
        assert course_crud.course_rating_summary(s, group_id=g1, course_id=cid) == (3.0, 1)
        assert course_crud.course_rating_summary(s, group_id=g2, course_id=cid) == (1.0, 1)
        assert [r.value for r in course_crud.group_ratings(s, group_id=g1)] == [3.0]
        assert len(course_crud.all_ratings(s)) == 2


def test_course_upsert_by_external_id(engine: Engine) -> None:
    with session_scope(engine) as s:
        added, updated = course_crud.upsert_courses(
            s, courses=[Course(title="A", external_id="a", tags=["x"])]
        )
        assert (added, updated) == (1, 0)
    with session_scope(engine) as s:
        added, updated = course_crud.upsert_courses(
            s, courses=[Course(title="A v2", external_id="a", tags=["y"]), Course(title="B")]
        )
        assert (added, updated) == (1, 1)
    with session_scope(engine) as s:
        titles = {c.title: c.tags for c in course_crud.list_courses(s)}
        assert titles == {"A v2": ["y"], "B": []}


def test_membership_leave_and_return(engine: Engine) -> None:
    g, m = _group_member(engine, "-100", "7")
    with session_scope(engine) as s:
        crud.mark_left(s, group_id=g, member_id=m, at=NOW)
    with session_scope(engine) as s:
        assert crud.active_members(s, group_id=g) == []
        crud.ensure_membership(s, group_id=g, member_id=m)
    with session_scope(engine) as s:
        assert len(crud.active_members(s, group_id=g)) == 1


def test_roles_only_rise_through_ensure(engine: Engine) -> None:
    g, m = _group_member(engine, "-100", "7")
    with session_scope(engine) as s:
        crud.ensure_membership(s, group_id=g, member_id=m, role="owner")
        crud.ensure_membership(s, group_id=g, member_id=m, role="member")
        membership = crud.get_membership(s, group_id=g, member_id=m)
        assert membership is not None and membership.role == "owner"


def test_a_renamed_person_is_shown_with_the_new_name(engine: Engine) -> None:
    g, m = _group_member(engine, "-100", "7")
    with session_scope(engine) as s:
        crud.get_or_create_member(s, platform="telegram", user_id="7", display_name="Ann Lee")
    with session_scope(engine) as s:
        assert crud.member_name_in_group(s, group_id=g, member_id=m) == "Ann Lee"
