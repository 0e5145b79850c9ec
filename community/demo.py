"""A small sample community for the demo: members, messages and ratings in the console group."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from community.courses import SAMPLE_CATALOG, read_catalog
from storage.crud import core as crud
from storage.crud import courses as course_crud

MEMBERS: dict[str, list[str]] = {
    "alice": ["Anyone else doing the pandas course? Grouping finally clicked for me 🎉",
              "SQL joins were confusing at first but the exercises helped a lot"],
    "bob": ["I want to get better at React and TypeScript this month",
            "The TypeScript generics chapter is great 👍"],
    "chen": ["我在学机器学习基础，交叉验证那一章讲得很清楚", "有人一起学 Python 吗？"],
    "dana": ["Figma auto layout saved me hours today", "Looking for feedback on my UI design portfolio"],
    "emil": ["Preparing for IELTS speaking, any tips?", "Business English emails are getting easier"],
    "fatima": ["Started the startup course, pricing module is eye-opening",
               "Project management essentials was too basic for me 😕"],
}
RATINGS: dict[str, dict[str, int]] = {
    "alice": {"pandas-101": 5, "sql-101": 4, "py-101": 5, "viz-201": 4},
    "bob": {"js-101": 4, "ts-201": 5, "react-201": 4, "git-101": 5},
    "chen": {"zh-py-101": 5, "zh-ml-201": 4, "stats-101": 4},
    "dana": {"figma-101": 5, "ux-101": 4, "ui-201": 5},
    "emil": {"en-201": 4, "ielts-201": 5, "en-101": 3},
    "fatima": {"startup-201": 5, "pm-101": 2, "fin-101": 4},
}


def load_sample_catalog(s: Session) -> int:
    added, _ = course_crud.upsert_courses(s, courses=read_catalog(SAMPLE_CATALOG))
    return added


def seed_community(s: Session, *, platform: str, chat_id: str, now: datetime) -> None:
    """Members, messages over the last two weeks, and ratings of sample-catalogue courses."""
    group = crud.get_or_create_group(s, platform=platform, chat_id=chat_id, title=f"Console ({chat_id})")
    assert group.id is not None
    by_ext = {c.external_id: c for c in course_crud.list_courses(s) if c.external_id}
    for i, (name, messages) in enumerate(MEMBERS.items()):
        member = crud.get_or_create_member(s, platform=platform, user_id=name, display_name=name)
        assert member.id is not None
        crud.ensure_membership(s, group_id=group.id, member_id=member.id)
        for j, text in enumerate(messages):
            crud.store_message(s, group_id=group.id, member_id=member.id, platform_message_id=f"seed-{name}-{j}",
                               sent_at=now - timedelta(days=12 - i - j, hours=j), text=text, text_length=len(text))
        for ext, stars in RATINGS.get(name, {}).items():
            course = by_ext.get(ext)
            if course is not None and course.id is not None:
                course_crud.upsert_rating(s, group_id=group.id, member_id=member.id, course_id=course.id,
                                          value=float(stars), at=now - timedelta(days=10 - i))
