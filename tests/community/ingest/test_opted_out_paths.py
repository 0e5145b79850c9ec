"""/optout holds on every path that stores or scores text: a new message, an edit, a reaction, the backfill of
texts stored before the opt-out, a text queued for scoring just before it, and what scoring derives (course
mentions, implicit ratings). Bob, who stays opted in, goes down the same paths as a control."""

from __future__ import annotations

from sqlmodel import col, select

from bot.app import CohortApp
from bot.testing import TestBot
from bot.types import Message as ChatMessage
from storage import db
from storage.models import CourseMention, Message, Rating, Reaction
from tests.helpers import ids, messages_of

PRAISE = "Python for Absolute Beginners is excellent, I love it"
EDIT = "Actually Python for Absolute Beginners is wonderful, best course ever"


async def edit(bot: TestBot, who: str, message_id: str, text: str) -> None:
    msg = ChatMessage(
        id=message_id,
        chat=bot.chat,
        author=bot.user(who),
        text=text,
        sent_at=bot.app.clock.now(),
        edited=True,
    )
    await bot.app.handle(msg, bot.adapter)


def derived(app: CohortApp, member_id: int) -> tuple[list[Rating], list[CourseMention], list[Reaction]]:
    """What scoring and reactions stored for a member: ratings, mentions of their messages, reactions given."""
    with db.session_scope(app.engine) as s:
        ratings = list(s.exec(select(Rating).where(Rating.member_id == member_id)))
        own = select(Message.id).where(Message.member_id == member_id)
        mentions = list(s.exec(select(CourseMention).where(col(CourseMention.message_id).in_(own))))
        reactions = list(s.exec(select(Reaction).where(Reaction.member_id == member_id)))
    return ratings, mentions, reactions


async def test_an_opted_out_members_text_is_never_stored_or_scored(
    bot: TestBot, app: CohortApp, catalog: int, backend: str
) -> None:
    # Written while the scorer is down: stored, not scored yet (the backfill at start would score them).
    await bot.say("alice", PRAISE, message_id="a1")
    await bot.say("bob", PRAISE, message_id="b1")
    await bot.say("alice", "/optout")
    _, alice = ids(bot, "alice")
    _, bob = ids(bot, "bob")
    # Every path, after the opt-out, with the scorer down ...
    await bot.say("alice", "Python for Absolute Beginners rocks", message_id="a2")  # new message
    await edit(bot, "alice", "a1", EDIT)  # an edit of a message stored before
    await bot.react("alice", "b1", "👍")  # a reaction
    await bot.react("bob", "a1", "🎉")  # (bob's reaction to her message is bob's)
    # ... and with it up: the backfill at start, a new message, an edit, a reaction.
    await app.start()
    try:
        await bot.say("alice", "Python for Absolute Beginners again", message_id="a3")
        await edit(bot, "alice", "a1", EDIT + "!")
        await bot.react("alice", "b1", "❤️")
        await edit(bot, "bob", "b1", EDIT)  # control: bob's edit is stored and re-scored
    finally:
        await app.stop()  # flushes the scorer
    rows = [m for m in messages_of(app, "alice") if not m.is_command]
    assert [(m.platform_message_id, m.text, m.sentiment, m.edited_at) for m in rows] == [
        ("a1", PRAISE, None, None)
    ]
    assert derived(app, alice) == ([], [], [])
    # the control went down every path
    bob_row = messages_of(app, "bob")[0]
    assert bob_row.text == EDIT and bob_row.sentiment is not None and bob_row.sentiment > 0
    ratings, mentions, reactions = derived(app, bob)
    assert [r.source for r in ratings] == ["mention"] and len(mentions) == 1 and len(reactions) == 1


async def test_a_text_queued_before_the_opt_out_is_not_scored_after_it(
    bot: TestBot, app: CohortApp, catalog: int
) -> None:
    app.services.scorer.max_delay = 30.0  # the batch waits: the opt-out lands before it is written
    await app.start()
    try:
        await bot.say("alice", PRAISE, message_id="a1")
        await bot.say("bob", PRAISE, message_id="b1")
        await bot.say("alice", "/optout")
    finally:
        await app.stop()  # flushes the queued batch
    _, alice = ids(bot, "alice")
    _, bob = ids(bot, "bob")
    assert [m.sentiment for m in messages_of(app, "alice") if not m.is_command] == [None]
    assert derived(app, alice) == ([], [], [])
    assert messages_of(app, "bob")[0].sentiment is not None and len(derived(app, bob)[0]) == 1
