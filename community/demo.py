"""A sample community for the demo: 30 members with messages and topic-clustered ratings in the console group."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from community.courses.catalog import SAMPLE_CATALOG, read_catalog
from community.signals.sentiment import emoji_sentiment, get_analyzer
from storage import db
from storage.crud import core as crud
from storage.crud import courses as course_crud

MEMBERS: dict[str, list[str]] = {
    "alice": [
        "Anyone else doing the pandas course? Grouping finally clicked for me 🎉",
        "SQL joins were confusing at first but the exercises helped a lot",
    ],
    "bob": [
        "I want to get better at React and TypeScript this month",
        "The TypeScript generics chapter is great 👍",
    ],
    "chen": ["我在学机器学习基础，交叉验证那一章讲得很清楚", "有人一起学 Python 吗？"],
    "dana": ["Figma auto layout saved me hours today", "Looking for feedback on my UI design portfolio"],
    "emil": ["Preparing for IELTS speaking, any tips?", "Business English emails are getting easier"],
    "fatima": [
        "Started the startup course, pricing module is eye-opening",
        "Project management essentials was too basic for me 😕",
    ],
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
    "data": [
        "pandas-101",
        "sql-101",
        "sql-201",
        "viz-201",
        "stats-101",
        "ml-201",
        "excel-101",
        "de-201",
        "dl-301",
    ],
    "web": ["js-101", "ts-201", "react-201", "git-101", "py-101", "docker-201", "go-101", "linux-101"],
    "design": [
        "ux-101",
        "ui-201",
        "figma-101",
        "ds-201",
        "type-101",
        "access-201",
        "motion-201",
        "illus-201",
    ],
    "languages": ["en-101", "en-201", "ielts-201", "es-101", "de-101", "fr-101", "ja-101", "zh-101"],
    "business": [
        "startup-201",
        "pm-101",
        "agile-201",
        "fin-101",
        "acct-101",
        "lead-201",
        "product-201",
        "mkt-101",
    ],
    "zh": ["zh-py-101", "zh-data-101", "zh-ml-201", "zh-ux-101", "zh-en-101", "zh-pm-101", "zh-mkt-101"],
}
EXTRA_NAMES = [
    "ivan",
    "jade",
    "kofi",
    "lena",
    "mateo",
    "nora",
    "omar",
    "priya",
    "quinn",
    "rosa",
    "sami",
    "tara",
    "uma",
    "victor",
    "wen",
    "xia",
    "yusuf",
    "zara",
    "li",
    "mei",
    "arjun",
    "bea",
    "carl",
    "dina",
]


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


# What the extra members write, by topic: short chat lines, some glad, some stuck, some in Chinese.
CHATTER: dict[str, list[str]] = {
    "data": [
        "Finished the SQL joins exercises, window functions next 🎉",
        "My pandas groupby keeps returning NaN 😕",
        "Anyone up for a stats study session tonight?",
        "The visualization module is really good 👍",
        "Machine learning homework was tough but I learned a lot",
    ],
    "web": [
        "React hooks finally make sense",
        "TypeScript generics broke my brain today 😅",
        "Deployed my first Docker container!",
        "Git rebase vs merge, which do you use?",
        "The Go course exercises are great 👍",
    ],
    "design": [
        "Sharing my Figma prototype for feedback",
        "Typography module changed how I see every website",
        "Design systems are so much work but worth it",
        "Accessibility checklist saved my project 🙌",
        "Struggling with colour contrast on dark mode",
    ],
    "languages": [
        "Practised IELTS speaking for an hour",
        "German articles are confusing 😩",
        "Anyone want to do a French conversation exchange?",
        "Finished hiragana, katakana next 🎉",
        "Business English emails are getting easier",
    ],
    "business": [
        "Our sprint retro was actually useful today",
        "Pricing chapter of the startup course is gold 👍",
        "Accounting basics finally clicked",
        "Looking for a study partner for product management",
        "Leadership module: one-on-ones are harder than they look",
    ],
    "zh": [
        "今天学完了数据分析第一章 🎉",
        "Python 入门课的练习很有用 👍",
        "机器学习那一节有点难，求讨论",
        "有人一起学新媒体运营吗？",
        "项目管理课讲得很清楚",
    ],
}


def seed_if_empty(engine: Engine, *, platform: str, chat_id: str, now: datetime) -> bool:
    """Load the sample catalogue and community into a store without courses; False when it has some already.

    Under the store-wide seed lock: processes starting at once on a fresh store seed it once (the others wait,
    then find the courses)."""
    with db.locked_session(engine, db.SEED_LOCK) as s:
        if course_crud.count_courses(s) > 0:
            return False
        load_sample_catalog(s)
        seed_community(s, platform=platform, chat_id=chat_id, now=now)
    return True


def load_sample_catalog(s: Session) -> int:
    added, _ = course_crud.upsert_courses(s, courses=read_catalog(SAMPLE_CATALOG))
    return added


def seed_community(s: Session, *, platform: str, chat_id: str, now: datetime) -> None:
    """Members, scored messages over the last four weeks, and ratings of sample-catalogue courses."""
    group = crud.get_or_create_group(s, platform=platform, chat_id=chat_id, title=f"Console ({chat_id})")
    assert group.id is not None
    by_ext = {c.external_id: c for c in course_crud.list_courses(s) if c.external_id}
    analyzer = get_analyzer("builtin")
    member_ids: dict[str, int] = {}
    extra = _extra_ratings()
    rng = random.Random(11)
    clusters = list(CLUSTERS)
    people = {
        **MEMBERS,
        **{
            name: rng.sample(CHATTER[clusters[k % len(clusters)]], rng.randint(1, 4))
            for k, name in enumerate(extra)
        },
    }
    all_ratings = {**RATINGS, **extra}
    for i, (name, messages) in enumerate(people.items()):
        member = crud.get_or_create_member(s, platform=platform, user_id=name, display_name=name)
        assert member.id is not None
        crud.ensure_membership(s, group_id=group.id, member_id=member.id)
        for j, text in enumerate(messages):
            sent = now - timedelta(days=(3 * i + 7 * j) % 28 + 1, hours=(5 * i + 3 * j) % 14)
            row, _ = crud.store_message(
                s,
                group_id=group.id,
                member_id=member.id,
                platform_message_id=f"seed-{name}-{j}",
                sent_at=sent,
                text=text,
                text_length=len(text),
            )
            scored = analyzer.score_batch([text])[0]
            assert row.id is not None
            crud.set_message_sentiment(
                s, group_id=group.id, message_id=row.id, score=scored.score, label=scored.label
            )
        member_ids[name] = member.id
        for ext, stars in all_ratings.get(name, {}).items():
            course = by_ext.get(ext)
            if course is not None and course.id is not None:
                course_crud.upsert_rating(
                    s,
                    group_id=group.id,
                    member_id=member.id,
                    course_id=course.id,
                    value=float(stars),
                    at=now - timedelta(days=30 - i % 30),
                )
    _seed_helpful_answers(s, group_id=group.id, member_ids=member_ids, now=now)


# (who answers, whose question: (member, message index), answer, who reacts with which emoji)
HELPFUL: list[tuple[str, tuple[str, int], str, list[tuple[str, str]]]] = [
    (
        "alice",
        ("chen", 1),
        "I'm in! Python for Absolute Beginners (#1) is a good start, we could do a chapter a week 👍",
        [("chen", "👍"), ("ivan", "🎉")],
    ),
    (
        "dana",
        ("emil", 0),
        "Record yourself answering the part 2 cue cards, it helped me a lot",
        [("emil", "❤️")],
    ),
    (
        "alice",
        ("bob", 0),
        "The React course's hooks chapter pairs well with TypeScript in Practice (#5)",
        [("bob", "👍")],
    ),
]


def _seed_helpful_answers(s: Session, *, group_id: int, member_ids: dict[str, int], now: datetime) -> None:
    """A few replies that earned positive reactions, so the leaderboard's "helpful answers" have something."""
    for k, (author, (asker, index), text, reactions) in enumerate(HELPFUL):
        question = crud.get_message(s, group_id=group_id, platform_message_id=f"seed-{asker}-{index}")
        if question is None or author not in member_ids:
            continue
        answer_id = f"seed-answer-{k}"
        row, _ = crud.store_message(
            s,
            group_id=group_id,
            member_id=member_ids[author],
            platform_message_id=answer_id,
            sent_at=question.sent_at + timedelta(hours=1),
            text=text,
            text_length=len(text),
            reply_to_platform_id=question.platform_message_id,
        )
        for reactor, emoji in reactions:
            if reactor in member_ids:
                crud.add_reaction(
                    s,
                    group_id=group_id,
                    platform_message_id=answer_id,
                    member_id=member_ids[reactor],
                    emoji=emoji,
                    sentiment=emoji_sentiment(emoji),
                    at=row.sent_at + timedelta(minutes=30),
                )
