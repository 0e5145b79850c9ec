"""Fixtures for the events feature: an owner in the test group and helpers to read the store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.testing import TestBot
from storage import db
from storage.crud import core as crud


async def make_owner(bot: TestBot, name: str = "olga") -> None:
    """Make `name` an owner of the bot's current group (as `cohort chat --owner` does)."""
    await bot.say(name, "hello")
    with db.session_scope(bot.app.engine) as s:
        group = crud.get_or_create_group(s, platform=bot.chat.platform, chat_id=bot.chat.chat_id)
        member = crud.get_or_create_member(s, platform=bot.chat.platform, user_id=name.lower())
        assert group.id is not None and member.id is not None
        crud.set_role(s, group_id=group.id, member_id=member.id, role="owner")


@pytest.fixture
async def owner(bot: TestBot) -> str:
    await make_owner(bot)
    return "olga"


AddEvent = Callable[..., Awaitable[int]]


@pytest.fixture
def add_event(bot: TestBot, owner: str) -> AddEvent:
    """Add and confirm an event through the chat; returns its id."""

    async def add(spec: str, *, who: str = owner, chat: TestBot | None = None) -> int:
        b = chat or bot
        replies = await b.say(who, f"/event add {spec}")
        assert replies and replies[-1].flat_buttons, replies[-1].rich.to_plain() if replies else "no reply"
        save = replies[-1].flat_buttons[0].payload
        out = await b.press(who, save)
        text = "\n".join(r.rich.to_plain() for r in out)
        assert "Saved as event" in text, text
        return int(text.split("*#")[1].split("*")[0])

    return add
