"""The member's verdict on a pick ("interested" / "not for me"), stored as an implicit signal for the model."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from community.courses.views import CourseLine
from storage.crud import courses as course_crud


def record_feedback(
    s: Session, *, group_id: int, member_id: int, course_id: int, interested: bool, at: datetime
) -> CourseLine | None:
    """Store +1 (interested) or -1 (not for me: never offered again); None when the course is gone."""
    course = course_crud.get_course(s, course_id=course_id)
    if course is None:
        return None
    course_crud.upsert_rating(
        s,
        group_id=group_id,
        member_id=member_id,
        course_id=course_id,
        value=1.0 if interested else -1.0,
        at=at,
        source="feedback",
        kind="implicit",
    )
    return CourseLine.of(course)
