"""/link across a Telegram group and a Discord guild, through two fake adapters of different platforms."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.app import CohortApp
from bot.testing import FakeAdapter, TestBot
from common.clock import FakeClock
from community.members.linking import ALPHABET, CODE_LENGTH
from storage import db
from storage.crud import core as core_crud
from storage.models import Member, Membership, PlatformAccount, Rating

_CODE = re.compile(r"/link ([A-Z0-9]{3}-[A-Z0-9]{4})")


@pytest.fixture
def tg(app: CohortApp) -> TestBot:
    return TestBot(app, chat_id="tg-group", adapter=FakeAdapter("telegram"), title="TG study group")


@pytest.fixture
def dc(app: CohortApp) -> TestBot:
    return TestBot(app, chat_id="dc-guild", adapter=FakeAdapter("discord"), title="Discord server")


async def get_code(b: TestBot, who: str) -> str:
    replies = await b.say(who, "/link")
    assert len(replies) == 1
    assert replies[0].direct_to is not None and replies[0].direct_to.user_id == who.lower()
    found = _CODE.search(replies[0].rich.to_plain())
    assert found, replies[0].rich.to_plain()
    return found.group(1)


def member_of(app: CohortApp, platform: str, user_id: str) -> int:
    with db.session_scope(app.engine) as s:
        account = core_crud.find_account(s, platform=platform, user_id=user_id)
        assert account is not None
        return account.member_id


async def test_code_shape_and_private_delivery(tg: TestBot) -> None:
    code = await get_code(tg, "alice")
    raw = code.replace("-", "")
    assert len(raw) == CODE_LENGTH and 6 <= len(raw) <= 8
    assert all(ch in ALPHABET for ch in raw)
    assert not set("0O1IL") & set(ALPHABET)


async def test_ratings_on_both_accounts_end_on_one_member(
    app: CohortApp, tg: TestBot, dc: TestBot, catalog: int, backend: str
) -> None:
    await tg.say("alice", "/rate 1 4")
    await dc.say("alice", "/rate 2 5")
    await dc.say("alice", "hello from discord")
    tg_member, dc_member = member_of(app, "telegram", "alice"), member_of(app, "discord", "alice")
    assert tg_member != dc_member

    code = await get_code(tg, "alice")
    answer = await dc.text("alice", f"/link {code.lower()}")
    assert "Linked" in answer and "Telegram" in answer

    assert member_of(app, "discord", "alice") == tg_member
    with db.session_scope(app.engine) as s:
        ratings = list(s.exec(select(Rating).where(Rating.source == "rate")))
        assert sorted((r.course_id, r.value) for r in ratings) == [(1, 4.0), (2, 5.0)]
        assert {r.member_id for r in ratings} == {tg_member}
        assert s.get(Member, dc_member) is None
        groups = {m.group_id for m in s.exec(select(Membership).where(Membership.member_id == tg_member))}
        assert len(groups) == 2
        assert len(list(s.exec(select(PlatformAccount).where(PlatformAccount.member_id == tg_member)))) == 2
        # Each rating stays in the group where it was made.
        tg_group = core_crud.get_or_create_group(s, platform="telegram", chat_id="tg-group")
        by_group = {r.course_id: r.group_id for r in ratings}
        assert by_group[1] == tg_group.id and by_group[2] != tg_group.id
    # The Discord guild sees only its own rating; the Telegram one is not shown there.
    assert "Your rating" not in await dc.text("alice", "/course 1")
    assert "Your rating: 5/5" in await dc.text("alice", "/course 2")
    assert "Your rating: 4/5" in await tg.text("alice", "/course 1")


async def test_same_chat_id_on_two_platforms_stays_two_groups(
    app: CohortApp, clock: FakeClock, catalog: int
) -> None:
    tg = TestBot(app, chat_id="shared", adapter=FakeAdapter("telegram"))
    # A Discord bot whose "guild" has the same chat id string must still be a different group.
    dc = TestBot(app, chat_id="shared", adapter=FakeAdapter("discord"))
    await tg.say("bob", "/rate 3 2")
    clock.advance(minutes=1)
    await dc.say("bob", "/rate 3 5")
    code = await get_code(dc, "bob")
    assert "Linked" in await tg.text("bob", f"/link {code}")
    with db.session_scope(app.engine) as s:
        rows = list(s.exec(select(Rating).where(Rating.course_id == 3)))
    # Two groups, so both ratings survive, on one member.
    assert len(rows) == 2 and len({r.member_id for r in rows}) == 1 and len({r.group_id for r in rows}) == 2


async def test_collision_in_one_group_keeps_newer_rating(
    app: CohortApp, clock: FakeClock, catalog: int
) -> None:
    tg = TestBot(app, chat_id="g", adapter=FakeAdapter("telegram"))
    await tg.say("carol", "/rate 3 2")
    carol_tg = member_of(app, "telegram", "carol")
    # A second member who rated the same course in the same group, newer (as a previously unlinked account would).
    with db.session_scope(app.engine) as s:
        other = core_crud.get_or_create_member(s, platform="discord", user_id="carol", display_name="Carol")
        group = core_crud.get_or_create_group(s, platform="telegram", chat_id="g")
        assert other.id is not None and group.id is not None
        core_crud.ensure_membership(s, group_id=group.id, member_id=other.id, role="admin")
        s.add(
            Rating(
                group_id=group.id,
                member_id=other.id,
                course_id=3,
                value=5.0,
                created_at=clock.now() + timedelta(minutes=5),
                updated_at=clock.now() + timedelta(minutes=5),
            )
        )
    dc = TestBot(app, chat_id="d", adapter=FakeAdapter("discord"))
    code = await get_code(tg, "carol")
    assert "Linked" in await dc.text("carol", f"/link {code}")
    with db.session_scope(app.engine) as s:
        rows = list(s.exec(select(Rating).where(Rating.course_id == 3)))
        assert [(r.member_id, r.value) for r in rows] == [(carol_tg, 5.0)]
        ms = list(s.exec(select(Membership).where(Membership.member_id == carol_tg)))
        assert len(ms) == 2  # group g (merged: one row) and guild d
        merged = next(m for m in ms if m.group_id == group.id)
        assert merged.role == "admin"


async def test_wrong_expired_used_codes(app: CohortApp, tg: TestBot, dc: TestBot, clock: FakeClock) -> None:
    assert "don't know that code" in await dc.text("dave", "/link ZZZ-ZZZZ")
    assert "don't know that code" in await dc.text("dave", "/link <b>@everyone</b>")
    assert "Usage" in await dc.text("dave", "/link a b c")

    code = await get_code(tg, "dave")
    clock.advance(minutes=11)
    assert "expired" in await dc.text("dave", f"/link {code}")

    code = await get_code(tg, "dave")
    assert "Linked" in await dc.text("dave", f"/link {code}")
    assert "already been used" in await dc.text("erin", f"/link {code}")
    # Linking again from an account already linked to the code's member.
    code = await get_code(tg, "dave")
    assert "already linked" in await dc.text("dave", f"/link {code}")


async def test_new_code_replaces_old_and_same_platform_refused(tg: TestBot, dc: TestBot) -> None:
    first = await get_code(tg, "frank")
    second = await get_code(tg, "frank")
    assert first != second
    assert "already been used or was replaced" in await dc.text("frank", f"/link {first}")
    # Another Telegram account cannot join a member that has a Telegram account already.
    assert "one account per platform" in await tg.text("grace", f"/link {second}")
    assert "Linked" in await dc.text("frank", f"/link {second}")


async def test_blocked_dm_cancels_code(app: CohortApp, tg: TestBot, dc: TestBot) -> None:
    tg.adapter.dm_blocked.add("heidi")
    replies = await tg.say("heidi", "/link")
    assert len(replies) == 2
    leaked = _CODE.search(replies[0].rich.to_plain())
    assert leaked and "couldn't message you privately" in replies[1].rich.to_plain()
    # The code shown in the group by the fallback does not work.
    assert "already been used" in await dc.text("mallory", f"/link {leaked.group(1)}")
    assert member_of(app, "discord", "mallory") != member_of(app, "telegram", "heidi")


async def test_link_in_private_chat_replies_inline(app: CohortApp) -> None:
    adapter = FakeAdapter("telegram")
    b = TestBot(app, chat_id="ivan-dm", adapter=adapter)
    b.chat = b.chat.__class__(platform="telegram", chat_id="ivan-dm", kind="private", title="")
    replies = await b.say("ivan", "/link")
    assert len(replies) == 1 and replies[0].direct_to is None and _CODE.search(replies[0].rich.to_plain())


async def test_a_code_sent_privately_counts_as_the_answer(app: CohortApp, tg: TestBot) -> None:
    """/link in a group answers with a direct message the handler sends itself: `handle` reports it like any reply,
    and the console prints the code with nothing after it (it printed "(no reply)" when `handle` said nothing)."""
    from adapters.console import ConsoleAdapter
    from bot.types import Message

    msg = Message(id="l1", chat=tg.chat, author=tg.user("judy"), text="/link", sent_at=app.clock.now())
    sent = await app.handle(msg, tg.adapter)
    assert [s.direct for s in sent] == [True] and len(tg.adapter.sent) == 1
    out = io.StringIO()
    console = ConsoleAdapter(app, out=out)
    console.setup()
    app.add_adapter(console)
    await console.handle_line("kim: /link")
    printed = out.getvalue()
    assert "Your link code" in printed and "(no reply)" not in printed
