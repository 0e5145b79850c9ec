"""/me and /leaderboard through the fake adapter."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.app import CohortApp
from bot.testing import TestBot
from common.clock import FakeClock
from storage import db
from storage.models import BuddyProfile
from tests.helpers import ids


async def test_me_is_private_and_shows_activity_streak_helpful_ratings_and_buddy(
    bot: TestBot, app: CohortApp, clock: FakeClock, catalog: int
) -> None:
    now = clock.now()
    await bot.say("alice", "how do I start?", message_id="q", at=now - timedelta(days=1))
    await bot.say("bob", "try the beginners course", message_id="a", reply_to="q", at=now - timedelta(days=1))
    await bot.say("bob", "and practise every day", at=now)
    await bot.react("alice", "a", "👍")
    await bot.say("bob", "/rate 1 5")
    group_id, bob = ids(bot, "bob")
    with db.session_scope(app.engine) as s:
        s.add(BuddyProfile(group_id=group_id, member_id=bob, topics=["python"]))
    replies = await bot.say("bob", "/me")
    assert len(replies) == 1
    reply = replies[0]
    assert reply.direct_to == bot.user("bob")
    text = reply.rich.to_plain()
    assert "Messages: 2 this week · 2 in 30 days · 2 in all" in text
    assert "Active days: 2 this week" in text
    assert "Streak: 2 days (longest 2)" in text
    assert "Helpful answers: 1" in text
    assert "Reactions: 0 given · 1 received" in text
    assert "Your ratings: *Python for Absolute Beginners* 5/5" in text
    assert "Study buddy: looking for a buddy" in text


async def test_me_for_a_newcomer(bot: TestBot) -> None:
    text = await bot.text("zoe", "/me")
    assert "Messages: 0 this week · 0 in 30 days · 0 in all" in text
    assert "Streak: 0 days" in text
    assert "Your ratings: none yet" in text
    assert "Study buddy: not signed up" in text


async def seed_board(bot: TestBot, clock: FakeClock) -> None:
    now = clock.now()
    for i in range(30):  # the spammer: 30 messages in one burst today
        await bot.say("spammer", f"buy my stuff {i}", at=now - timedelta(minutes=i))
    for day in range(6):  # steady: one message on each of six days
        await bot.say("steady", f"day {day} progress", at=now - timedelta(days=day))
    await bot.say("asker", "what is a closure?", message_id="q", at=now - timedelta(days=2))
    for k in range(2):
        await bot.say("helper", f"answer {k}", message_id=f"h{k}", reply_to="q", at=now - timedelta(days=2))
        await bot.react("asker", f"h{k}", "🙏")
    await bot.say("hidden", "I post a lot", at=now)
    await bot.say("hidden", "/optout")
    await bot.say("veteran", "old times", at=now - timedelta(days=100))


async def test_leaderboard_rewards_help_and_consistency_and_hides_opted_out(
    bot: TestBot, clock: FakeClock
) -> None:
    await seed_board(bot, clock)
    lines = (await bot.text("asker", "/leaderboard")).split("\n")
    assert lines[0] == "*Leaderboard — the last 30 days*"
    names = [line.split("*")[1] for line in lines[1:-1]]
    # steady 2·6+√6=14.4; helper 5·2+2·1+√2=13.4; spammer 2·1+√30=7.5; asker 2+1=3; hidden opted out
    assert names == ["steady", "helper", "spammer", "asker"]
    assert lines[1] == "1. *steady* — 14.4 (0 helpful, 6 active days, 6 messages)"
    assert "5 × helpful answers + 2 × active days + √messages" in lines[-1]
    assert "veteran" in await bot.text("asker", "/leaderboard all")
    assert "veteran" not in await bot.text("asker", "/leaderboard week")
    assert "hidden" not in await bot.text("asker", "/leaderboard all")


async def test_leaderboard_of_another_group_shows_only_its_members(bot: TestBot, clock: FakeClock) -> None:
    await seed_board(bot, clock)
    other = bot.in_chat("g2")
    await other.say("steady", "hello other group")
    lines = (await other.text("steady", "/leaderboard all")).split("\n")
    assert [line.split("*")[1] for line in lines[1:-1]] == ["steady"]
    assert lines[1] == "1. *steady* — 3 (0 helpful, 1 active day, 1 message)"


async def test_empty_leaderboard(bot: TestBot) -> None:
    assert "Nobody has a score yet" in await bot.text("zoe", "/leaderboard week")


@pytest.mark.parametrize("arg", ["century", "week month", "WEEK!", "<b>x</b>", "9" * 300])
async def test_leaderboard_bad_period_gets_usage(bot: TestBot, arg: str) -> None:
    text = await bot.text("zoe", f"/leaderboard {arg}")
    assert "Usage: `/leaderboard [week|month|all]`" in text
    assert "Choose a period: week, month, all." in text


async def test_help_documents_the_score(bot: TestBot) -> None:
    text = await bot.text("zoe", "/help leaderboard")
    assert "5 × helpful answers + 2 × active days + √messages" in text


async def test_me_and_leaderboard_word_counts_of_one_in_the_singular(bot: TestBot, clock: FakeClock) -> None:
    await bot.say("solo", "my first message", at=clock.now() - timedelta(minutes=5))
    me = await bot.text("solo", "/me")
    assert "Streak: 1 day (longest 1)" in me
    board = await bot.text("solo", "/leaderboard week")
    assert "1. *solo* — 3 (0 helpful, 1 active day, 1 message)" in board
    for text in (me, board):
        assert (
            re.search(r"(?<![\d.,])1 (messages|days|active days|members|ratings|answers)\b", text) is None
        ), text
