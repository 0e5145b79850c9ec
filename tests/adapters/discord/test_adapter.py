"""The Discord adapter through the real discord.py client, against the fake Discord on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import time

import pytest
from sqlmodel import select

from adapters.discord.adapter import DiscordAdapter, DiscordStartError
from bot.app import CohortApp
from bot.config import Settings
from bot.dispatcher import Context
from bot.text import RichText, T, bold
from bot.types import Attachment, Button, Chat, Reply
from storage import db
from storage.crud import core as crud
from storage.models import Message as MessageRow
from storage.models import Reaction as ReactionRow
from tests.adapters.discord.conftest import discord_settings
from tests.adapters.discord.fake_server import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    GUILD_MEMBERS,
    MANAGER_ID,
    MANAGER_ROLE_ID,
    MEMBER_ID,
    MESSAGE_CONTENT,
    FakeDiscord,
)

GUILD = Chat(platform="discord", chat_id=GUILD_ID, kind="group", title="Study Hall")


def stored_messages(app: CohortApp) -> list[MessageRow]:
    with db.session_scope(app.engine) as s:
        group = crud.get_or_create_group(s, platform="discord", chat_id=GUILD_ID)
        return list(s.exec(select(MessageRow).where(MessageRow.group_id == group.id)))


def channel_messages(fake: FakeDiscord) -> list[dict]:
    return [m for m in fake.messages if m["channel_id"] == CHANNEL_ID and not m.get("_dm_to")]


async def test_start_identifies_with_intents_and_syncs_commands(
    adapter: DiscordAdapter, fake: FakeDiscord, app: CohortApp
) -> None:
    assert fake.identify is not None
    intents = int(fake.identify["intents"])
    assert intents & MESSAGE_CONTENT and intents & GUILD_MEMBERS
    (put,) = fake.calls_to("PUT", "/commands")
    names = [c["name"] for c in put.body]
    assert set(names) == set(app.dispatcher.commands)
    rate = next(c for c in put.body if c["name"] == "rate")
    assert [(o["name"], o["type"], o["required"]) for o in rate["options"]] == [
        ("id", 4, True),
        ("stars", 4, True),
    ]
    # The member chunk request was answered, so the guild's members are cached.
    assert fake.chunk_requests
    guild = adapter.client.get_guild(int(GUILD_ID))  # type: ignore[union-attr]
    assert guild is not None and guild.get_member(int(MANAGER_ID)) is not None


async def test_guild_message_stored_once_and_command_answered_once(
    adapter: DiscordAdapter, fake: FakeDiscord, app: CohortApp, catalog: int
) -> None:
    hello = fake.message_payload("hello everyone", MEMBER_ID)
    await fake.dispatch("MESSAGE_CREATE", hello)
    await fake.dispatch("MESSAGE_CREATE", hello)  # Discord may redeliver after a resume
    cmd = fake.message_payload("/courses python", MEMBER_ID)
    await fake.dispatch("MESSAGE_CREATE", cmd)
    await fake.dispatch("MESSAGE_CREATE", cmd)
    await fake.wait_for(lambda: len(stored_messages(app)) == 2 and channel_messages(fake))
    rows = stored_messages(app)
    assert sorted(r.platform_message_id for r in rows) == sorted([hello["id"], cmd["id"]])
    text_row = next(r for r in rows if r.platform_message_id == hello["id"])
    assert text_row.text == "hello everyone"
    await fake.wait_for(lambda: len(fake.calls_to("POST", "/messages")) >= 1)
    replies = channel_messages(fake)
    assert len(replies) == 1 and "python" in replies[0]["content"].lower()
    # A reply to the command message, pinging nobody.
    assert str(replies[0]["_reference"]["message_id"]) == cmd["id"]
    assert replies[0]["_allowed_mentions"]["parse"] == []


async def test_slash_command_answered_as_interaction_response(
    adapter: DiscordAdapter, fake: FakeDiscord, catalog: int
) -> None:
    inter = fake.slash(MEMBER_ID, "courses", query="python")
    await fake.dispatch("INTERACTION_CREATE", inter)
    await fake.wait_for(lambda: fake.calls_to("POST", f"/interactions/{inter['id']}/"))
    (callback,) = fake.calls_to("POST", f"/interactions/{inter['id']}/")
    assert callback.body["type"] == 4
    assert "python" in callback.body["data"]["content"].lower()
    assert "course" in callback.body["data"]["content"].lower()


async def test_slash_options_in_declared_order(
    adapter: DiscordAdapter, fake: FakeDiscord, catalog: int
) -> None:
    inter = fake.slash(MEMBER_ID, "rate", stars=5, id=2)  # the user filled "stars" first
    await fake.dispatch("INTERACTION_CREATE", inter)
    await fake.wait_for(lambda: fake.calls_to("POST", f"/interactions/{inter['id']}/"))
    content = fake.calls_to("POST", f"/interactions/{inter['id']}/")[0].body["data"]["content"]
    assert "5/5" in content and "Rated" in content


async def test_slow_slash_command_is_deferred_then_followed_up(
    app: CohortApp, settings: Settings, fake: FakeDiscord
) -> None:
    import asyncio

    @app.dispatcher.command("slowtest", help="test: answers after a pause")
    async def slow(ctx: Context) -> str:
        await asyncio.sleep(0.3)
        return "finally"

    ad = DiscordAdapter(app, discord_settings(settings, fake), guild_ready_timeout=0.05, defer_after=0.05)
    await ad.start()
    try:
        inter = fake.slash(MEMBER_ID, "slowtest")
        await fake.dispatch("INTERACTION_CREATE", inter)
        await fake.wait_for(lambda: fake.calls_to("POST", "/webhooks/"))
        (callback,) = fake.calls_to("POST", f"/interactions/{inter['id']}/")
        assert callback.body["type"] == 5  # deferred: "Cohort is thinking…"
        (followup,) = fake.calls_to("POST", "/webhooks/")
        assert followup.body["content"] == "finally"
    finally:
        await ad.stop()


async def test_reaction_added_and_removed_in_store(
    adapter: DiscordAdapter, fake: FakeDiscord, app: CohortApp
) -> None:
    msg = fake.message_payload("a great course", MEMBER_ID)
    await fake.dispatch("MESSAGE_CREATE", msg)
    await fake.wait_for(lambda: len(stored_messages(app)) == 1)
    member = fake.member_obj(MANAGER_ID)
    add = {
        "user_id": MANAGER_ID,
        "channel_id": CHANNEL_ID,
        "message_id": msg["id"],
        "guild_id": GUILD_ID,
        "member": member,
        "emoji": {"id": None, "name": "👍"},
        "burst": False,
        "type": 0,
        "message_author_id": MEMBER_ID,
    }
    await fake.dispatch("MESSAGE_REACTION_ADD", add)

    def reactions() -> list[ReactionRow]:
        with db.session_scope(app.engine) as s:
            return list(s.exec(select(ReactionRow)))

    await fake.wait_for(lambda: len(reactions()) == 1)
    (row,) = reactions()
    assert row.emoji == "👍" and row.platform_message_id == msg["id"]
    assert row.message_id == stored_messages(app)[0].id
    remove = {k: v for k, v in add.items() if k not in ("member", "message_author_id")}
    await fake.dispatch("MESSAGE_REACTION_REMOVE", remove)
    await fake.wait_for(lambda: len(reactions()) == 0)


async def test_button_press_is_handled(adapter: DiscordAdapter, fake: FakeDiscord, catalog: int) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("/courses", MEMBER_ID))
    await fake.wait_for(lambda: channel_messages(fake))
    first = channel_messages(fake)[0]
    buttons = [c for row in first["components"] for c in row["components"]]
    assert buttons and buttons[-1]["custom_id"].startswith("courses:1")
    assert "page 1 of" in first["content"]
    press = fake.button(MEMBER_ID, buttons[-1]["custom_id"], {**first, "author": fake.users[MEMBER_ID]})
    await fake.dispatch("INTERACTION_CREATE", press)
    await fake.wait_for(lambda: len(channel_messages(fake)) == 2)
    (ack,) = fake.calls_to("POST", f"/interactions/{press['id']}/")
    assert ack.body["type"] == 6  # acknowledged without a visible change
    assert "page 2 of" in channel_messages(fake)[1]["content"]


@pytest.mark.parametrize("who, allowed", [(MEMBER_ID, False), (MANAGER_ID, True)])
async def test_owner_command_needs_manage_server(
    adapter: DiscordAdapter, fake: FakeDiscord, who: str, allowed: bool
) -> None:
    # As a typed message: permissions come from the guild's roles in discord.py's cache.
    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("/settings", who))
    await fake.wait_for(lambda: channel_messages(fake))
    typed = channel_messages(fake)[0]["content"]
    # As a slash command: Discord sends the invoker's permissions with the interaction.
    inter = fake.slash(who, "settings")
    await fake.dispatch("INTERACTION_CREATE", inter)
    await fake.wait_for(lambda: fake.calls_to("POST", f"/interactions/{inter['id']}/"))
    slash = fake.calls_to("POST", f"/interactions/{inter['id']}/")[0].body["data"]["content"]
    for content in (typed, slash):
        assert ("for group owners and admins" not in content) is allowed, content


async def test_is_admin_never_trusts_names(adapter: DiscordAdapter) -> None:
    from bot.types import ChatUser

    imposter = ChatUser(platform="discord", user_id=MEMBER_ID, display_name="Admin", username="admin")
    assert await adapter.is_admin(GUILD, imposter) is False
    manager = ChatUser(platform="discord", user_id=MANAGER_ID, display_name="mona")
    assert await adapter.is_admin(GUILD, manager) is True
    unknown = ChatUser(platform="discord", user_id="123", display_name="x")
    assert await adapter.is_admin(GUILD, unknown) is False
    dm = Chat(platform="discord", chat_id=CHANNEL_ID, kind="private")
    assert await adapter.is_admin(dm, manager) is False


async def test_429_is_waited_out_and_reply_arrives_once(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    fake.fail_next(
        "POST",
        f"/channels/{CHANNEL_ID}/messages",
        429,
        {"message": "You are being rate limited.", "retry_after": 0.4, "global": False},
    )
    started = time.monotonic()
    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("/start", MEMBER_ID))
    await fake.wait_for(lambda: channel_messages(fake))
    elapsed = time.monotonic() - started
    assert len(fake.calls_to("POST", f"/channels/{CHANNEL_ID}/messages")) == 2  # the 429, then the retry
    assert len(channel_messages(fake)) == 1 and "Cohort" in channel_messages(fake)[0]["content"]
    assert elapsed >= 0.4


async def test_long_reply_arrives_in_ordered_parts(
    adapter: DiscordAdapter, fake: FakeDiscord, app: CohortApp
) -> None:
    lines = [f"line {i:03d} " + "x" * 51 for i in range(100)]  # 100 lines of 60: 6,099 characters
    assert len("\n".join(lines)) > 6000

    @app.dispatcher.command("longtest", help="test: a long answer")
    async def long(ctx: Context) -> RichText:
        return RichText.join(lines)

    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("/longtest", MEMBER_ID))
    await fake.wait_for(lambda: "line 099" in "".join(m["content"] for m in channel_messages(fake)))
    parts = [m["content"] for m in channel_messages(fake)]
    assert len(parts) >= 3 and all(len(p) <= 2000 for p in parts)
    assert "\n".join(parts).split("\n") == lines
    # Slash: the first part is the response, the rest follow-ups, in order.
    inter = fake.slash(MEMBER_ID, "longtest")
    await fake.dispatch("INTERACTION_CREATE", inter)
    await fake.wait_for(
        lambda: any("line 099" in c.body["content"] for c in fake.calls_to("POST", "/webhooks/"))
    )
    first = fake.calls_to("POST", f"/interactions/{inter['id']}/")[0].body["data"]["content"]
    rest = [c.body["content"] for c in fake.calls_to("POST", "/webhooks/")]
    assert "\n".join([first, *rest]).split("\n") == lines


async def test_dm_goes_privately(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("/link", MEMBER_ID))
    await fake.wait_for(lambda: fake.messages)
    (dm,) = fake.messages
    assert dm["_dm_to"] == MEMBER_ID and "link code" in dm["content"]
    assert not channel_messages(fake)


async def test_blocked_dm_falls_back_to_mention(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    fake.dm_blocked.add(MEMBER_ID)
    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("/link", MEMBER_ID))
    await fake.wait_for(lambda: len(channel_messages(fake)) == 2)
    fallback, notice = channel_messages(fake)
    assert fallback["content"].startswith(f"<@{MEMBER_ID}> ")
    assert [str(u) for u in fallback["_allowed_mentions"]["users"]] == [MEMBER_ID]
    assert fallback["_allowed_mentions"]["parse"] == []  # no @everyone, no roles
    assert "couldn't message you privately" in notice["content"]


async def test_slash_private_answer_is_ephemeral(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    inter = fake.slash(MEMBER_ID, "link")
    await fake.dispatch("INTERACTION_CREATE", inter)
    await fake.wait_for(lambda: fake.calls_to("POST", f"/interactions/{inter['id']}/"))
    (callback,) = fake.calls_to("POST", f"/interactions/{inter['id']}/")
    assert callback.body["data"]["flags"] & 64 and "link code" in callback.body["data"]["content"]
    assert not fake.calls_to("POST", "/users/@me/channels")


async def test_untrusted_text_is_escaped_and_pings_nobody(
    adapter: DiscordAdapter, fake: FakeDiscord, catalog: int
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("/courses @everyone **<@&1>**", MEMBER_ID))
    await fake.wait_for(lambda: channel_messages(fake))
    content = channel_messages(fake)[0]["content"]
    assert "@everyone" not in content and "<@&1>" not in content and "\\*\\*" in content


async def test_push_edit_and_attachment(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    # A push without a channel goes to the guild's system channel, with buttons.
    sent = await adapter.send(
        Reply(chat=GUILD, text=T("RSVP: ", bold("0 going")), buttons=((Button("Going", "rsvp:1:going"),),))
    )
    assert sent is not None and fake.messages[-1]["channel_id"] == CHANNEL_ID
    assert fake.messages[-1]["content"] == "RSVP: **0 going**"
    edited = await adapter.send(Reply(chat=GUILD, text="RSVP: 1 going", edit_message_id=sent.message_id))
    assert edited is not None and edited.message_id == sent.message_id
    (patch,) = fake.calls_to("PATCH", f"/messages/{sent.message_id}")
    assert patch.body["content"] == "RSVP: 1 going"
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    await adapter.send(
        Reply(chat=GUILD, text="chart", attachment=Attachment("stats.png", png), reply_channel_id=CHANNEL_ID)
    )
    post = fake.calls_to("POST", f"/channels/{CHANNEL_ID}/messages")[-1]
    assert post.files == [("stats.png", png)] and post.body["content"] == "chart"


async def test_own_messages_are_ignored(adapter: DiscordAdapter, fake: FakeDiscord, app: CohortApp) -> None:
    fake.users[BOT_ID] = {**fake.users[MEMBER_ID], "id": BOT_ID, "bot": True}
    fake.member_roles[BOT_ID] = []
    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("/start", BOT_ID))
    await fake.dispatch("MESSAGE_CREATE", fake.message_payload("marker", MEMBER_ID))
    await fake.wait_for(lambda: len(stored_messages(app)) == 1)
    assert not channel_messages(fake)


async def test_missing_privileged_intents_give_clear_error(app: CohortApp, settings: Settings) -> None:
    fake = FakeDiscord(privileged_enabled=False)
    await fake.start()
    try:
        ad = DiscordAdapter(app, discord_settings(settings, fake), guild_ready_timeout=0.05, ready_timeout=10)
        with pytest.raises(DiscordStartError) as err:
            await ad.start()
        text = str(err.value)
        assert "4014" in text and "MESSAGE CONTENT INTENT" in text and "SERVER MEMBERS INTENT" in text
        assert "developers/applications" in text
        await ad.stop()
    finally:
        await fake.stop()


async def test_missing_token_gives_clear_error(app: CohortApp, settings: Settings) -> None:
    ad = DiscordAdapter(app, dataclasses.replace(settings, discord_token=None))
    with pytest.raises(DiscordStartError, match="DISCORD_BOT_TOKEN"):
        await ad.start()


async def test_admin_status_is_cached_briefly(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    from bot.types import ChatUser

    mike = ChatUser(platform="discord", user_id=MEMBER_ID, display_name="mike")
    assert await adapter.is_admin(GUILD, mike) is False
    # Mike is given the Moderators role (Manage Server); discord.py updates its member cache from the gateway.
    fake.member_roles[MEMBER_ID] = [MANAGER_ROLE_ID]
    await fake.dispatch("GUILD_MEMBER_UPDATE", {**fake.member_obj(MEMBER_ID), "guild_id": GUILD_ID})
    guild = adapter.client.get_guild(int(GUILD_ID))  # type: ignore[union-attr]
    assert guild is not None
    await fake.wait_for(lambda: guild.get_member(int(MEMBER_ID)).guild_permissions.manage_guild)  # type: ignore[union-attr]
    assert await adapter.is_admin(GUILD, mike) is False  # still the cached answer
    adapter.admin_cache_seconds = 0.0  # the cache window has passed
    assert await adapter.is_admin(GUILD, mike) is True


async def test_failing_slash_command_still_gets_an_answer(
    adapter: DiscordAdapter, fake: FakeDiscord, app: CohortApp
) -> None:
    @app.dispatcher.command("boomtest", help="test: a handler bug")
    async def boom(ctx: Context) -> str:
        raise RuntimeError("bug")

    inter = fake.slash(MEMBER_ID, "boomtest")
    await fake.dispatch("INTERACTION_CREATE", inter)
    await fake.wait_for(lambda: fake.calls_to("POST", f"/interactions/{inter['id']}/"))
    (callback,) = fake.calls_to("POST", f"/interactions/{inter['id']}/")
    assert callback.body["data"]["flags"] & 64 and "went wrong" in callback.body["data"]["content"]


async def test_slow_private_answer_goes_by_dm_not_public_followup(
    app: CohortApp, settings: Settings, fake: FakeDiscord
) -> None:
    import asyncio

    @app.dispatcher.command("slowsecret", help="test: a slow private answer")
    async def slow(ctx: Context) -> Reply:
        await asyncio.sleep(0.3)
        return ctx.reply("the secret", direct=True)

    ad = DiscordAdapter(app, discord_settings(settings, fake), guild_ready_timeout=0.05, defer_after=0.05)
    await ad.start()
    try:
        inter = fake.slash(MEMBER_ID, "slowsecret")
        await fake.dispatch("INTERACTION_CREATE", inter)
        await fake.wait_for(lambda: fake.calls_to("DELETE", "/@original"))
        assert fake.calls_to("POST", f"/interactions/{inter['id']}/")[0].body["type"] == 5
        assert not fake.calls_to("POST", "/webhooks/")  # nothing replaced the public "thinking…" message
        (dm,) = [m for m in fake.messages if m.get("_dm_to")]
        assert dm["_dm_to"] == MEMBER_ID and dm["content"] == "the secret"
    finally:
        await ad.stop()
