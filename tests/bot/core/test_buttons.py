"""Buttons belong to a message and a reader: a personal button pressed by anyone but its reader is refused with a
word and changes nothing; open buttons (RSVP, paging) are anyone's; forged or stale payloads have expired."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from bot.app import CohortApp
from bot.buttons import MAX_PAYLOAD, MAX_PERSONAL_PAYLOAD, ButtonKey, is_bound, secret_from
from bot.dispatcher import NOT_YOURS, Context, Dispatcher
from bot.testing import TestBot
from bot.types import Button, Chat, ChatUser, Reply
from community.demo import seed_community
from storage import db
from storage.models import Rating
from tests.helpers import ids, messages_of

EXPIRED = "That button has expired"


@pytest.fixture
def probe(app: CohortApp) -> list[tuple[str, str]]:
    """/probe answers with one personal button; pressing it records (presser, data)."""
    presses: list[tuple[str, str]] = []

    @app.dispatcher.command("probe", help="a personal button")
    async def probe_cmd(ctx: Context) -> Reply:
        return ctx.reply("yours", buttons=[[Button("Press", "probe:42")]])

    @app.dispatcher.button("probe")
    async def probe_pressed(ctx: Context, data: str) -> str:
        presses.append((ctx.user.user_id, data))
        return f"pressed {data}"

    return presses


def plain(replies: list[Reply]) -> str:
    return "\n".join(r.rich.to_plain() for r in replies)


async def test_another_members_press_is_refused_privately_and_changes_nothing(
    bot: TestBot, probe: list[tuple[str, str]]
) -> None:
    [reply] = await bot.say("alice", "/probe")
    [button] = reply.flat_buttons
    assert is_bound(button.payload) and len(button.payload.encode()) <= MAX_PAYLOAD
    [refusal] = await bot.press("bob", button.payload)
    assert refusal.rich.to_plain() == NOT_YOURS
    assert refusal.direct_to is not None and refusal.direct_to.user_id == "bob"  # told to bob alone
    assert probe == []
    assert plain(await bot.press("alice", button.payload)) == "pressed 42"  # the handler sees its own data
    assert probe == [("alice", "42")]


async def test_forged_or_stale_payloads_have_expired(bot: TestBot, probe: list[tuple[str, str]]) -> None:
    [reply] = await bot.say("alice", "/probe")
    bound = reply.flat_buttons[0].payload
    tag = bound.rsplit(":~", 1)[1]
    forged = [
        "probe:42",  # no tag: sent before buttons were bound, or made up
        f"probe:43:~{tag}",  # alice's tag moved to another payload
        bound[:-1] + ("A" if bound[-1] != "A" else "B"),  # a tag that does not verify
        bound + "x",
    ]
    for payload in forged:
        assert EXPIRED in plain(await bot.press("alice", payload, raw=True)), payload
    assert probe == []


async def test_the_binding_survives_a_restart_but_not_a_new_key(
    app: CohortApp, probe: list[tuple[str, str]]
) -> None:
    bot = TestBot(app)
    [reply] = await bot.say("alice", "/probe")
    bound = reply.flat_buttons[0].payload
    same = Dispatcher(button_key=ButtonKey(secret_from(None, None)))
    assert same.button_key.check(bound, bot.user("alice")) == ("ok", "probe:42")
    rotated = ButtonKey(secret_from("123:new-telegram-token", None))
    assert rotated.check(bound, bot.user("alice")) == ("expired", "")  # alice's own, under an old key
    assert rotated.check(bound, bot.user("bob"))[0] == "not_yours"
    other_platform = ChatUser(platform="discord", user_id="alice", display_name="alice")
    assert bot.app.dispatcher.button_key.check(bound, other_platform)[0] != "ok"


async def test_each_namespace_declares_its_audience(app: CohortApp) -> None:
    audience = {ns: spec.audience for ns, spec in app.dispatcher.buttons.items()}
    # Personal: picks, the /forget confirmation, check-ins, an owner's draft. Open: a card's RSVP, search paging.
    decided = {
        "rec": "reader",
        "forget": "reader",
        "buddy": "reader",
        "evadd": "reader",
        "rsvp": "anyone",
        "courses": "anyone",
    }
    assert {ns: audience.get(ns) for ns in decided} == decided
    d = Dispatcher()
    for bad in ("a:b", "a~b", ""):
        with pytest.raises(ValueError):
            d.button(bad)


async def test_open_buttons_carry_no_tag_and_anyone_may_press(bot: TestBot, catalog: int) -> None:
    [page] = await bot.say("alice", "/courses")
    [more] = page.flat_buttons
    assert not is_bound(more.payload) and more.payload.startswith("courses:1:")
    assert "(page 2 of" in plain(await bot.press("bob", more.payload))


async def test_someone_elses_picks_are_not_theirs_to_rate(app: CohortApp, catalog: int) -> None:
    """The issue's console case (`alice: 6` pressed a button on bob's picks), through the chat driver."""
    with db.session_scope(app.engine) as s:
        seed_community(s, platform="test", chat_id="g1", now=app.clock.now())
    bot = TestBot(app)
    [picks] = await bot.say("bob", "/recommend 3")
    not_for_me = [b for b in picks.flat_buttons if b.payload.startswith("rec:n:")]
    assert not_for_me

    def feedback() -> list[tuple[int, int, float]]:
        with db.session_scope(app.engine) as s:
            rows = s.exec(select(Rating).where(Rating.source == "feedback")).all()
            return [(r.member_id, r.course_id, r.value) for r in rows]

    for button in picks.flat_buttons:
        assert plain(await bot.press("alice", button.payload)) == NOT_YOURS
    assert feedback() == []
    await bot.press("bob", not_for_me[0].payload)
    _, bob = ids(bot, "bob")
    assert [(m, v) for m, _, v in feedback()] == [(bob, -1.0)]


async def test_someone_elses_forget_cancel_is_refused_and_leaves_the_request(bot: TestBot) -> None:
    await bot.say("alice", "my data")
    yes, no = (await bot.say("alice", "/forget"))[0].flat_buttons
    for button in (no, yes):
        refused = await bot.press("mallory", button.payload)
        assert "Only the member who asked" in plain(refused) and "Cancelled" not in plain(refused)
    # Alice's confirmation is still open: mallory's "Cancel" did not cancel it.
    assert plain(await bot.press("alice", yes.payload)).startswith("Forgotten:")
    assert messages_of(bot.app, "alice") == []


async def test_pushed_buttons_are_bound_to_the_member_they_are_sent_to(bot: TestBot) -> None:
    ann = bot.user("ann")
    push = Reply(chat=bot.chat, text="check-in", buttons=((Button("Met", "buddy:1:m"),),), direct_to=ann)
    await bot.app.services.outbox.push(push)
    sent = bot.adapter.sent[-1]
    assert bot.app.dispatcher.button_key.check(sent.flat_buttons[0].payload, ann) == ("ok", "buddy:1:m")
    assert "someone else" in plain(await bot.press("ben", sent.flat_buttons[0].payload))


async def test_a_personal_payload_leaves_room_for_the_tag() -> None:
    key = ButtonKey()
    reader = ChatUser(platform="telegram", user_id="9" * 20, display_name="x")
    longest = "x:" + "9" * (MAX_PERSONAL_PAYLOAD - 2)
    assert len(key.bind(longest, reader).encode()) == MAX_PAYLOAD
    with pytest.raises(ValueError):
        key.bind(longest + "9", reader)


async def test_ctx_send_binds_too(app: CohortApp) -> None:
    """A handler that sends a message itself (not as its result) gets the same binding."""

    @app.dispatcher.command("later", help="sends itself")
    async def later(ctx: Context) -> None:
        await ctx.send(ctx.reply("take it", buttons=[[Button("Take", "later:1")]]))

    @app.dispatcher.button("later")
    async def later_pressed(ctx: Context, data: str) -> str:
        return "taken"

    bot = TestBot(app)
    [reply] = await bot.say("alice", "/later")
    assert plain(await bot.press("bob", reply.flat_buttons[0].payload)) == NOT_YOURS
    assert plain(await bot.press("alice", reply.flat_buttons[0].payload)) == "taken"


def test_bind_leaves_open_and_unknown_buttons_alone() -> None:
    d = Dispatcher()

    @d.button("open", audience="anyone")
    async def opened(ctx: Context, data: str) -> None:
        return None

    chat = Chat(platform="test", chat_id="g")
    reply = Reply(chat=chat, text="x", buttons=((Button("a", "open:1"), Button("b", "nobody:2")),))
    assert d.bind(reply, reader=ChatUser("test", "u", "u")) is reply
    assert dataclasses.replace(reply).buttons == reply.buttons
