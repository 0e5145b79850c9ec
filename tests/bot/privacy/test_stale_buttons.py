"""Presses that must not bring a forgotten member back: a personal button needs the member it was shown to, so a
stale one (pressed after /forget) creates no member, account or membership; someone else's Cancel on /forget is
refused in words that say so, and cancels nothing."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from bot.app import CohortApp
from bot.testing import TestBot
from bot.types import Button, Reply
from storage import db
from storage.models import Member, Membership, PendingAction, PlatformAccount, Rating
from tests.helpers import ids


def identity_rows(app: CohortApp) -> tuple[int, int, int]:
    """(members, accounts, memberships) in the store."""
    with db.session_scope(app.engine) as s:
        return (
            s.exec(select(func.count()).select_from(Member)).one(),
            s.exec(select(func.count()).select_from(PlatformAccount)).one(),
            s.exec(select(func.count()).select_from(Membership)).one(),
        )


def plain(replies) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(r.rich.to_plain() for r in replies)


async def test_replaying_ones_own_forget_buttons_after_forget_creates_nothing(
    bot: TestBot, app: CohortApp
) -> None:
    await bot.say("bob", "hello")
    await bot.say("alice", "my data")
    yes, no = (await bot.say("alice", "/forget"))[0].flat_buttons
    assert plain(await bot.press("alice", yes.payload)).startswith("Forgotten:")
    after_forget = identity_rows(app)
    assert after_forget == (1, 1, 1)  # bob only
    for button in (yes, no, yes):
        out = plain(await bot.press("alice", button.payload))
        assert "expired" in out and "Cancelled" not in out and "Forgotten" not in out
    assert identity_rows(app) == after_forget


async def test_replay_after_forget_in_one_group_keeps_the_other_group_only(
    bot: TestBot, app: CohortApp
) -> None:
    other = bot.in_chat("g2")
    await other.say("alice", "hi there")
    await bot.say("alice", "my data")
    group_id, alice = ids(bot, "alice")
    yes, no = (await bot.say("alice", "/forget"))[0].flat_buttons
    assert plain(await bot.press("alice", yes.payload)).startswith("Forgotten:")
    for button in (no, yes):
        assert "expired" in plain(await bot.press("alice", button.payload))
    with db.session_scope(app.engine) as s:
        memberships = s.exec(select(Membership).where(Membership.member_id == alice)).all()
        assert [m.group_id for m in memberships] != [] and group_id not in [m.group_id for m in memberships]


async def test_someone_elses_cancel_says_it_is_not_theirs_and_creates_nobody(
    bot: TestBot, app: CohortApp
) -> None:
    await bot.say("alice", "my data")
    yes, no = (await bot.say("alice", "/forget"))[0].flat_buttons
    before = identity_rows(app)
    out = plain(await bot.press("mallory", no.payload))  # mallory never wrote here
    assert "Cancelled" not in out and "Only the member who asked" in out
    assert identity_rows(app) == before
    with db.session_scope(app.engine) as s:
        action = s.exec(select(PendingAction)).one()
        assert action.used_at is None  # still open for alice
    assert plain(await bot.press("alice", no.payload)) == "Cancelled: nothing was deleted."


async def test_a_stale_personal_button_of_another_namespace_creates_nobody(
    bot: TestBot, app: CohortApp, catalog: int
) -> None:
    """The rule is the buttons', not /forget's: a feedback press on picks shown before /forget stores nothing."""
    await bot.say("bob", "hello")
    await bot.say("alice", "my data")
    picks = Reply(chat=bot.chat, text="picks", buttons=((Button("👍", "rec:i:1"), Button("✋", "rec:n:1")),))
    shown = app.dispatcher.bind(picks, reader=bot.user("alice"))  # as /recommend showed them to alice
    yes, _ = (await bot.say("alice", "/forget"))[0].flat_buttons
    assert plain(await bot.press("alice", yes.payload)).startswith("Forgotten:")
    before = identity_rows(app)
    for button in shown.flat_buttons:
        assert "expired" in plain(await bot.press("alice", button.payload))
    assert identity_rows(app) == before
    with db.session_scope(app.engine) as s:
        assert s.exec(select(func.count()).select_from(Rating)).one() == 0
