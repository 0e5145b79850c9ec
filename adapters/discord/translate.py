"""Pure translation between Discord gateway payloads and Cohort's neutral types (no I/O, no discord.py state).

Payload shapes follow Discord's documentation (API v10). A guild is a Cohort group (`Chat.chat_id` = guild id);
the channel a message came from travels as `reply_channel_id`, so replies land where the conversation is.
Direct messages become private chats keyed by their DM channel id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.dispatcher import CommandSpec
from bot.types import ButtonPress, Chat, ChatUser, MembershipChange, Message, Reaction

PLATFORM = "discord"

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5

# Message types that carry member text: DEFAULT and REPLY. Joins, pins, boosts... are not conversation.
_TEXT_MESSAGE_TYPES = {0, 19}
# Interaction types and component types.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
BUTTON = 2
# Application command option types.
OPTION_STRING = 3
OPTION_INTEGER = 4

_COMMAND_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
_SNOWFLAKE = re.compile(r"^[0-9]{1,20}$")


def parse_time(value: str | None, default: datetime | None = None) -> datetime:
    """Discord's ISO-8601 timestamps, as aware UTC datetimes."""
    if value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    return default or datetime.now(UTC)


def snowflake_time(snowflake: str) -> datetime:
    """The creation time encoded in a snowflake id (for events that carry no timestamp)."""
    if not _SNOWFLAKE.match(snowflake or ""):
        return datetime.now(UTC)
    ms = (int(snowflake) >> 22) + 1420070400000
    return datetime.fromtimestamp(ms / 1000, UTC)


def user_from(user: Mapping[str, Any], member: Mapping[str, Any] | None = None) -> ChatUser:
    """A ChatUser from a user object, preferring the guild nickname, then the global display name."""
    name = (member or {}).get("nick") or user.get("global_name") or user.get("username") or ""
    return ChatUser(
        platform=PLATFORM,
        user_id=str(user["id"]),
        display_name=str(name)[:128],
        username=(str(user["username"])[:128] if user.get("username") else None),
        is_bot=bool(user.get("bot", False)),
    )


def chat_for(guild_id: str | None, channel_id: str, guild_names: Mapping[str, str] | None = None) -> Chat:
    """The guild as a group; without a guild (a DM) the DM channel as a private chat."""
    if guild_id:
        return Chat(
            platform=PLATFORM,
            chat_id=str(guild_id),
            kind="group",
            title=(guild_names or {}).get(str(guild_id), ""),
        )
    return Chat(platform=PLATFORM, chat_id=str(channel_id), kind="private", title="")


def message_event(
    d: Mapping[str, Any], *, edited: bool = False, guild_names: Mapping[str, str] | None = None
) -> Message | None:
    """MESSAGE_CREATE (or MESSAGE_UPDATE with `edited`) -> Message; None for system, webhook or partial payloads."""
    if "author" not in d or "content" not in d or d.get("webhook_id"):
        return None  # an update without content is an embed refresh, not an edit of the text
    if int(d.get("type", 0)) not in _TEXT_MESSAGE_TYPES:
        return None
    channel_id = str(d["channel_id"])
    ref = d.get("message_reference") or {}
    reply_to = str(ref["message_id"]) if int(d.get("type", 0)) == 19 and ref.get("message_id") else None
    when = d.get("edited_timestamp") if edited else d.get("timestamp")
    return Message(
        id=str(d["id"]),
        chat=chat_for(d.get("guild_id"), channel_id, guild_names),
        author=user_from(d["author"], d.get("member")),
        text=str(d.get("content") or ""),
        sent_at=parse_time(when, snowflake_time(str(d["id"]))),
        reply_to_id=reply_to,
        edited=edited,
        reply_channel_id=channel_id,
        raw=d,
    )


def emoji_text(emoji: Mapping[str, Any]) -> str:
    """A unicode emoji as itself; a custom one as :name: (its image is not ours to show)."""
    name = str(emoji.get("name") or "?")
    return (name if not emoji.get("id") else f":{name}:")[:64]


def reaction_event(
    d: Mapping[str, Any], action: str, *, guild_names: Mapping[str, str] | None = None
) -> Reaction | None:
    """MESSAGE_REACTION_ADD / MESSAGE_REACTION_REMOVE -> Reaction. Removals carry only the user id."""
    if action not in ("add", "remove") or "user_id" not in d:
        return None
    member = d.get("member") or {}
    user = member.get("user") or {"id": d["user_id"]}
    reactor = user_from(user, member) if user.get("username") else ChatUser(PLATFORM, str(d["user_id"]), "")
    return Reaction(
        chat=chat_for(d.get("guild_id"), str(d["channel_id"]), guild_names),
        message_id=str(d["message_id"]),
        reactor=reactor,
        emoji=emoji_text(d.get("emoji") or {}),
        action=action,  # type: ignore[arg-type]
        at=datetime.now(UTC),
        raw=d,
    )


def membership_event(
    d: Mapping[str, Any], action: str, *, guild_names: Mapping[str, str] | None = None
) -> MembershipChange | None:
    """GUILD_MEMBER_ADD / GUILD_MEMBER_REMOVE -> MembershipChange."""
    if "user" not in d or "guild_id" not in d:
        return None
    at = parse_time(d.get("joined_at")) if action == "join" else datetime.now(UTC)
    return MembershipChange(
        chat=chat_for(str(d["guild_id"]), "", guild_names),
        user=user_from(d["user"], d if action == "join" else None),
        action=action,  # type: ignore[arg-type]
        at=at,
        raw=d,
    )


def interaction_user(d: Mapping[str, Any]) -> ChatUser:
    """In a guild the user sits inside `member`; in a DM it is `user`."""
    member = d.get("member")
    if member and member.get("user"):
        return user_from(member["user"], member)
    return user_from(d["user"])


def interaction_permissions(d: Mapping[str, Any]) -> int | None:
    """The invoker's computed guild permissions, which Discord includes with every guild interaction."""
    raw = (d.get("member") or {}).get("permissions")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def is_manager(permissions: int) -> bool:
    """Owners in Cohort's sense: Administrator or Manage Server."""
    return bool(permissions & (ADMINISTRATOR | MANAGE_GUILD))


def command_text(data: Mapping[str, Any], arg_order: Iterable[str] = ()) -> str:
    """A slash invocation as the text command other platforms type: `/rate 3 5`.

    Options are put in the order the command declares them (Discord sends them in the user's order).
    """
    name = str(data.get("name", ""))
    values = {str(o.get("name")): o.get("value") for o in data.get("options") or [] if "value" in o}
    order = [a for a in arg_order if a in values] + [k for k in values if k not in set(arg_order)]
    parts = [f"/{name}"] + [str(values[k]).strip() for k in order if str(values[k]).strip()]
    return " ".join(parts)


def interaction_event(
    d: Mapping[str, Any],
    *,
    arg_orders: Mapping[str, Iterable[str]] | None = None,
    guild_names: Mapping[str, str] | None = None,
) -> Message | ButtonPress | None:
    """INTERACTION_CREATE -> Message (slash command, id = interaction id) or ButtonPress (button's custom_id)."""
    kind = int(d.get("type", 0))
    data = d.get("data") or {}
    if "channel_id" not in d or ("member" not in d and "user" not in d):
        return None
    channel_id = str(d["channel_id"])
    chat = chat_for(d.get("guild_id"), channel_id, guild_names)
    user = interaction_user(d)
    at = snowflake_time(str(d.get("id", "")))
    if kind == APPLICATION_COMMAND and int(data.get("type", 1)) == 1:
        name = str(data.get("name", ""))
        text = command_text(data, (arg_orders or {}).get(name, ()))
        return Message(
            id=str(d["id"]), chat=chat, author=user, text=text, sent_at=at, reply_channel_id=channel_id, raw=d
        )
    if kind == MESSAGE_COMPONENT and int(data.get("component_type", 0)) == BUTTON:
        message = d.get("message") or {}
        return ButtonPress(
            chat=chat,
            user=user,
            payload=str(data.get("custom_id", ""))[:100],
            message_id=str(message["id"]) if message.get("id") else None,
            at=at,
            reply_channel_id=channel_id,
            raw=d,
        )
    return None


def command_payloads(specs: Iterable[CommandSpec]) -> list[dict[str, Any]]:
    """Discord application-command definitions (CHAT_INPUT) built from the dispatcher's registrations.

    Discord requires required options before optional ones, descriptions of 1-100 characters, lowercase names,
    at most 25 options and 25 choices; names that Discord would reject are skipped rather than failing the sync.
    """
    out: list[dict[str, Any]] = []
    for spec in specs:
        if not _COMMAND_NAME.match(spec.name):
            continue
        options: list[dict[str, Any]] = []
        for arg in sorted(spec.args, key=lambda a: not a.required):
            if not _COMMAND_NAME.match(arg.name):
                continue
            option: dict[str, Any] = {
                "type": OPTION_INTEGER if arg.kind == "int" else OPTION_STRING,
                "name": arg.name,
                "description": _describe(arg.description or arg.name),
                "required": bool(arg.required),
            }
            if arg.choices and arg.kind != "int":
                option["choices"] = [{"name": c[:100], "value": c[:100]} for c in arg.choices[:25]]
            options.append(option)
        out.append(
            {
                "type": 1,
                "name": spec.name,
                "description": _describe(spec.help or spec.name),
                "options": options[:25],
            }
        )
    return out[:100]


def _describe(text: str) -> str:
    text = " ".join(text.split())
    return (text[:99] + "…") if len(text) > 100 else (text or "-")
