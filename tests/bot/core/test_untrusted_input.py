"""Huge, control-character and markup-looking messages are stored bounded and echoed safely."""

from __future__ import annotations

from sqlmodel import select

from bot.testing import TestBot
from storage import db
from storage.models import Group, Message


def stored(bot: TestBot) -> list[Message]:
    with db.session_scope(bot.app.engine) as s:
        return list(s.exec(select(Message).order_by(Message.id)))  # type: ignore[arg-type]


async def test_100kb_message_is_stored_bounded(bot: TestBot) -> None:
    await bot.say("alice", "a" * 100_000)
    [row] = stored(bot)
    assert row.text is not None and len(row.text) <= 16_000
    assert row.text_length <= 16_000


async def test_control_characters_are_removed(bot: TestBot) -> None:
    await bot.say("alice", "hi\x00\x07 there\x1b[2J \u202eevil")
    [row] = stored(bot)
    assert row.text == "hi there[2J evil"


async def test_markup_lookalikes_are_echoed_escaped(bot: TestBot, catalog: int) -> None:
    replies = await bot.say("alice", "/courses <b>bold</b> *star* [x](http://e.vil) @everyone")
    html = replies[0].rich.to_html()
    md = replies[0].rich.to_markdown()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "@everyone" not in md and "\\*star\\*" in md
    huge_query = "/courses " + "x" * 50_000
    out = (await bot.say("alice", huge_query))[0].rich.to_plain()
    assert len(out) < 1_000


async def test_huge_command_does_not_crash(bot: TestBot, catalog: int) -> None:
    out = await bot.text("alice", "/rate " + "9" * 100_000)
    assert "not a course number" in out or "Usage" in out


async def test_retention_zero_keeps_no_text(bot: TestBot) -> None:
    await bot.say("alice", "first")
    with db.session_scope(bot.app.engine) as s:
        group = s.exec(select(Group)).one()
        group.settings = {**group.settings, "retention_days": 0}
        s.add(group)
    await bot.say("alice", "second, never stored")
    rows = stored(bot)
    assert [r.text for r in rows] == ["first", None]
    assert rows[1].text_length == len("second, never stored")


async def test_bot_messages_are_ignored(bot: TestBot) -> None:
    from bot.types import ChatUser
    from bot.types import Message as InMessage

    await bot.app.handle(
        InMessage(
            id="b1",
            chat=bot.chat,
            author=ChatUser("test", "botty", "Botty", is_bot=True),
            text="/help",
            sent_at=bot.app.clock.now(),
        ),
        bot.adapter,
    )
    assert bot.adapter.sent == [] and stored(bot) == []
