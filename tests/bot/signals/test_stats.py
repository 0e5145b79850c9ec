"""/stats: a real PNG chart whose numbers match the store, plus a three-line summary; owners only."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import text

from bot.app import CohortApp
from bot.testing import TestBot
from common.clock import FakeClock
from storage import db
from tests.helpers import ids, make_owner


async def seed(bot: TestBot, app: CohortApp, clock: FakeClock) -> None:
    now = clock.now()
    await bot.say("alice", "hi all, long time member", at=now - timedelta(days=60))  # before the window
    await bot.say(
        "alice", "Python for Absolute Beginners is great, I love it", at=now - timedelta(days=3, hours=2)
    )
    await bot.say("bob", "I am new here, hello!", at=now - timedelta(days=3, hours=1))
    await bot.say("bob", "Python for Absolute Beginners was boring and awful", at=now - timedelta(days=1))
    await bot.say("carol", "Git and GitHub Essentials helped me a lot, thanks", at=now - timedelta(hours=1))
    await bot.say("dave", "Git and GitHub Essentials, an old post", at=now - timedelta(days=45))
    await bot.say("alice", "/rate 1 5")
    await bot.say("bob", "/rate 1 3")
    await bot.say("carol", "/rate 9 4")
    await bot.in_chat("g2").say("zed", "Python for Absolute Beginners in another group", at=now)


def expected_from_store(app: CohortApp, group_id: int, now: datetime, days: int) -> dict[str, object]:
    """The chart's numbers recomputed with plain SQL, independently of community.signals.stats."""
    first_day = now.date() - timedelta(days=days - 1)
    since = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    with db.session_scope(app.engine) as s:
        rows = s.execute(
            text("SELECT member_id, sent_at, sentiment FROM message WHERE group_id = :g AND is_command = :f"),
            {"g": group_id, "f": False},
        ).all()
        mention_rows = s.execute(
            text("SELECT course_id, created_at FROM coursemention WHERE group_id = :g"), {"g": group_id}
        ).all()
        rated = s.execute(
            text(
                "SELECT course_id, count(*), avg(value) FROM rating WHERE group_id = :g AND source = 'rate' "
                "GROUP BY course_id"
            ),
            {"g": group_id},
        ).all()

    def utc(v: object) -> datetime:
        d = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
        return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)

    msgs = [(m, utc(t), s) for m, t, s in rows]
    mention_counts: dict[int, int] = defaultdict(int)
    for course_id, at in mention_rows:
        if utc(at) >= since:
            mention_counts[course_id] += 1
    first_seen: dict[int, date] = {}
    for m, t, _ in sorted(msgs, key=lambda x: x[1]):
        first_seen.setdefault(m, t.date())
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    per_day: dict[date, int] = defaultdict(int)
    scores: dict[date, list[float]] = defaultdict(list)
    authors: dict[date, set[int]] = defaultdict(set)
    hours = [0] * 24
    for m, t, sc in msgs:
        if since <= t <= now:
            per_day[t.date()] += 1
            hours[t.hour] += 1
            authors[t.date()].add(m)
            if sc is not None:
                scores[t.date()].append(sc)
    new = [sum(1 for a in authors[d] if first_seen[a] == d) for d in day_list]
    return {
        "days": [d.isoformat() for d in day_list],
        "messages_per_day": [per_day[d] for d in day_list],
        "sentiment_per_day": [
            round(sum(scores[d]) / len(scores[d]), 4) if scores[d] else None for d in day_list
        ],
        "messages_per_hour": hours,
        "new_members_per_day": new,
        "returning_members_per_day": [len(authors[d]) - n for d, n in zip(day_list, new, strict=True)],
        "top_discussed": sorted([[c, n] for c, n in mention_counts.items()], key=lambda x: (-x[1], x[0])),
        "top_rated": sorted(
            [[c, n, round(float(a), 4)] for c, n, a in rated], key=lambda x: (-x[1], -x[2], x[0])
        ),
    }


def png_numbers(data: bytes) -> tuple[tuple[int, int], dict[str, Any]]:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image.size, json.loads(image.text["Comment"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("days", [30, 7])
async def test_stats_chart_matches_the_store(
    bot: TestBot, running: CohortApp, clock: FakeClock, catalog: int, backend: str, days: int
) -> None:
    await seed(bot, running, clock)
    scorer = running.services.scorer
    await scorer.worker.stop()  # flush scoring so every message has its sentiment
    make_owner(bot, "olivia")
    replies = await bot.say("olivia", f"/stats {days}")
    assert len(replies) == 1
    reply = replies[0]
    assert reply.attachment is not None and reply.attachment.mime == "image/png"
    assert reply.attachment.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 20_000 < len(reply.attachment.data) < 2_000_000
    size, numbers = png_numbers(reply.attachment.data)
    assert size[0] >= 800 and size[1] >= 600
    group_id, _ = ids(bot, "olivia")
    assert numbers == expected_from_store(running, group_id, clock.now(), days)
    assert sum(numbers["messages_per_day"]) == 4
    lines = reply.rich.to_plain().split("\n")
    assert len(lines) == 3
    assert lines[0] == f"In the last {days} days: *4* messages from *3* members (2 new)."
    assert "busiest hour" in lines[1]
    assert "Python for Absolute Beginners" in lines[2]


async def test_stats_of_a_quiet_group_and_default_days(bot: TestBot, app: CohortApp) -> None:
    make_owner(bot, "olivia")
    reply = (await bot.say("olivia", "/stats"))[0]
    assert reply.attachment is not None
    _, numbers = png_numbers(reply.attachment.data)
    assert len(numbers["days"]) == 30 and sum(numbers["messages_per_day"]) == 0
    assert reply.rich.to_plain().startswith("In the last 30 days: *0* messages")


@pytest.mark.parametrize("arg", ["99999", "0", "-3", "abc", "30 40", "1e3", "💥" * 50])
async def test_stats_bad_days_get_the_usage_line(bot: TestBot, arg: str) -> None:
    make_owner(bot, "olivia")
    replies = await bot.say("olivia", f"/stats {arg}")
    assert len(replies) == 1 and replies[0].attachment is None
    out = replies[0].rich.to_plain()
    assert "Usage: `/stats [days 1-365]`" in out
    assert len(out) < 200


async def test_stats_is_for_owners_only(bot: TestBot) -> None:
    replies = await bot.say("mallory", "/stats")
    assert [r.rich.to_plain() for r in replies] == ["Sorry, `/stats` is for group owners and admins."]
    assert replies[0].attachment is None


@pytest.mark.parametrize("arg", ["٣٠", "３０", "𝟑𝟎", "²", "x\u0600", "30\u0600", "1٣d", "+", "30 d"])
async def test_stats_days_are_ascii_numbers_and_never_echoed_as_python_escapes(
    bot: TestBot, arg: str
) -> None:
    make_owner(bot, "olivia")
    replies = await bot.say("olivia", f"/stats {arg}")
    assert len(replies) == 1 and replies[0].attachment is None
    out = replies[0].rich.to_plain()
    assert "Usage: `/stats [days 1-365]`" in out
    assert "\\u" not in out and "\\x" not in out and "'" not in out


@pytest.mark.parametrize(("arg", "days"), [("7", 7), ("30d", 30), ("365D", 365), ("0007", 7), ("1", 1)])
async def test_stats_days_forms(bot: TestBot, arg: str, days: int) -> None:
    make_owner(bot, "olivia")
    reply = (await bot.say("olivia", f"/stats {arg}"))[0]
    assert reply.attachment is not None and reply.attachment.filename == f"stats-{days}d.png"
    _, numbers = png_numbers(reply.attachment.data)
    assert len(numbers["days"]) == days


async def test_stats_words_counts_of_one_in_the_singular(
    bot: TestBot, running: CohortApp, clock: FakeClock, catalog: int
) -> None:
    make_owner(bot, "olivia")
    await bot.say("alice", "Python for Absolute Beginners is great", at=clock.now() - timedelta(hours=1))
    await bot.say("alice", "/rate 1 5")
    reply = (await bot.say("olivia", "/stats 1"))[0]
    lines = reply.rich.to_plain().split("\n")
    assert lines[0] == "Today: *1* message from *1* member (1 new)."
    assert lines[2].endswith("(5.0/5 from 1 rating).")
    assert reply.attachment is not None
    _, numbers = png_numbers(reply.attachment.data)
    assert numbers["days"] == [clock.now().date().isoformat()]
