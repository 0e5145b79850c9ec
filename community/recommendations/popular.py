"""Cold-start picks: the group's best-rated courses, then free beginner courses of the catalogue."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session

from community.courses.views import CourseLine
from community.recommendations.reasons import FreeStart, PopularInGroup
from community.recommendations.results import Pick
from storage.crud import courses as course_crud
from storage.models import Course

MIN_POPULAR_AVERAGE = 3.5


def popular_picks(
    s: Session,
    *,
    group_id: int,
    exclude: set[int | None],
    n: int,
    courses: Mapping[int | None, Course] | None = None,
) -> list[Pick]:
    """Up to `n` picks nobody has to be known for, never one in `exclude`."""
    courses = courses or {c.id: c for c in course_crud.list_courses(s)}
    picks: list[Pick] = []
    for course_id, avg, count in course_crud.popular_in_group(
        s, group_id=group_id, limit=n + len(exclude) + 5
    ):
        c = courses.get(course_id)
        if c is not None and course_id not in exclude and avg >= MIN_POPULAR_AVERAGE:
            picks.append(Pick(CourseLine.of(c), avg, PopularInGroup(avg, count)))
    for c in courses.values():  # then free beginner courses of the catalogue
        if len(picks) >= n:
            break
        if (
            c.id not in exclude
            and all(p.course.id != c.id for p in picks)
            and c.level == "beginner"
            and c.is_free
        ):
            picks.append(Pick(CourseLine.of(c), 0.0, FreeStart()))
    return picks[:n]
