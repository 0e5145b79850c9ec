"""Reactions as signals: a reaction counts toward the reactor's activity and the author's received appreciation.

Ingest stores a Reaction row with the emoji's own sentiment for every reaction of a member who has not opted out,
and a removal deletes it again, so every count derived from the table (reactions given/received, helpful answers,
sentiment received) is undone with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from common.text import sanitize
from community.signals.lexicon import emoji_sentiment
from storage.crud import core as crud
from storage.db import Store

MAX_EMOJI = 64


def record_reaction(
    store: Store,
    *,
    group_id: int,
    member_id: int,
    platform_message_id: str,
    emoji: str,
    action: Literal["add", "remove"],
    at: datetime,
) -> bool:
    """Store or remove one reaction; returns whether the store changed (a repeated add or removal does not)."""
    emoji = sanitize(emoji or "", limit=MAX_EMOJI).strip()
    message_id = sanitize(platform_message_id or "", limit=64)
    if not emoji or not message_id:
        return False  # nothing meaningful to count
    with store.session() as s:
        membership = crud.get_membership(s, group_id=group_id, member_id=member_id)
        if membership is not None and membership.opted_out:
            return False  # an opted-out member's reactions are not tracked
        if action == "remove":
            return crud.remove_reaction(
                s, group_id=group_id, platform_message_id=message_id, member_id=member_id, emoji=emoji
            )
        _, created = crud.add_reaction(
            s,
            group_id=group_id,
            platform_message_id=message_id,
            member_id=member_id,
            emoji=emoji,
            sentiment=emoji_sentiment(emoji),
            at=at,
        )
        return created
