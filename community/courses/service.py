"""Course use cases on a session: find a course, a page of search results, a course's details, rating a course."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from community.courses.search import search_courses, search_terms
from community.courses.views import CourseDetails, CourseLine, CoursePage, RatingOutcome, price_text
from storage.crud import courses as crud


def find_course(s: Session, *, course_id: int) -> CourseLine | None:
    """An active course of the catalogue, or None."""
    course = crud.get_course(s, course_id=course_id)
    return CourseLine.of(course) if course is not None else None


def course_page(s: Session, *, group_id: int, query: str, page: int, page_size: int) -> CoursePage:
    """Courses matching `query` (all when empty), best first; `page` is clamped to the last page. A query with
    nothing to search by lists nothing (`searchable` False), never the whole catalogue as if it matched."""
    if query.strip() and not search_terms(query):
        return CoursePage(query=query, total=0, page=0, pages=0, lines=(), searchable=False)
    found = search_courses(crud.list_courses(s), query)
    if not found:
        return CoursePage(query=query, total=0, page=0, pages=0, lines=())
    pages = (len(found) + page_size - 1) // page_size
    page = min(page, pages - 1)
    shown = found[page * page_size : (page + 1) * page_size]
    lines = tuple(
        CourseLine.of(c, average=crud.course_rating_summary(s, group_id=group_id, course_id=c.id or 0)[0])
        for c in shown
    )
    return CoursePage(query=query, total=len(found), page=page, pages=pages, lines=lines)


def course_details(s: Session, *, group_id: int, member_id: int, course_id: int) -> CourseDetails | None:
    """A course with its rating in this group and the member's own rating; None when there is no such course."""
    c = crud.get_course(s, course_id=course_id)
    if c is None:
        return None
    average, count = crud.course_rating_summary(s, group_id=group_id, course_id=course_id)
    mine = crud.member_rating(s, group_id=group_id, member_id=member_id, course_id=course_id)
    return CourseDetails(
        id=c.id or course_id,
        title=c.title,
        description=c.description,
        level=c.level,
        price=price_text(c),
        language=c.language,
        tags=tuple(c.tags),
        url=c.url,
        average=average,
        count=count,
        mine=mine,
    )


def rate_course(
    s: Session, *, group_id: int, member_id: int, course_id: int, stars: int, at: datetime
) -> RatingOutcome | None:
    """Store (or update) the member's 1–5 rating; None when there is no such course (nothing is stored)."""
    c = crud.get_course(s, course_id=course_id)
    if c is None:
        return None
    _, created = crud.upsert_rating(
        s, group_id=group_id, member_id=member_id, course_id=course_id, value=float(stars), at=at
    )
    average, count = crud.course_rating_summary(s, group_id=group_id, course_id=course_id)
    return RatingOutcome(
        course=CourseLine.of(c), stars=stars, created=created, average=average or 0.0, count=count
    )
