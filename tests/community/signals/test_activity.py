"""Reactions as signals and the activity windows, streaks and helpful answers built from them."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot.app import CohortApp
from bot.testing import TestBot
from common.clock import FakeClock
from community.signals.activity import leaderboard_score, member_activity, streaks
from community.signals.sentiment import emoji_sentiment
from storage import db
from storage.models import Reaction
from tests.helpers import ids


def reactions(app: CohortApp) -> list[Reaction]:
    with db.session_scope(app.engine) as s:
        return list(s.exec(select(Reaction).order_by(col(Reaction.id))))


def activity(bot: TestBot) -> dict[int, object]:
    group_id, _ = ids(bot, "alice")
    with db.session_scope(bot.app.engine) as s:
        return member_activity(s, group_id=group_id, now=bot.app.clock.now())  # type: ignore[return-value]


async def test_reaction_is_stored_with_emoji_sentiment_and_removal_undoes_it(
    bot: TestBot, app: CohortApp
) -> None:
    await bot.say("alice", "here is how you fix the import error", message_id="a1")
    await bot.react("bob", "a1", "👍")
    await bot.react("bob", "a1", "👍")  # redelivered: counted once
    await bot.react("carol", "a1", "😡")
    rows = reactions(app)
    assert [(r.emoji, r.sentiment) for r in rows] == [
        ("👍", emoji_sentiment("👍")),
        ("😡", emoji_sentiment("😡")),
    ]
    assert rows[0].sentiment > 0 > rows[1].sentiment
    _, alice = ids(bot, "alice")
    _, bob = ids(bot, "bob")
    sig = activity(bot)
    assert sig[alice].all_time.reactions_received == 2  # type: ignore[attr-defined]
    assert sig[bob].all_time.reactions_given == 1  # type: ignore[attr-defined]
    await bot.react("bob", "a1", "👍", action="remove")
    await bot.react("bob", "a1", "👍", action="remove")  # removing twice is harmless
    assert [r.emoji for r in reactions(app)] == ["😡"]
    sig = activity(bot)
    assert sig[alice].all_time.reactions_received == 1  # type: ignore[attr-defined]
    assert bob not in sig or sig[bob].all_time.reactions_given == 0  # type: ignore[attr-defined]


async def test_reaction_bad_input_and_unknown_message_never_crash(bot: TestBot, app: CohortApp) -> None:
    await bot.react("bob", "never-stored", "🎉")  # e.g. a reaction to the bot's own message
    await bot.react("bob", "x", "")  # empty emoji: nothing to count
    await bot.react("bob", "y", "\x00" * 500)
    rows = reactions(app)
    assert [(r.platform_message_id, r.message_id) for r in rows] == [("never-stored", None)]


async def test_helpful_answer_needs_a_reply_to_someone_else_with_a_positive_reaction(bot: TestBot) -> None:
    await bot.say("alice", "how do I install python?", message_id="q1")
    await bot.say("bob", "use the installer from python.org", message_id="a1", reply_to="q1")
    await bot.say("bob", "replying to myself", message_id="a2", reply_to="a1")
    await bot.say("bob", "not a reply", message_id="a3")
    for mid in ("a1", "a2", "a3"):
        await bot.react("alice", mid, "🙏")
    await bot.react("bob", "a1", "👍")  # the author's own reaction does not count
    _, bob = ids(bot, "bob")
    assert activity(bot)[bob].all_time.helpful_answers == 1  # type: ignore[attr-defined]
    await bot.react("alice", "a1", "🙏", action="remove")
    assert activity(bot)[bob].all_time.helpful_answers == 0  # type: ignore[attr-defined]
    await bot.react("carol", "a1", "👎")  # negative reactions never make an answer helpful
    assert activity(bot)[bob].all_time.helpful_answers == 0  # type: ignore[attr-defined]


async def test_windows_active_days_and_streaks(bot: TestBot, clock: FakeClock) -> None:
    now = clock.now()
    # alice: today, yesterday, 2 days ago (streak 3), plus 10 and 40 days ago
    for days_ago in (0, 1, 2, 10, 40):
        await bot.say("alice", f"hello {days_ago}", at=now - timedelta(days=days_ago))
    await bot.say("alice", "second today", at=now - timedelta(minutes=5))
    # bob: 3 messages 2 days ago only -> streak 0 (not yesterday or today)
    for i in range(3):
        await bot.say("bob", f"spam {i}", at=now - timedelta(days=2, minutes=i))
    await bot.say("bob", "/help")  # commands are not activity
    _, alice = ids(bot, "alice")
    _, bob = ids(bot, "bob")
    sig = activity(bot)
    a, b = sig[alice], sig[bob]  # type: ignore[index]
    assert (a.week.messages, a.month.messages, a.all_time.messages) == (4, 5, 6)  # type: ignore[attr-defined]
    assert (a.week.active_days, a.month.active_days, a.all_time.active_days) == (3, 4, 5)  # type: ignore[attr-defined]
    assert (a.streak, a.longest_streak) == (3, 3)  # type: ignore[attr-defined]
    assert (b.week.messages, b.streak, b.longest_streak) == (3, 0, 1)  # type: ignore[attr-defined]


def test_streak_counts_from_yesterday_when_today_is_quiet() -> None:
    from datetime import date

    today = date(2026, 11, 27)
    days = {today - timedelta(days=n) for n in (1, 2, 3, 7, 8)}
    assert streaks(days, today) == (3, 3)
    assert streaks(set(), today) == (0, 0)


def test_leaderboard_score_prefers_consistency_over_volume() -> None:
    from community.signals.activity import WindowStats

    spammer = WindowStats(messages=100, active_days=1)
    steady = WindowStats(messages=7, active_days=7)
    helper = WindowStats(messages=3, active_days=2, helpful_answers=2)
    assert leaderboard_score(spammer) == 12.0  # 2·1 + √100
    assert leaderboard_score(steady) > leaderboard_score(spammer)
    assert leaderboard_score(helper) > leaderboard_score(spammer)


async def test_sentiment_written_and_received(bot: TestBot, running: CohortApp) -> None:
    await bot.say("alice", "my code does not work", message_id="q")
    await bot.say("bob", "great question, this is wonderful and helpful", message_id="r", reply_to="q")
    await bot.react("carol", "q", "❤️")
    await running.stop()
    _, alice = ids(bot, "alice")
    _, bob = ids(bot, "bob")
    sig = activity(bot)
    with db.session_scope(running.engine) as s:
        from storage.models import Message

        reply = s.exec(select(Message).where(Message.platform_message_id == "r")).one()
    assert sig[bob].sentiment_written == reply.sentiment  # type: ignore[attr-defined]
    expected = (reply.sentiment + emoji_sentiment("❤️")) / 2  # type: ignore[operator]
    assert abs(sig[alice].sentiment_received - expected) < 1e-9  # type: ignore[attr-defined]
