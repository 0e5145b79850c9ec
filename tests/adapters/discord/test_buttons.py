"""Personal buttons through the Discord adapter: another member's press is refused with a word only they see (an
ephemeral follow-up to their press) and changes nothing; the owner of the buttons can still use them."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from adapters.discord.adapter import DiscordAdapter
from bot.app import CohortApp
from storage import db
from storage.models import Message as MessageRow
from storage.models import PendingAction
from tests.adapters.discord.fake_server import CHANNEL_ID, MANAGER_ID, MEMBER_ID, FakeDiscord

NOT_HIS = "Only the member who asked can confirm their own /forget."
EPHEMERAL = 64


def rows(app: CohortApp) -> tuple[int, int]:
    with db.session_scope(app.engine) as s:
        messages = len(s.exec(select(MessageRow).where(MessageRow.text == "my notes")).all())
        return messages, len(s.exec(select(PendingAction)).all())


def public(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.messages
        if m["channel_id"] == CHANNEL_ID and not m.get("_dm_to") and not m["flags"] & EPHEMERAL
    ]


async def test_another_members_press_is_refused_only_to_them_and_changes_nothing(
    adapter: DiscordAdapter, fake: FakeDiscord, app: CohortApp
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("my notes", MEMBER_ID))
    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("/forget", MEMBER_ID))
    await fake.wait_for(lambda: public(fake))
    confirm = public(fake)[0]
    yes, no = [c for row in confirm["components"] for c in row["components"]]
    assert yes["label"] == "Yes, forget me" and len(yes["custom_id"]) <= 64
    before = rows(app)
    assert before == (1, 1)
    message = {**confirm, "author": fake.users[MEMBER_ID]}
    for button in (no, yes):
        await fake.dispatch("INTERACTION_CREATE", fake.button(MANAGER_ID, button["custom_id"], message))
    ephemeral = lambda: [m for m in fake.messages if m["flags"] & EPHEMERAL]  # noqa: E731
    await fake.wait_for(lambda: len(ephemeral()) == 2)
    assert [m["content"] for m in ephemeral()] == [NOT_HIS, NOT_HIS]
    assert all(m["_webhook"] for m in ephemeral())  # follow-ups to mona's presses: only she sees them
    assert len(public(fake)) == 1 and not [m for m in fake.messages if m.get("_dm_to")]
    assert rows(app) == before  # mona's "Cancel" did not cancel mike's request
    await fake.dispatch("INTERACTION_CREATE", fake.button(MEMBER_ID, yes["custom_id"], message))
    await fake.wait_for(lambda: len(fake.messages) == 4)
    assert "Forgotten:" in fake.messages[-1]["content"] and rows(app)[0] == 0
