"""Reactions as signals: a reaction counts toward the reactor's activity and the author's received appreciation.

The core emits `reaction(reaction_event, group_id, member_id)` for every reaction of a member who has not opted
out; this listener stores a Reaction row with the emoji's own sentiment, and a removal deletes it again, so every
count derived from the table (reactions given/received, helpful answers, sentiment received) is undone with it.
"""

from __future__ import annotations

from sqlalchemy import Engine

from bot.text import sanitize
from bot.types import Reaction
from community.sentiment import emoji_sentiment
from storage import db
from storage.crud import core as crud

MAX_EMOJI = 64


def record_reaction(engine: Engine, event: Reaction, group_id: int, member_id: int) -> bool:
    """Store or remove one reaction; returns whether the store changed (a repeated add or removal does not)."""
    emoji = sanitize(event.emoji or "", limit=MAX_EMOJI).strip()
    message_id = sanitize(event.message_id or "", limit=64)
    if not emoji or not message_id:
        return False  # nothing meaningful to count
    with db.session_scope(engine) as s:
        if event.action == "remove":
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
            at=event.at,
        )
        return created
