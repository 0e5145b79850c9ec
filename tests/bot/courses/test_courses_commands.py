"""/courses, /course and /rate through the chat, including bad input and group isolation."""

from __future__ import annotations

from sqlmodel import select

from bot.testing import TestBot
from storage import db
from storage.models import Rating


def ratings(bot: TestBot) -> list[Rating]:
    with db.session_scope(bot.app.engine) as s:
        return list(s.exec(select(Rating)))


async def test_courses_search_best_first_and_paged(bot: TestBot, catalog: int) -> None:
    replies = await bot.say("alice", "/courses python")
    text = replies[0].rich.to_plain()
    first_line = text.splitlines()[1]
    assert "Python" in first_line
    assert "page 1 of" in text
    more = [b for b in replies[0].flat_buttons if b.label.startswith("More")]
    assert more, "a long result list offers a More button"
    page2 = (await bot.press("alice", more[0].payload))[0].rich.to_plain()
    assert "page 2 of" in page2
    assert set(page2.splitlines()[1:6]).isdisjoint(text.splitlines()[1:6])


async def test_courses_chinese_query(bot: TestBot, catalog: int) -> None:
    out = await bot.text("chen", "/courses 数据分析")
    assert "数据分析实战" in out.splitlines()[1]


async def test_courses_no_match(bot: TestBot, catalog: int) -> None:
    out = await bot.text("alice", "/courses quantumbasketweaving")
    assert "No course matches" in out


async def test_rate_then_course_counts_it(bot: TestBot, catalog: int) -> None:
    assert "Rated" in await bot.text("alice", "/rate 3 5")
    out = await bot.text("bob", "/course 3")
    assert "5.0/5 from 1 rating" in out
    assert "Updated your rating" in await bot.text("alice", "/rate 3 4")
    assert len(ratings(bot)) == 1 and ratings(bot)[0].value == 4.0
    assert "Your rating: 4/5" in await bot.text("alice", "/course #3")


async def test_bad_ratings_store_nothing(bot: TestBot, catalog: int) -> None:
    assert "from 1 to 5, not 9" in await bot.text("bob", "/rate 3 9")
    assert "from 1 to 5, not 0" in await bot.text("bob", "/rate 3 0")
    assert "no course #9999" in await bot.text("bob", "/rate 9999 4")
    assert "not a course number" in await bot.text("bob", "/rate abc 4")
    assert "not a whole number" in await bot.text("bob", "/rate 3 five")
    assert "Usage" in await bot.text("bob", "/rate 3 4 extra")
    assert "not a whole number" in await bot.text("bob", "/rate 3 4.5")
    assert ratings(bot) == []


async def test_unknown_course_details(bot: TestBot, catalog: int) -> None:
    assert "no course #424242" in await bot.text("alice", "/course 424242")
    assert "not a course number" in await bot.text("alice", "/course <script>")


async def test_ratings_never_cross_groups(bot: TestBot, catalog: int) -> None:
    other = bot.in_chat("g2", "Other group")
    await other.say("alice", "/rate 3 1")
    out = await bot.text("bob", "/course 3")
    assert "No ratings in this group yet" in out
    assert "Your rating" not in await bot.text("alice", "/course 3")
