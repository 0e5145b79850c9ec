"""IngestService at domain level: what is stored for messages, edits, reactions and leaves (no bot, no chat)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from community.ingest.reactions import record_reaction
from community.ingest.service import ChatRef, Identity, Ingested, IngestService, PersonRef
from community.privacy.tracking import set_tracking
from storage.crud import core as crud
from storage.db import Store
from storage.models import Group, Membership, Message, Reaction

pytestmark = pytest.mark.usefixtures("backend")

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CHAT = ChatRef(platform="test", chat_id="g1", title="Study group")


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine)


@pytest.fixture
def ingest(store: Store) -> IngestService:
    return IngestService(store)


def person(name: str) -> PersonRef:
    return PersonRef(platform="test", user_id=name, display_name=name.title())


def say(
    ingest: IngestService,
    who: Identity,
    message_id: str,
    text: str,
    *,
    edited: bool = False,
    is_command: bool = False,
    at: datetime = NOW,
) -> Ingested:
    return ingest.record_message(
        identity=who,
        platform_message_id=message_id,
        text=text,
        sent_at=at,
        is_command=is_command,
        edited=edited,
        reply_to_platform_id=None,
    )


def stored(store: Store, group_id: int) -> list[Message]:
    with store.session() as s:
        return list(s.exec(select(Message).where(Message.group_id == group_id).order_by(Message.id)))  # type: ignore[arg-type]


def test_first_contact_creates_group_member_and_membership(ingest: IngestService, store: Store) -> None:
    alice = ingest.identify(chat=CHAT, person=person("alice"))
    again = ingest.identify(chat=CHAT, person=person("alice"))
    assert again == alice and alice.role == "member"
    assert ingest.identify(chat=CHAT, person=person("alice"), admin=True).role == "admin"
    with store.session() as s:
        membership = crud.get_membership(s, group_id=alice.group_id, member_id=alice.member_id)
        assert membership is not None and membership.active and membership.role == "admin"


def test_redelivered_message_is_stored_once_and_answered_once(ingest: IngestService, store: Store) -> None:
    alice = ingest.identify(chat=CHAT, person=person("alice"))
    first = say(ingest, alice, "m1", "hello everyone")
    redelivered = say(ingest, alice, "m1", "hello everyone")
    assert first.answer and first.message_row_id is not None and first.score_text == "hello everyone"
    assert not redelivered.answer and redelivered.score_text is None
    rows = stored(store, alice.group_id)
    assert [(r.platform_message_id, r.text) for r in rows] == [("m1", "hello everyone")]
    assert rows[0].id == first.message_row_id


def test_command_is_answered_but_its_text_is_not_kept_or_scored(ingest: IngestService, store: Store) -> None:
    alice = ingest.identify(chat=CHAT, person=person("alice"))
    out = say(ingest, alice, "c1", "/rate 3 5", is_command=True)
    assert out.answer and out.score_text is None
    [row] = stored(store, alice.group_id)
    assert row.is_command and row.text is None and row.text_length == len("/rate 3 5")


def test_edit_replaces_the_text_and_is_scored_again(ingest: IngestService, store: Store) -> None:
    alice = ingest.identify(chat=CHAT, person=person("alice"))
    say(ingest, alice, "m1", "I hate this course")
    with store.session() as s:
        row_id = stored(store, alice.group_id)[0].id
        assert row_id is not None
        crud.set_message_sentiment(
            s, group_id=alice.group_id, message_id=row_id, score=-0.8, label="negative"
        )
    edit = say(ingest, alice, "m1", "I love this course", edited=True, at=NOW + timedelta(minutes=1))
    assert not edit.answer and edit.score_text == "I love this course"
    [row] = stored(store, alice.group_id)
    assert row.text == "I love this course" and row.edited_at == NOW + timedelta(minutes=1)
    assert row.sentiment is None and row.sentiment_label is None  # the old score no longer applies


def test_opted_out_member_edit_is_not_stored(ingest: IngestService, store: Store) -> None:
    alice = ingest.identify(chat=CHAT, person=person("alice"))
    say(ingest, alice, "m1", "before opting out")
    with store.session() as s:
        assert set_tracking(s, group_id=alice.group_id, member_id=alice.member_id, tracked=False)
    assert ingest.is_opted_out(alice)
    edit = say(ingest, alice, "m1", "secret edit", edited=True, at=NOW + timedelta(minutes=1))
    new = say(ingest, alice, "m2", "not tracked either")
    assert (edit.answer, edit.score_text, edit.message_row_id) == (False, None, None)
    assert (new.answer, new.score_text, new.message_row_id) == (False, None, None)
    [row] = stored(store, alice.group_id)
    assert row.text == "before opting out" and row.edited_at is None
    # Commands still run (and are logged without text).
    assert say(ingest, alice, "c1", "/optin", is_command=True).answer


def test_retention_zero_keeps_no_text(ingest: IngestService, store: Store) -> None:
    alice = ingest.identify(chat=CHAT, person=person("alice"))
    with store.session() as s:
        group = s.get(Group, alice.group_id)
        assert group is not None
        group.settings = {"retention_days": 0}
        s.add(group)
    out = say(ingest, alice, "m1", "my private thoughts")
    say(ingest, alice, "m2", "short", at=NOW + timedelta(minutes=1))
    say(ingest, alice, "m2", "a longer edit", edited=True, at=NOW + timedelta(minutes=2))
    assert out.answer and out.score_text == "my private thoughts"  # scored once in memory, never stored
    rows = stored(store, alice.group_id)
    assert [(r.text, r.text_length) for r in rows] == [
        (None, len("my private thoughts")),
        (None, len("a longer edit")),
    ]


def test_leave_marks_the_membership_and_a_return_reactivates_it(ingest: IngestService, store: Store) -> None:
    alice = ingest.identify(chat=CHAT, person=person("alice"))
    bob = ingest.identify(chat=CHAT, person=person("bob"))
    left_at = NOW + timedelta(hours=2)
    ingest.record_leave(identity=alice, at=left_at)
    with store.session() as s:
        mine = s.exec(select(Membership).where(Membership.member_id == alice.member_id)).one()
        theirs = s.exec(select(Membership).where(Membership.member_id == bob.member_id)).one()
        assert (mine.active, mine.left_at) == (False, left_at)
        assert theirs.active and theirs.left_at is None
        assert [m.id for m, _ in crud.active_members(s, group_id=alice.group_id)] == [bob.member_id]
    ingest.identify(chat=CHAT, person=person("alice"))
    with store.session() as s:
        back = crud.get_membership(s, group_id=alice.group_id, member_id=alice.member_id)
        assert back is not None and back.active and back.left_at is None


def test_reactions_are_stored_once_removed_and_not_tracked_when_opted_out(
    ingest: IngestService, store: Store
) -> None:
    alice = ingest.identify(chat=CHAT, person=person("alice"))
    bob = ingest.identify(chat=CHAT, person=person("bob"))
    say(ingest, bob, "b1", "a helpful answer")

    def react(who: Identity, action: Literal["add", "remove"] = "add") -> bool:
        return record_reaction(
            store,
            group_id=who.group_id,
            member_id=who.member_id,
            platform_message_id="b1",
            emoji="👍",
            action=action,
            at=NOW,
        )

    assert react(alice) and not react(alice)  # a repeated add changes nothing
    with store.session() as s:
        [row] = list(s.exec(select(Reaction)))
        assert row.member_id == alice.member_id and row.sentiment > 0 and row.message_id is not None
    assert react(alice, "remove") and not react(alice, "remove")
    with store.session() as s:
        set_tracking(s, group_id=alice.group_id, member_id=alice.member_id, tracked=False)
    assert not react(alice)
    with store.session() as s:
        assert list(s.exec(select(Reaction))) == []
