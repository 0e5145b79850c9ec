"""/privacy, /optout, /optin and /forget: what is stored, tracking off and on, and deleting a member's data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.app import CohortApp
from bot.testing import TestBot
from common.clock import FakeClock
from storage import db
from storage.models import (
    BuddyCheckin,
    BuddyMatch,
    BuddyProfile,
    BuddyRound,
    Event,
    Member,
    PendingAction,
    PlatformAccount,
    Reaction,
    Rsvp,
)
from tests.helpers import ids, member_exists, messages_of


def member_cols(table):  # type: ignore[no-untyped-def]
    return [
        c
        for c in table.columns
        if c.name in ("member_id", "created_by")
        or any(fk.column.table.name == "member" for fk in c.foreign_keys)
    ]


def rows_of(app: CohortApp, group_id: int, member_id: int) -> dict[str, int]:
    """Rows naming the member in the group, in every table with a group and a member column (and JSON lists)."""
    out: dict[str, int] = {}
    with db.session_scope(app.engine) as s:
        for table in SQLModel.metadata.sorted_tables:
            if "group_id" not in table.c:
                continue
            for c in member_cols(table):
                n = s.execute(
                    sa_select(func.count())
                    .select_from(table)
                    .where(table.c.group_id == group_id, c == member_id)
                ).scalar_one()
                out[f"{table.name}.{c.name}"] = int(n)
            if "member_ids" in table.c:
                lists = s.execute(sa_select(table.c.member_ids).where(table.c.group_id == group_id)).scalars()
                out[f"{table.name}.member_ids"] = sum(1 for ids_ in lists if member_id in ids_)
    return out


async def seed_everything(bot: TestBot, app: CohortApp, clock: FakeClock, who: str, partner: str) -> None:
    """The member has a row in every member-scoped table of the bot's group."""
    now = clock.now()
    await bot.say(
        who, "Python for Absolute Beginners is great, I love it", message_id=f"{bot.chat.chat_id}-m1"
    )
    await bot.say(partner, "agreed!", message_id=f"{bot.chat.chat_id}-p1", reply_to=f"{bot.chat.chat_id}-m1")
    await bot.react(who, f"{bot.chat.chat_id}-p1", "👍")
    await bot.react(partner, f"{bot.chat.chat_id}-m1", "❤️")  # someone else's reaction to the member's message
    await bot.say(who, "/rate 1 4")
    group_id, member_id = ids(bot, who)
    _, partner_id = ids(bot, partner)
    with db.session_scope(app.engine) as s:
        event = Event(
            group_id=group_id,
            title="Study hall",
            starts_at=now + timedelta(days=1),
            course_id=1,
            created_by=member_id,
        )
        s.add(event)
        s.add(BuddyProfile(group_id=group_id, member_id=member_id, topics=["python"]))
        rnd = BuddyRound(group_id=group_id)
        s.add(rnd)
        s.flush()
        assert event.id is not None and rnd.id is not None
        s.add(Rsvp(group_id=group_id, event_id=event.id, member_id=member_id, status="going"))
        match = BuddyMatch(group_id=group_id, round_id=rnd.id, member_ids=[member_id, partner_id])
        s.add(match)
        s.flush()
        assert match.id is not None
        for mid in (member_id, partner_id):
            s.add(BuddyCheckin(group_id=group_id, match_id=match.id, member_id=mid, due_at=now))
        s.add(PendingAction(group_id=group_id, member_id=member_id, action="event_add", expires_at=now))


async def test_forget_deletes_every_row_of_the_member_in_this_group_only(
    bot: TestBot, running: CohortApp, clock: FakeClock, catalog: int, backend: str
) -> None:
    other = bot.in_chat("g2")
    await seed_everything(bot, running, clock, "alice", "bob")
    await seed_everything(other, running, clock, "alice", "bob")
    worker = running.services.scorer.worker
    assert worker is not None
    await worker.stop()  # mentions and sentiments written
    group_id, alice = ids(bot, "alice")
    g2, _ = ids(other, "alice")
    _, bob = ids(bot, "bob")
    before = rows_of(running, group_id, alice)
    assert all(
        before[k] > 0
        for k in (
            "message.member_id",
            "reaction.member_id",
            "rating.member_id",
            "rsvp.member_id",
            "buddyprofile.member_id",
            "buddycheckin.member_id",
            "pendingaction.member_id",
            "membership.member_id",
            "event.created_by",
            "coursemention.member_id",
            "buddymatch.member_ids",
        )
    )
    other_before = rows_of(running, g2, alice)
    bob_messages = rows_of(running, group_id, bob)["message.member_id"]

    replies = await bot.say("alice", "/forget")
    assert len(replies) == 1
    buttons = replies[0].flat_buttons
    assert [b.label for b in buttons] == ["Yes, forget me", "Cancel"]
    assert "cannot be undone" in replies[0].rich.to_plain()
    done = await bot.press("alice", buttons[0].payload)
    assert done[0].rich.to_plain().startswith("Forgotten: I deleted ")

    after = rows_of(running, group_id, alice)
    assert {k: v for k, v in after.items() if v} == {}
    assert rows_of(running, g2, alice) == other_before  # the other group keeps its rows
    assert rows_of(running, group_id, bob)["message.member_id"] == bob_messages
    assert member_exists(running, alice)  # still a member of g2
    assert [m.platform_message_id for m in messages_of(running, "alice") if not m.is_command] == ["g2-m1"]
    # Bob's reaction to alice's forgotten message still counts for bob but no longer points at it.
    with db.session_scope(running.engine) as s:
        kept = s.exec(select(Reaction).where(Reaction.member_id == bob, Reaction.group_id == group_id)).all()
    assert [(r.platform_message_id, r.message_id) for r in kept] == [("g1-m1", None)]


async def test_forget_of_a_member_in_no_other_group_removes_the_identity_too(
    bot: TestBot, app: CohortApp
) -> None:
    await bot.say("alice", "hello")
    _, alice = ids(bot, "alice")
    buttons = (await bot.say("alice", "/forget"))[0].flat_buttons
    await bot.press("alice", buttons[0].payload)
    with db.session_scope(app.engine) as s:
        assert s.get(Member, alice) is None
        assert s.exec(select(PlatformAccount).where(PlatformAccount.member_id == alice)).first() is None
    # Chatting again starts fresh.
    await bot.say("alice", "I'm back")
    assert [m.text for m in messages_of(app, "alice")] == ["I'm back"]


async def test_forget_by_someone_who_never_spoke_deletes_nothing(bot: TestBot, app: CohortApp) -> None:
    await bot.say("bob", "hello")
    replies = await bot.say("quiet", "/forget")
    assert [r.rich.to_plain() for r in replies] == [
        "I have nothing stored about you in this group, so there is nothing to forget."
    ]
    assert replies[0].buttons == ()
    assert [m.text for m in messages_of(app, "bob")] == ["hello"]
    with db.session_scope(app.engine) as s:
        assert s.exec(select(func.count()).select_from(PendingAction)).one() == 0


async def test_forget_confirmation_belongs_to_its_member_expires_and_can_be_cancelled(
    bot: TestBot, app: CohortApp, clock: FakeClock
) -> None:
    await bot.say("alice", "my data")
    yes, no = (await bot.say("alice", "/forget"))[0].flat_buttons
    assert (await bot.press("mallory", yes.payload))[0].rich.to_plain() == (
        "Only the member who asked can confirm their own /forget."
    )
    assert (
        (await bot.in_chat("g2").press("alice", yes.payload))[0]
        .rich.to_plain()
        .startswith("That confirmation has expired")
    )
    assert [r.rich.to_plain() for r in await bot.press("alice", no.payload)] == [
        "Cancelled: nothing was deleted."
    ]
    assert (
        (await bot.press("alice", yes.payload))[0].rich.to_plain().startswith("That confirmation has expired")
    )
    yes2, _ = (await bot.say("alice", "/forget"))[0].flat_buttons
    clock.advance(minutes=11)
    assert (
        (await bot.press("alice", yes2.payload))[0]
        .rich.to_plain()
        .startswith("That confirmation has expired")
    )
    for junk in ("forget:", "forget:yes:abc", "forget:maybe:1", "forget:yes:" + "9" * 40):
        assert "expired" in (await bot.press("alice", junk))[0].rich.to_plain()
    assert [m.text for m in messages_of(app, "alice") if not m.is_command] == ["my data"]


async def test_privacy_is_private_and_describes_what_is_stored(bot: TestBot, catalog: int) -> None:
    await bot.say("alice", "hello")
    await bot.say("alice", "/rate 1 5")
    replies = await bot.say("alice", "/privacy")
    assert replies[0].direct_to == bot.user("alice")
    text = replies[0].rich.to_plain()
    assert "Stored now: 1 message, 1 rating or course signal." in text
    assert "kept forever" in text and "Signals: *on*" in text
    assert "Stored now: nothing besides your membership." in await bot.text("newbie", "/privacy")


async def test_optout_stops_tracking_and_optin_resumes(bot: TestBot, app: CohortApp) -> None:
    await bot.say("bob", "a post", message_id="b1")
    assert "no longer track" in await bot.text("alice", "/optout")
    assert "already opted out" in await bot.text("alice", "/optout")
    await bot.say("alice", "this is not stored")
    await bot.react("alice", "b1", "👍")
    assert "Signals: *off*" in await bot.text("alice", "/privacy")
    assert "Signals are off for you" in await bot.text("alice", "/me")
    assert "alice" not in await bot.text("bob", "/leaderboard all")
    assert [m.text for m in messages_of(app, "alice") if not m.is_command] == []
    assert "Welcome back" in await bot.text("alice", "/optin")
    assert "nothing changed" in await bot.text("alice", "/optin")
    await bot.say("alice", "now I count")
    await bot.react("alice", "b1", "👍")
    assert [m.text for m in messages_of(app, "alice") if not m.is_command] == ["now I count"]
    assert "*alice*" in await bot.text("bob", "/leaderboard all")
