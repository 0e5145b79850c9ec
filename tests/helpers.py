"""Helpers shared by feature tests: owners, a member's ids, and store look-ups (tests/conftest.py has fixtures)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.app import CohortApp, chat_ref, person_ref
from bot.testing import TestBot
from storage import db
from storage.models import Group, Member, Message, PlatformAccount


def make_owner(bot: TestBot, name: str) -> int:
    """Give `name` the owner role in the bot's chat (the console/test adapter trusts the store's roles)."""
    return bot.app.grant_role(bot.chat, bot.user(name), "owner").member_id


def ids(bot: TestBot, name: str) -> tuple[int, int]:
    """(group_id, member_id) of a user in the bot's chat."""
    identity = bot.app.services.ingest.identify(chat=chat_ref(bot.chat), person=person_ref(bot.user(name)))
    return identity.group_id, identity.member_id


def messages_of(app: CohortApp, name: str, platform: str = "test") -> list[Message]:
    with db.session_scope(app.engine) as s:
        acc = s.exec(select(PlatformAccount).where(PlatformAccount.platform_user_id == name)).first()
        if acc is None:
            return []
        return list(
            s.exec(select(Message).where(Message.member_id == acc.member_id).order_by(col(Message.id)))
        )


def group_settings(app: CohortApp, group_id: int) -> dict[str, Any]:
    with db.session_scope(app.engine) as s:
        g = s.get(Group, group_id)
        assert g is not None
        return dict(g.settings)


def member_exists(app: CohortApp, member_id: int) -> bool:
    with db.session_scope(app.engine) as s:
        return s.get(Member, member_id) is not None
