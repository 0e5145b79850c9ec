"""A sample community for the demo: 30 members with messages and topic-clustered ratings in the console group."""

from __future__ import annotations

import random
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


# More members with tastes clustered by topic, so that a model trained on the demo learns something real.
CLUSTERS: dict[str, list[str]] = {
    "data": ["pandas-101", "sql-101", "sql-201", "viz-201", "stats-101", "ml-201", "excel-101", "de-201", "dl-301"],
    "web": ["js-101", "ts-201", "react-201", "git-101", "py-101", "docker-201", "go-101", "linux-101"],
    "design": ["ux-101", "ui-201", "figma-101", "ds-201", "type-101", "access-201", "motion-201", "illus-201"],
    "languages": ["en-101", "en-201", "ielts-201", "es-101", "de-101", "fr-101", "ja-101", "zh-101"],
    "business": ["startup-201", "pm-101", "agile-201", "fin-101", "acct-101", "lead-201", "product-201", "mkt-101"],
    "zh": ["zh-py-101", "zh-data-101", "zh-ml-201", "zh-ux-101", "zh-en-101", "zh-pm-101", "zh-mkt-101"],
}
EXTRA_NAMES = ["ivan", "jade", "kofi", "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa", "sami", "tara",
               "uma", "victor", "wen", "xia", "yusuf", "zara", "li", "mei", "arjun", "bea", "carl", "dina"]


def _extra_ratings() -> dict[str, dict[str, int]]:
    rng = random.Random(7)
    clusters = list(CLUSTERS)
    out: dict[str, dict[str, int]] = {}
    for i, name in enumerate(EXTRA_NAMES):
        courses = CLUSTERS[clusters[i % len(clusters)]]
        liked = rng.sample(courses, 4)
        ratings = {c: rng.choice((4, 5, 5)) for c in liked}
        if rng.random() < 0.5:  # an occasional lukewarm try outside the member's topic
            other = CLUSTERS[rng.choice([c for c in clusters if c != clusters[i % len(clusters)]])]
            ratings[rng.choice(other)] = rng.choice((2, 3))
        out[name] = ratings
    return out


def load_sample_catalog(s: Session) -> int:
    added, _ = course_crud.upsert_courses(s, courses=read_catalog(SAMPLE_CATALOG))
    return added


def seed_community(s: Session, *, platform: str, chat_id: str, now: datetime) -> None:
    """Members, messages over the last two weeks, and ratings of sample-catalogue courses."""
    group = crud.get_or_create_group(s, platform=platform, chat_id=chat_id, title=f"Console ({chat_id})")
    assert group.id is not None
    by_ext = {c.external_id: c for c in course_crud.list_courses(s) if c.external_id}
    extra = _extra_ratings()
    people = {**MEMBERS, **{name: [] for name in extra}}
    all_ratings = {**RATINGS, **extra}
    for i, (name, messages) in enumerate(people.items()):
        member = crud.get_or_create_member(s, platform=platform, user_id=name, display_name=name)
        assert member.id is not None
        crud.ensure_membership(s, group_id=group.id, member_id=member.id)
        for j, text in enumerate(messages):
            crud.store_message(s, group_id=group.id, member_id=member.id, platform_message_id=f"seed-{name}-{j}",
                               sent_at=now - timedelta(days=12 - i - j, hours=j), text=text, text_length=len(text))
        for ext, stars in all_ratings.get(name, {}).items():
            course = by_ext.get(ext)
            if course is not None and course.id is not None:
                course_crud.upsert_rating(s, group_id=group.id, member_id=member.id, course_id=course.id,
                                          value=float(stars), at=now - timedelta(days=30 - i % 30))
