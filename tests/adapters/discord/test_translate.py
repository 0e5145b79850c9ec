"""Unit tests of adapters/discord/translate.py on gateway payloads kept in fixtures/*.json (API v10 shapes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.discord import translate
from bot.dispatcher import ArgSpec, CommandSpec
from bot.types import ButtonPress, Message

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = {"800000000000000001": "Study Hall"}


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def test_guild_message() -> None:
    msg = translate.message_event(load("message_create.json"), guild_names=NAMES)
    assert msg is not None
    assert msg.id == "1308000000000000001"
    assert (msg.chat.chat_id, msg.chat.kind, msg.chat.title) == ("800000000000000001", "group", "Study Hall")
    assert msg.reply_channel_id == "800000000000000010"
    assert msg.author.user_id == "700000000000000003" and msg.author.display_name == "Mikey"  # nickname first
    assert msg.author.username == "mike" and not msg.author.is_bot
    assert msg.text == "Has anyone finished the **SQL** course? @everyone"  # raw text; escaping is on output
    assert msg.sent_at == datetime(2026, 11, 20, 14, 3, 5, 123000, tzinfo=UTC)
    assert msg.reply_to_id is None and not msg.edited


def test_reply_edit_dm_and_system_messages() -> None:
    reply = translate.message_event(load("message_create_reply.json"))
    assert reply is not None and reply.reply_to_id == "1308000000000000001"
    edit = translate.message_event(load("message_update.json"), edited=True)
    assert edit is not None and edit.edited and edit.sent_at == datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
    dm = translate.message_event(load("message_create_dm.json"))
    assert dm is not None and dm.chat.kind == "private" and dm.chat.chat_id == "1300000000000000099"
    assert dm.author.display_name == "Mike T"  # no guild nickname in a DM
    assert translate.message_event(load("message_create_system.json")) is None
    # An update without content (an embed unfurl) is not an edit.
    partial = {k: v for k, v in load("message_update.json").items() if k != "content"}
    assert translate.message_event(partial, edited=True) is None


def test_reactions() -> None:
    add = translate.reaction_event(load("reaction_add.json"), "add", guild_names=NAMES)
    assert add is not None
    assert (add.action, add.emoji, add.message_id) == ("add", "👍", "1308000000000000001")
    assert add.reactor.display_name == "Mikey" and add.chat.chat_id == "800000000000000001"
    custom = translate.reaction_event(load("reaction_add_custom.json"), "add")
    assert custom is not None and custom.emoji == ":pepe_happy:"
    remove = translate.reaction_event(load("reaction_remove.json"), "remove")
    assert remove is not None and remove.action == "remove" and remove.reactor.user_id == "700000000000000003"
    assert translate.reaction_event({"emoji": {}}, "add") is None


def test_slash_command_becomes_command_text_in_declared_order() -> None:
    d = load("interaction_slash_rate.json")
    event = translate.interaction_event(d, arg_orders={"rate": ["id", "stars"]}, guild_names=NAMES)
    assert isinstance(event, Message)
    assert event.text == "/rate 3 5" and event.id == "1308000000000000010"
    assert event.reply_channel_id == "800000000000000010" and event.chat.title == "Study Hall"
    perms = translate.interaction_permissions(d)
    assert perms is not None and translate.is_manager(perms)
    courses = load("interaction_slash_courses.json")
    event = translate.interaction_event(courses)
    assert isinstance(event, Message) and event.text == "/courses python  basics"
    perms = translate.interaction_permissions(courses)
    assert perms == 1024 and not translate.is_manager(perms)


def test_button_press() -> None:
    event = translate.interaction_event(load("interaction_button.json"))
    assert isinstance(event, ButtonPress)
    assert event.payload == "courses:1:python" and event.message_id == "1308000000000000020"
    assert event.user.user_id == "700000000000000003" and event.reply_channel_id == "800000000000000010"


def test_membership_changes() -> None:
    join = translate.membership_event(load("guild_member_add.json"), "join")
    assert join is not None and join.action == "join" and join.user.display_name == "Mikey"
    assert join.at == datetime(2026, 1, 2, 10, tzinfo=UTC)
    leave = translate.membership_event(load("guild_member_remove.json"), "leave")
    assert leave is not None and leave.action == "leave" and leave.chat.chat_id == "800000000000000001"


def test_malformed_payloads_are_ignored_not_raised() -> None:
    assert translate.interaction_event({"type": 2}) is None
    assert (
        translate.interaction_event({**load("interaction_button.json"), "data": {"component_type": 3}})
        is None
    )
    assert translate.interaction_permissions({"member": {"permissions": "not a number"}}) is None
    assert translate.parse_time("garbage", datetime(2026, 1, 1, tzinfo=UTC)) == datetime(
        2026, 1, 1, tzinfo=UTC
    )


async def _noop(ctx: Any) -> None:
    return None


def test_command_payloads_follow_discord_rules() -> None:
    specs = [
        CommandSpec(
            name="rate",
            handler=_noop,
            help="rate a course",
            usage="/rate ID 1-5",
            args=(
                ArgSpec("note", "optional words", kind="text"),
                ArgSpec("id", "course", kind="int", required=True),
            ),
        ),
        CommandSpec(
            name="period",
            handler=_noop,
            help="x" * 150,
            usage="/period",
            args=(ArgSpec("when", "", choices=("week", "month")),),
        ),
        CommandSpec(name="BadName", handler=_noop, help="skipped", usage="/BadName"),
    ]
    rate, period = translate.command_payloads(specs)
    # Required options first (Discord rejects a required option after an optional one).
    assert [(o["name"], o["type"], o["required"]) for o in rate["options"]] == [
        ("id", 4, True),
        ("note", 3, False),
    ]
    assert len(period["description"]) == 100 and period["options"][0]["description"] == "when"
    assert period["options"][0]["choices"] == [
        {"name": "week", "value": "week"},
        {"name": "month", "value": "month"},
    ]
