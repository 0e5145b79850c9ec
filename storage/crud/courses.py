"""Course catalogue (deployment-wide) and ratings (per group)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Course, Rating


def list_courses(s: Session, *, active_only: bool = True) -> list[Course]:
    q = select(Course).order_by(col(Course.id))
    if active_only:
        q = q.where(Course.active == True)  # noqa: E712
    return list(s.exec(q))


def get_course(s: Session, *, course_id: int) -> Course | None:
    course = s.get(Course, course_id)
    return course if course is not None and course.active else None


def count_courses(s: Session) -> int:
    return int(s.exec(select(func.count()).select_from(Course)).one())


def upsert_courses(s: Session, *, courses: Sequence[Course]) -> tuple[int, int]:
    """Insert courses; a course whose external_id exists already is updated. Returns (added, updated)."""
    added = updated = 0
    for c in courses:
        existing = None
        if c.external_id:
            existing = s.exec(select(Course).where(Course.external_id == c.external_id)).first()
        if existing is None:
            s.add(c)
            added += 1
            continue
        for field in ("title", "description", "tags", "level", "url", "price", "currency", "language"):
            setattr(existing, field, getattr(c, field))
        existing.active = True
        s.add(existing)
        updated += 1
    s.flush()
    return added, updated


def upsert_rating(
    s: Session,
    *,
    group_id: int,
    member_id: int,
    course_id: int,
    value: float,
    at: datetime,
    source: str = "rate",
    kind: str = "explicit",
) -> tuple[Rating, bool]:
    """Store a rating or signal; re-rating (same source) updates it. Returns (row, created)."""
    row = s.exec(
        select(Rating).where(
            Rating.group_id == group_id,
            Rating.member_id == member_id,
            Rating.course_id == course_id,
            Rating.source == source,
        )
    ).first()
    if row is None:
        row = Rating(
            group_id=group_id,
            member_id=member_id,
            course_id=course_id,
            value=value,
            kind=kind,
            source=source,
            created_at=at,
            updated_at=at,
        )
        s.add(row)
        s.flush()
        return row, True
    row.value, row.kind, row.updated_at = value, kind, at
    s.add(row)
    return row, False


def course_rating_summary(s: Session, *, group_id: int, course_id: int) -> tuple[float | None, int]:
    """Average explicit rating and count of a course within one group."""
    avg, n = s.exec(
        select(func.avg(Rating.value), func.count()).where(
            Rating.group_id == group_id, Rating.course_id == course_id, Rating.source == "rate"
        )
    ).one()
    return (float(avg) if avg is not None else None, int(n))


def member_ratings(s: Session, *, group_id: int, member_id: int, source: str | None = "rate") -> list[Rating]:
    q = select(Rating).where(Rating.group_id == group_id, Rating.member_id == member_id)
    if source is not None:
        q = q.where(Rating.source == source)
    return list(s.exec(q.order_by(col(Rating.updated_at).desc())))


def member_rating(
    s: Session, *, group_id: int, member_id: int, course_id: int, source: str = "rate"
) -> float | None:
    """The member's rating of one course in one group (explicit 1–5 by default), or None."""
    value = s.exec(
        select(Rating.value).where(
            Rating.group_id == group_id,
            Rating.member_id == member_id,
            Rating.course_id == course_id,
            Rating.source == source,
        )
    ).first()
    return float(value) if value is not None else None


def group_ratings(s: Session, *, group_id: int) -> list[Rating]:
    return list(s.exec(select(Rating).where(Rating.group_id == group_id).order_by(col(Rating.id))))


def all_ratings(s: Session) -> list[Rating]:
    """Every group's ratings: for model training only, never for display."""
    return list(s.exec(select(Rating).order_by(col(Rating.id))))


def popular_in_group(s: Session, *, group_id: int, limit: int = 10) -> list[tuple[int, float, int]]:
    """(course_id, average, count) of the group's explicit ratings, best first."""
    rows = s.exec(
        select(Rating.course_id, func.avg(Rating.value), func.count())
        .where(Rating.group_id == group_id, Rating.source == "rate")
        .group_by(col(Rating.course_id))
        .order_by(func.count().desc(), func.avg(Rating.value).desc())
        .limit(limit)
    )
    return [(int(c), float(a), int(n)) for c, a, n in rows]
