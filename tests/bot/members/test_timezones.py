"""Time zones through the chat: one parser for /timezone and /settings timezone, offsets shown as offsets, and a bad
zone already in the store never crashes /buddy status, /timezone or a scheduled round."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from bot.commands import buddies as buddy_jobs
from bot.testing import TestBot
from storage import db
from storage.crud import core as core_crud
from storage.models import Group, Member
from tests.helpers import ids, make_owner


async def test_offset_outside_the_world_is_refused_and_nothing_breaks(bot: TestBot) -> None:
    make_owner(bot, "olga")
    out = await bot.text("olga", "/timezone UTC-13")
    assert "UTC-12" in out and "UTC+14" in out and "Time zone set" not in out
    with db.session_scope(bot.app.engine) as s:
        assert all(m.timezone in (None, "UTC") for m in s.exec(select(Member)).all())
    # the plan is saved and the status of every member still answers
    rounds = await bot.text("olga", "/buddy rounds weekly mon 10:00")
    assert "Buddy rounds weekly" in rounds
    assert "Your time zone: UTC." in await bot.text("olga", "/buddy status")
    assert "Your time zone: UTC." in await bot.text("ann", "/buddy status")


async def test_offsets_are_shown_as_offsets(bot: TestBot) -> None:
    out = await bot.text("ann", "/timezone UTC+14")
    assert "Time zone set to *UTC+14*;" in out and "Etc/" not in out
    out = await bot.text("ann", "/timezone UTC+5")
    assert "Time zone set to *UTC+5*;" in out and "Etc/" not in out
    assert "UTC-12" in await bot.text("ann", "/timezone UTC-12")
    out = await bot.text("ann", "/timezone")
    assert "Your time zone: *UTC-12*;" in out and "Etc/" not in out
    await bot.say("ann", "/timezone UTC")
    out = await bot.text("ann", "/timezone")
    assert "Your time zone: *UTC*;" in out and "UTC (UTC)" not in out
    status = await bot.text("ann", "/buddy status")
    assert "Your time zone: UTC." in status and "UTC (UTC)" not in status
    await bot.say("ann", "/timezone Europe/Berlin")
    assert "Your time zone: Europe/Berlin (UTC+1)." in await bot.text("ann", "/buddy status")


@pytest.mark.parametrize(
    "raw", ["Factory", "posixrules", "localtime", "right/UTC", "posix/Europe/Berlin", "UTC-13", "UTC+15"]
)
async def test_settings_timezone_refuses_what_is_not_a_zone(bot: TestBot, raw: str) -> None:
    make_owner(bot, "olga")
    out = await bot.text("olga", f"/settings timezone {raw}")
    assert "This group's time zone is now" not in out
    assert "'" not in out.split("time zone", 1)[-1][:3]  # the input is echoed as text, not as a Python repr
    with db.session_scope(bot.app.engine) as s:
        assert core_crud.get_or_create_group(s, platform="test", chat_id="g1").timezone == "UTC"


@pytest.mark.parametrize("raw", ["Factory", "posixrules", "localtime", "right/UTC"])
async def test_timezone_refuses_what_is_not_a_zone(bot: TestBot, raw: str) -> None:
    out = await bot.text("ann", f"/timezone {raw}")
    assert "Time zone set" not in out and "don't know" in out


async def test_settings_timezone_uses_the_same_parser(bot: TestBot) -> None:
    make_owner(bot, "olga")
    out = await bot.text("olga", "/settings timezone UTC+5")
    assert "now *UTC+5*" in out and "Etc/" not in out
    out = await bot.text("olga", "/settings timezone berlin")
    assert "now *Europe/Berlin*" in out
    with db.session_scope(bot.app.engine) as s:
        assert core_crud.get_or_create_group(s, platform="test", chat_id="g1").timezone == "Europe/Berlin"
    assert "UTC-12" in await bot.text("olga", "/settings timezone UTC-13")
    out = await bot.text("olga", "/settings timezone Berlinn")
    assert "Europe/Berlin" in out and "'Berlinn'" not in out


async def test_a_bad_zone_in_the_store_falls_back_to_utc(
    bot: TestBot, caplog: pytest.LogCaptureFixture
) -> None:
    make_owner(bot, "olga")
    for who in ("ann", "ben"):
        await bot.say(who, "/buddy join python")
    group_id, ann = ids(bot, "ann")
    assert "Buddy rounds weekly" in await bot.text("olga", "/buddy rounds weekly mon 10:00")
    with db.session_scope(bot.app.engine) as s:
        for m in s.exec(select(Member)).all():
            m.timezone = "Etc/GMT+13"
            s.add(m)
        g = s.get(Group, group_id)
        assert g is not None
        g.timezone = "Mars/Olympus"
        g.settings = {**g.settings, "buddy_rounds": {**g.settings["buddy_rounds"], "tz": "Etc/GMT+13"}}
        s.add(g)
    with caplog.at_level(logging.WARNING):
        status = await bot.text("ann", "/buddy status")
        assert "Your time zone: UTC." in status and "next *Mon 30 Nov 10:00 (UTC)*" in status
        assert "Your time zone: *UTC*" in await bot.text("ann", "/timezone")
        await buddy_jobs.schedule_all(bot.app.services)
        await buddy_jobs.run_scheduled_round(bot.app.services, group_id)
        assert "Buddy rounds weekly" in await bot.text("olga", "/buddy rounds weekly tue 09:00")
    assert "Etc/GMT+13" in caplog.text


async def test_event_times_name_an_offset_zone_as_an_offset(bot: TestBot) -> None:
    make_owner(bot, "olga")
    await bot.say("olga", "/timezone UTC+5")
    replies = await bot.say("olga", "/event add Study hall | 2026-12-03 18:00")
    saved = await bot.press("olga", replies[-1].flat_buttons[0].payload)
    assert "Saved as event" in "\n".join(r.rich.to_plain() for r in saved)
    listing = await bot.text("olga", "/events")
    assert "times in UTC+5" in listing and "Etc/" not in listing
