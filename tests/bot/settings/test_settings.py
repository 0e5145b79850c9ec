"""/settings registry: owners only, listing, timezone, a setting registered by another module."""

from __future__ import annotations

from bot.testing import TestBot
from storage import db
from storage.crud import core as crud
from storage.models import Group
from tests.bot.events.conftest import make_owner


async def test_timezone_owner_only_and_listed(bot: TestBot) -> None:
    denied = await bot.text("bob", "/settings timezone Asia/Shanghai")
    assert "owners" in denied
    await make_owner(bot)
    assert "Asia/Shanghai" in await bot.text("olga", "/settings timezone Asia/Shanghai")
    with db.session_scope(bot.app.engine) as s:
        group = crud.get_or_create_group(s, platform="test", chat_id="g1")
        assert group.timezone == "Asia/Shanghai"
    listing = await bot.text("olga", "/settings")
    assert "timezone" in listing and "Asia/Shanghai" in listing


async def test_bad_timezone_and_unknown_setting(bot: TestBot) -> None:
    await make_owner(bot)
    assert "don't know the time zone" in await bot.text("olga", "/settings timezone Mars/Olympus")
    assert "don't know" in await bot.text("olga", "/settings timezone ../../etc/passwd")
    assert "no setting" in await bot.text("olga", "/settings colour blue")
    with db.session_scope(bot.app.engine) as s:
        assert crud.get_or_create_group(s, platform="test", chat_id="g1").timezone == "UTC"


async def test_other_module_can_register(bot: TestBot) -> None:
    async def handler(ctx, value: str) -> str:  # type: ignore[no-untyped-def]
        with ctx.session() as s:
            g = s.get(Group, ctx.group_id)
            g.settings = {**g.settings, "probe": value}
            s.add(g)
        return f"probe set to {value}"

    bot.app.dispatcher.setting(
        "probe", handler, "a test setting", show=lambda g: str(g.settings.get("probe", ""))
    )
    await make_owner(bot)
    assert "probe set to 7" in await bot.text("olga", "/settings probe 7")
    assert "`probe` = 7" in await bot.text("olga", "/settings")
