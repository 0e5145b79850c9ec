"""/settings retention and the daily job that removes old message text (derived signals stay)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import CohortApp
from bot.testing import TestBot
from common.clock import FakeClock
from community.signals.retention import RetentionError, parse_retention, purge_all
from tests.helpers import group_settings, ids, make_owner, messages_of


async def test_retention_removes_old_text_now_and_daily(
    bot: TestBot, running: CohortApp, clock: FakeClock
) -> None:
    now = clock.now()
    await bot.say("alice", "an old great message", at=now - timedelta(days=40))
    await bot.say("alice", "a recent great message", at=now - timedelta(days=5))
    await running.services.scorer.worker.stop()
    make_owner(bot, "olivia")
    text = await bot.text("olivia", "/settings retention 30d")
    assert "keeps *message text for 30 days*" in text and "Removed the text of 1 older message" in text
    rows = messages_of(running, "alice")
    assert [r.text for r in rows] == [None, "a recent great message"]
    assert all(r.sentiment is not None for r in rows)  # derived signals stay
    group_id, _ = ids(bot, "olivia")
    assert group_settings(running, group_id)["retention_days"] == 30
    assert "signals-retention" in running.scheduler.job_ids()
    clock.advance(days=26)  # the recent message is now 31 days old
    with running.services.store.session() as s:
        assert purge_all(s, now=clock.now()) == 1
    assert [r.text for r in messages_of(running, "alice")] == [None, None]
    listing = await bot.text("olivia", "/settings")
    assert "`retention` = 30d" in listing


async def test_retention_zero_keeps_no_text_and_forever_lifts_the_limit(bot: TestBot, app: CohortApp) -> None:
    make_owner(bot, "olivia")
    await bot.say("alice", "before")
    assert "no message text at all" in await bot.text("olivia", "/settings retention 0")
    await bot.say("alice", "after")
    assert [r.text for r in messages_of(app, "alice")] == [None, None]
    assert "without a limit" in await bot.text("olivia", "/settings retention forever")
    group_id, _ = ids(bot, "olivia")
    assert "retention_days" not in group_settings(app, group_id)
    await bot.say("alice", "kept again")
    assert [r.text for r in messages_of(app, "alice")][-1] == "kept again"


async def test_retention_of_one_group_leaves_another_alone(
    bot: TestBot, app: CohortApp, clock: FakeClock
) -> None:
    other = bot.in_chat("g2")
    await other.say("alice", "other group text", at=clock.now() - timedelta(days=400))
    make_owner(bot, "olivia")
    await bot.text("olivia", "/settings retention 1")
    assert [r.text for r in messages_of(app, "alice")] == ["other group text"]


@pytest.mark.parametrize("value", ["abc", "99999d", "-1", "30 weeks", "1e9", "<b>30</b>"])
async def test_bad_retention_values_get_a_clear_answer(bot: TestBot, app: CohortApp, value: str) -> None:
    make_owner(bot, "olivia")
    text = await bot.text("olivia", f"/settings retention {value}")
    assert "number of days" in text or "At most 3650 days" in text
    group_id, _ = ids(bot, "olivia")
    assert "retention_days" not in group_settings(app, group_id)


async def test_retention_without_value_and_by_non_owner(bot: TestBot) -> None:
    make_owner(bot, "olivia")
    assert "Say how long to keep message text" in await bot.text("olivia", "/settings retention")
    assert (
        await bot.text("mallory", "/settings retention 0")
        == "Sorry, `/settings` is for group owners and admins."
    )


def test_parse_retention() -> None:
    assert parse_retention("30d") == 30 and parse_retention(" 7 days ") == 7 and parse_retention("0") == 0
    assert parse_retention("Forever") is None
    for bad in ("", "d", "3651", "x30"):
        with pytest.raises(RetentionError):
            parse_retention(bad)
