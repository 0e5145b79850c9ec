"""Discord-style chats: the group is the guild (`Chat.chat_id`) and messages live in channels
(`reply_channel_id`). The event card's channel is kept, so in-place edits (RSVP counts, cancel) and the reminder
post go to the channel where the card lives, whichever channel the action came from."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlmodel import select

from bot.testing import TestBot
from bot.types import ButtonPress, Message, Reply
from common.clock import FakeClock
from community.events.reminders import ReminderService
from storage import db
from storage.models import Event

CARD_CHANNEL = "900100"  # where the event was added and its card posted
OTHER_CHANNEL = "900200"
_ids = itertools.count(1)


async def say_in(bot: TestBot, channel: str, who: str, text: str) -> list[Reply]:
    before = len(bot.adapter.sent)
    msg = Message(
        id=f"cm{next(_ids)}",
        chat=bot.chat,
        author=bot.user(who),
        text=text,
        sent_at=bot.app.clock.now(),
        reply_channel_id=channel,
    )
    await bot.app.handle(msg, bot.adapter)
    return bot.adapter.sent[before:]


async def press_in(
    bot: TestBot, channel: str, who: str, payload: str, message_id: str | None = None
) -> list[Reply]:
    before = len(bot.adapter.sent)
    press = ButtonPress(
        chat=bot.chat,
        user=bot.user(who),
        payload=payload,
        message_id=message_id,
        at=bot.app.clock.now(),
        reply_channel_id=channel,
    )
    await bot.app.handle(press, bot.adapter)
    return bot.adapter.sent[before:]


def edits(replies: list[Reply], card_id: str) -> list[Reply]:
    return [r for r in replies if r.edit_message_id == card_id]


async def add_in_channel(bot: TestBot, owner: str) -> tuple[int, str]:
    echo = await say_in(bot, CARD_CHANNEL, owner, "/event add Study hall | 2026-11-27 14:00 | remind 15m")
    out = await press_in(bot, CARD_CHANNEL, owner, echo[-1].flat_buttons[0].payload)
    [card] = [r for r in out if r.flat_buttons and r.flat_buttons[0].payload.startswith("rsvp:")]
    assert card.reply_channel_id == CARD_CHANNEL
    with db.session_scope(bot.app.engine) as s:
        [event] = list(s.exec(select(Event)))
    assert event.card_chat_id == bot.chat.chat_id  # the group (guild)
    assert event.card_channel_id == CARD_CHANNEL  # the channel the card lives in
    assert event.card_message_id and event.id
    return event.id, event.card_message_id


async def test_rsvp_and_cancel_edit_the_card_in_its_channel(bot: TestBot, owner: str) -> None:
    event_id, card_id = await add_in_channel(bot, owner)
    [edit] = edits(await press_in(bot, CARD_CHANNEL, "alice", f"rsvp:{event_id}:g", card_id), card_id)
    assert edit.reply_channel_id == CARD_CHANNEL and edit.chat == bot.chat
    assert "✅ 1 going" in edit.rich.to_plain()
    # RSVP from elsewhere (e.g. the card forwarded, or a press arriving without a channel): still the card's channel
    [edit] = edits(await press_in(bot, OTHER_CHANNEL, "bob", f"rsvp:{event_id}:m", card_id), card_id)
    assert edit.reply_channel_id == CARD_CHANNEL
    # cancelled from another channel: the card's edit goes to the card's channel, the answer stays where asked
    out = await say_in(bot, OTHER_CHANNEL, owner, f"/event cancel {event_id}")
    [edit] = edits(out, card_id)
    assert edit.reply_channel_id == CARD_CHANNEL and "was cancelled" in edit.rich.to_plain()
    assert not edit.buttons
    assert out[-1].reply_channel_id == OTHER_CHANNEL and "Cancelled" in out[-1].rich.to_plain()


async def test_reminder_is_posted_in_the_cards_channel(bot: TestBot, owner: str, clock: FakeClock) -> None:
    event_id, card_id = await add_in_channel(bot, owner)
    await press_in(bot, CARD_CHANNEL, "alice", f"rsvp:{event_id}:g", card_id)
    clock.set(datetime(2026, 11, 27, 13, 45, tzinfo=UTC))
    start = len(bot.adapter.sent)
    svc = bot.app.services.reminders
    assert isinstance(svc, ReminderService)
    assert len((await svc.tick()).sent) == 1
    pushed = bot.adapter.sent[start:]
    assert len(pushed) == 2  # the group post and alice's direct message
    assert all(r.reply_channel_id == CARD_CHANNEL and r.chat == bot.chat for r in pushed)


async def test_platforms_without_channels_carry_none(bot: TestBot, owner: str, add_event) -> None:  # type: ignore[no-untyped-def]
    """Telegram and the console: the chat is the channel, so nothing extra is stored or sent."""
    event_id = await add_event("Plain | 2026-11-27 14:00")
    with db.session_scope(bot.app.engine) as s:
        event = s.get(Event, event_id)
        assert event is not None and event.card_channel_id is None and event.card_chat_id == bot.chat.chat_id
    out = await bot.press("alice", f"rsvp:{event_id}:g")
    [edit] = [r for r in out if r.edit_message_id]
    assert edit.reply_channel_id is None


async def test_card_saved_before_the_channel_column_still_edits_its_channel(
    bot: TestBot, owner: str, add_event
) -> None:  # type: ignore[no-untyped-def]
    """Older rows kept the channel in card_chat_id; edits still find it."""
    event_id = await add_event("Old | 2026-11-27 14:00")
    with db.session_scope(bot.app.engine) as s:
        event = s.get(Event, event_id)
        assert event is not None
        event.card_chat_id, event.card_channel_id = CARD_CHANNEL, None
        s.add(event)
    out = await press_in(bot, OTHER_CHANNEL, "alice", f"rsvp:{event_id}:g")
    [edit] = [r for r in out if r.edit_message_id]
    assert edit.reply_channel_id == CARD_CHANNEL
