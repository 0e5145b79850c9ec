"""interaction_records: every kind of evidence from the store, in recommender/data.py's record format."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.app import CohortApp
from bot.testing import TestBot
from community.signals.records import interaction_records
from recommender.data import KINDS, InteractionData
from storage import db
from storage.crud import courses as courses_crud
from storage.models import BuddyMatch, BuddyRound, Event, Message, Rsvp
from tests.helpers import ids


async def test_records_cover_every_kind_and_stay_in_their_group(
    bot: TestBot, running: CohortApp, catalog: int, backend: str
) -> None:
    now = running.clock.now()
    await bot.say("alice", "/rate 3 5")
    await bot.say("bob", "/rate 3 2")
    await bot.say("alice", "I really love Git and GitHub Essentials, great course", message_id="post")
    await running.stop()
    await bot.react("bob", "post", "👍")  # a reaction to a post about course 9
    await bot.react("carol", "post", "👎")  # negative: not interest
    group_id, alice = ids(bot, "alice")
    _, bob = ids(bot, "bob")
    _, carol = ids(bot, "carol")
    # The other group: same people, must not leak into this group's records.
    other = bot.in_chat("g2")
    await other.say("alice", "/rate 4 5")
    with db.session_scope(running.engine) as s:
        courses_crud.upsert_rating(
            s,
            group_id=group_id,
            member_id=carol,
            course_id=5,
            value=1.0,
            at=now,
            source="feedback",
            kind="implicit",
        )
        courses_crud.upsert_rating(
            s,
            group_id=group_id,
            member_id=bob,
            course_id=6,
            value=-1.0,
            at=now,
            source="feedback",
            kind="implicit",
        )
        event = Event(group_id=group_id, title="Git clinic", starts_at=now + timedelta(days=1), course_id=9)
        s.add(event)
        s.flush()
        assert event.id is not None
        s.add(
            Rsvp(
                group_id=group_id,
                event_id=event.id,
                member_id=bob,
                status="going",
                created_at=now,
                updated_at=now,
            )
        )
        s.add(
            Rsvp(
                group_id=group_id,
                event_id=event.id,
                member_id=carol,
                status="no",
                created_at=now,
                updated_at=now,
            )
        )
        rnd = BuddyRound(group_id=group_id)
        s.add(rnd)
        s.flush()
        assert rnd.id is not None
        s.add(BuddyMatch(group_id=group_id, round_id=rnd.id, member_ids=[alice, bob], created_at=now))
    with db.session_scope(running.engine) as s:
        records = interaction_records(s, group_id=group_id)
        everything = interaction_records(s, group_id=None)
        post = s.exec(select(Message).where(Message.platform_message_id == "post")).one()
    got = {(m, c, k) for m, c, k, _, _ in records}
    assert got == {
        (alice, 3, "rating"),
        (bob, 3, "rating"),
        (alice, 9, "mention"),
        (bob, 9, "reaction"),
        (carol, 5, "feedback_interested"),
        (bob, 6, "feedback_not_for_me"),
        (bob, 9, "rsvp"),
        # alice mentioned 9 warmly and bob RSVPed to its event: a course the buddies share
        (alice, 9, "buddy_shared"),
        (bob, 9, "buddy_shared"),
    }
    values = {(m, c, k): v for m, c, k, v, _ in records}
    assert values[(alice, 3, "rating")] == 5.0 and values[(bob, 3, "rating")] == 2.0
    assert values[(alice, 9, "mention")] == post.sentiment
    assert all(k in KINDS and isinstance(ts, float) for _, _, k, _, ts in records)
    assert (alice, 4, "rating") not in got
    assert (alice, 4, "rating") in {(m, c, k) for m, c, k, _, _ in everything}
    with db.session_scope(running.engine) as s:
        for member in (alice, bob, carol):
            scoped = interaction_records(s, group_id=group_id, member_id=member)
            assert sorted(scoped) == sorted(r for r in records if r[0] == member)
    data = InteractionData.from_records(records)
    assert data.n_users == 3 and data.nnz == len({(m, c) for m, c, _ in got})
