"""translate.py on recorded Bot API payloads: Update JSON -> neutral events, no network."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Update

from adapters.telegram.translate import address_command, translate
from bot.types import ButtonPress, Chat, ChatUser, MembershipChange, Message, Reaction

FIXTURES = Path(__file__).parent / "fixtures"
BOT = "cohort_test_bot"
GROUP = Chat(platform="telegram", chat_id="-1001234567890", kind="group", title="Python Study Circle")


def load(name: str) -> Update:
    return Update.de_json(json.loads((FIXTURES / f"{name}.json").read_text()), None)


def events(name: str) -> list[object]:
    return list(translate(load(name), bot_username=BOT, now=datetime(2026, 11, 27, 12, tzinfo=UTC)))


def test_group_message() -> None:
    [msg] = events("group_message")
    assert isinstance(msg, Message)
    assert msg.id == "4511" and msg.chat == GROUP
    assert msg.author == ChatUser("telegram", "1001", "Alice Ng", "alice", False)
    assert msg.text == "Has anyone finished the pandas course?"
    assert msg.sent_at == datetime.fromtimestamp(1764244800, UTC) and msg.sent_at.tzinfo is not None
    assert msg.reply_to_id == "4502" and msg.edited is False


def test_command_addressed_to_us_loses_the_suffix_case_insensitively() -> None:
    [msg] = events("command_to_us")
    assert isinstance(msg, Message) and msg.text == "/courses python"


def test_command_addressed_to_another_bot_is_ignored() -> None:
    assert events("command_to_other_bot") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/help", "/help"),
        ("/help@cohort_test_bot", "/help"),
        ("/rate@COHORT_TEST_BOT 3 5", "/rate 3 5"),
        ("/help@someone_else_bot", None),
        ("write to /help@x later", "write to /help@x later"),  # not a command: untouched
        ("email me@cohort_test_bot", "email me@cohort_test_bot"),
    ],
)
def test_address_command(text: str, expected: str | None) -> None:
    assert address_command(text, BOT) == expected


def test_edited_message_keeps_the_id_and_uses_the_edit_time() -> None:
    [msg] = events("edited_message")
    assert isinstance(msg, Message) and msg.edited
    assert msg.id == "4511" and msg.text.endswith("(the 2026 one)")
    assert msg.sent_at == datetime.fromtimestamp(1764244900, UTC)


def test_reaction_change_becomes_removes_and_adds() -> None:
    evs = events("reaction_changed")
    assert all(isinstance(e, Reaction) for e in evs)
    got = [(e.action, e.emoji, e.message_id, e.reactor.user_id) for e in evs]  # type: ignore[attr-defined]
    assert got == [
        ("remove", "👍", "4511", "1002"),
        ("add", "🔥", "4511", "1002"),
        ("add", "custom:5368324170671202286", "4511", "1002"),
    ]
    assert evs[0].chat == GROUP  # type: ignore[attr-defined]


def test_anonymous_reaction_has_no_member_and_is_skipped() -> None:
    assert events("reaction_anonymous") == []


def test_callback_query() -> None:
    [press] = events("callback_query")
    assert isinstance(press, ButtonPress)
    assert press.payload == "courses:page:2" and press.message_id == "4520"
    assert press.chat == GROUP and press.user.user_id == "1002" and press.user.display_name == "Bob"


def test_members_joined_gives_one_event_each_and_no_message() -> None:
    evs = events("members_joined")
    assert [(type(e).__name__, e.action, e.user.user_id) for e in evs] == [  # type: ignore[attr-defined]
        ("MembershipChange", "join", "1003"),
        ("MembershipChange", "join", "1004"),
    ]
    assert evs[0].user.display_name == "Chen Wei"  # type: ignore[attr-defined]


def test_member_left() -> None:
    [ev] = events("member_left")
    assert isinstance(ev, MembershipChange) and ev.action == "leave" and ev.user.user_id == "1004"


def test_chat_member_update_kicked_is_a_leave() -> None:
    [ev] = events("chat_member_left")
    assert isinstance(ev, MembershipChange) and ev.action == "leave" and ev.user.user_id == "1005"
    assert ev.chat == GROUP


def test_private_photo_caption_is_the_text() -> None:
    [msg] = events("private_photo_caption")
    assert isinstance(msg, Message) and msg.text == "my certificate!"
    assert msg.chat.kind == "private" and msg.chat.chat_id == "1001"


def test_channel_posts_are_ignored() -> None:
    assert events("channel_post") == []
