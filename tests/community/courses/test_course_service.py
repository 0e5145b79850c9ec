"""The course use cases on a session: pages of search results, details, ratings, all scoped to one group."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from community.courses.service import course_details, course_page, find_course, rate_course
from community.demo import load_sample_catalog
from storage import db
from storage.crud import core as crud

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _setup(engine: Engine) -> tuple[int, int, int]:
    with db.session_scope(engine) as s:
        load_sample_catalog(s)
        g1 = crud.get_or_create_group(s, platform="test", chat_id="g1").id
        g2 = crud.get_or_create_group(s, platform="test", chat_id="g2").id
        alice = crud.get_or_create_member(s, platform="test", user_id="alice", display_name="alice").id
    assert g1 and g2 and alice
    return g1, g2, alice


def test_pages_are_clamped_and_carry_the_group_average(engine: Engine) -> None:
    g1, g2, alice = _setup(engine)
    with db.session_scope(engine) as s:
        assert find_course(s, course_id=424242) is None
        everything = course_page(s, group_id=g1, query="", page=0, page_size=5)
        assert everything.total >= 60 and everything.pages == (everything.total + 4) // 5
        first = everything.lines[0]
        assert rate_course(s, group_id=g1, member_id=alice, course_id=first.id, stars=4, at=NOW) is not None
        last = course_page(s, group_id=g1, query="", page=10_000, page_size=5)
        assert last.page == last.pages - 1 and last.lines
        assert course_page(s, group_id=g1, query="", page=0, page_size=5).lines[0].average == 4.0
        assert course_page(s, group_id=g2, query="", page=0, page_size=5).lines[0].average is None
        none = course_page(s, group_id=g1, query="quantumbasketweaving", page=0, page_size=5)
        assert (none.total, none.pages, none.lines) == (0, 0, ())


def test_rating_updates_and_details_are_per_group(engine: Engine) -> None:
    g1, g2, alice = _setup(engine)
    with db.session_scope(engine) as s:
        first = rate_course(s, group_id=g1, member_id=alice, course_id=3, stars=5, at=NOW)
        again = rate_course(s, group_id=g1, member_id=alice, course_id=3, stars=3, at=NOW)
        assert first is not None and first.created and first.count == 1
        assert again is not None and not again.created and (again.average, again.count) == (3.0, 1)
        assert rate_course(s, group_id=g1, member_id=alice, course_id=9999, stars=5, at=NOW) is None
        mine = course_details(s, group_id=g1, member_id=alice, course_id=3)
        other = course_details(s, group_id=g2, member_id=alice, course_id=3)
        assert mine is not None and (mine.average, mine.count, mine.mine) == (3.0, 1, 3.0)
        assert other is not None and (other.average, other.count, other.mine) == (None, 0, None)
        assert course_details(s, group_id=g1, member_id=alice, course_id=9999) is None
