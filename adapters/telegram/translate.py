"""Pure translation of python-telegram-bot `Update`s into neutral `bot.types` events.

No network and no state: every function takes PTB objects (parsed from the Bot API's JSON) and returns neutral
events, so it is unit-tested on recorded payloads. One update can yield several events (a reaction change that
adds one emoji and removes another, several members joining at once) or none (a channel post, a command
addressed to another bot).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from telegram import (
    CallbackQuery,
    ChatMemberUpdated,
    MessageReactionUpdated,
    ReactionType,
    ReactionTypeCustomEmoji,
    ReactionTypeEmoji,
    Update,
    User,
)
from telegram import Chat as TgChat
from telegram import Message as TgMessage

from bot.types import ButtonPress, Chat, ChatKind, ChatUser, InboundEvent, MembershipChange, Message, Reaction

PLATFORM = "telegram"

# "/cmd@botname rest": the dispatcher accepts any @suffix, so addressing is decided here.
_ADDRESSED = re.compile(r"^(/[A-Za-z0-9_]{1,32})@([A-Za-z0-9_]{1,64})(?=\s|$)")

_LEFT_STATUSES = {"left", "kicked"}
_PRESENT_STATUSES = {"member", "administrator", "creator", "restricted"}


def chat_of(chat: TgChat) -> Chat:
    kind: ChatKind
    if chat.type == TgChat.PRIVATE:
        kind = "private"
    elif chat.type == TgChat.CHANNEL:
        kind = "channel"
    else:  # group and supergroup
        kind = "group"
    title = chat.title or chat.full_name or ""
    return Chat(platform=PLATFORM, chat_id=str(chat.id), kind=kind, title=title[:200])


def user_of(user: User) -> ChatUser:
    return ChatUser(
        platform=PLATFORM,
        user_id=str(user.id),
        display_name=(user.full_name or user.username or str(user.id))[:128],
        username=user.username,
        is_bot=bool(user.is_bot),
    )


def address_command(text: str, bot_username: str | None) -> str | None:
    """Strip '@ourbot' from a command; None when the command is addressed to another bot.

    Plain text and unaddressed commands come back unchanged (in a group with several bots, '/help' alone is
    answered too: Telegram sends it to every bot that can see it).
    """
    m = _ADDRESSED.match(text)
    if m is None:
        return text
    if bot_username is None or m.group(2).lower() != bot_username.lower():
        return None
    return m.group(1) + text[m.end() :]


def _message_text(msg: TgMessage) -> str:
    return msg.text or msg.caption or ""


def translate_message(
    msg: TgMessage, *, bot_username: str | None, edited: bool = False
) -> list[InboundEvent]:
    """A new or edited message, plus membership changes carried as service messages."""
    events: list[InboundEvent] = []
    chat = chat_of(msg.chat)
    at = _utc(msg.date)
    for member in msg.new_chat_members or ():
        events.append(MembershipChange(chat=chat, user=user_of(member), action="join", at=at, raw=msg))
    if msg.left_chat_member is not None:
        events.append(
            MembershipChange(chat=chat, user=user_of(msg.left_chat_member), action="leave", at=at, raw=msg)
        )
    if events or msg.from_user is None or chat.kind == "channel":
        return events  # service messages carry no text; channel posts have no member author
    text = address_command(_message_text(msg), bot_username)
    if text is None:
        return []
    sent_at = _utc(msg.edit_date) if edited and msg.edit_date else at
    reply_to = msg.reply_to_message.message_id if msg.reply_to_message is not None else None
    events.append(
        Message(
            id=str(msg.message_id),
            chat=chat,
            author=user_of(msg.from_user),
            text=text,
            sent_at=sent_at,
            reply_to_id=str(reply_to) if reply_to is not None else None,
            edited=edited,
            raw=msg,
        )
    )
    return events


def emoji_key(reaction: ReactionType) -> str:
    """A stable string for a reaction type: the emoji itself, 'custom:<id>' or 'paid'."""
    if isinstance(reaction, ReactionTypeEmoji):
        return reaction.emoji
    if isinstance(reaction, ReactionTypeCustomEmoji):
        return f"custom:{reaction.custom_emoji_id}"[:64]
    return str(reaction.type)[:64]


def translate_reaction(upd: MessageReactionUpdated) -> list[InboundEvent]:
    """Telegram sends the old and new reaction sets of one user; the difference is what was added or removed."""
    if upd.user is None:
        return []  # anonymous group admins react as the chat: no member to credit
    old = [emoji_key(r) for r in upd.old_reaction]
    new = [emoji_key(r) for r in upd.new_reaction]
    chat, user, at = chat_of(upd.chat), user_of(upd.user), _utc(upd.date)
    changes: list[tuple[str, Literal["add", "remove"]]] = [(e, "remove") for e in old if e not in new]
    changes += [(e, "add") for e in new if e not in old]
    return [
        Reaction(
            chat=chat, message_id=str(upd.message_id), reactor=user, emoji=e, action=action, at=at, raw=upd
        )
        for e, action in changes
    ]


def translate_callback(query: CallbackQuery, *, at: datetime | None = None) -> list[InboundEvent]:
    """A press on an inline-keyboard button of one of our messages."""
    if query.message is None or query.data is None:
        return []  # inline-mode messages and game buttons: not ours
    return [
        ButtonPress(
            chat=chat_of(query.message.chat),
            user=user_of(query.from_user),
            payload=query.data[:64],
            message_id=str(query.message.message_id),
            at=at,
            raw=query,
        )
    ]


def translate_chat_member(upd: ChatMemberUpdated) -> list[InboundEvent]:
    """chat_member updates (the bot is an admin): joins and leaves, including ones without a service message."""
    old, new = upd.old_chat_member.status, upd.new_chat_member.status
    was_in = old in _PRESENT_STATUSES
    is_in = new in _PRESENT_STATUSES
    chat, user, at = chat_of(upd.chat), user_of(upd.new_chat_member.user), _utc(upd.date)
    if is_in and not was_in:
        return [MembershipChange(chat=chat, user=user, action="join", at=at, raw=upd)]
    if was_in and new in _LEFT_STATUSES:
        return [MembershipChange(chat=chat, user=user, action="leave", at=at, raw=upd)]
    return []


def translate(update: Update, *, bot_username: str | None, now: datetime | None = None) -> list[InboundEvent]:
    """Every neutral event an update carries (possibly none)."""
    if update.message is not None:
        return translate_message(update.message, bot_username=bot_username)
    if update.edited_message is not None:
        return translate_message(update.edited_message, bot_username=bot_username, edited=True)
    if update.message_reaction is not None:
        return translate_reaction(update.message_reaction)
    if update.callback_query is not None:
        return translate_callback(update.callback_query, at=now)
    if update.chat_member is not None:
        return translate_chat_member(update.chat_member)
    return []


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
