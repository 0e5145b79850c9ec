"""Dispatcher behaviour seen through the chat: hints, usage lines, roles, rate limits, @botname, idempotency."""

from __future__ import annotations

from bot.app import CohortApp
from bot.dispatcher import Context, Dispatcher
from bot.testing import TestBot
from common.errors import UsageError
from storage import db
from storage.crud import core as crud


async def test_unknown_command_hints_help(bot: TestBot) -> None:
    out = await bot.text("alice", "/frobnicate now")
    assert "Unknown command /frobnicate" in out and "/help" in out


async def test_known_command_with_wrong_arguments_gets_its_usage(bot: TestBot, catalog: int) -> None:
    assert "Usage: `/rate ID 1-5`" in await bot.text("alice", "/rate 3")
    assert "Usage: `/course ID`" in await bot.text("alice", "/course")


async def test_help_is_generated_from_registrations(bot: TestBot) -> None:
    out = await bot.text("alice", "/help")
    for name in bot.app.dispatcher.commands:
        spec = bot.app.dispatcher.commands[name]
        if not spec.owner_only:
            assert spec.usage in out
    detail = await bot.text("alice", "/help rate")
    assert "/rate ID 1-5" in detail and "rate a course" in detail.lower()


async def test_command_with_botname_suffix(bot: TestBot, catalog: int) -> None:
    out = await bot.text("alice", "/courses@CohortBot python")
    assert "Python for Absolute Beginners" in out


async def test_owner_only_command_refused_for_members(app: CohortApp) -> None:
    @app.dispatcher.command("secret", help="owners only", role="admin")
    async def secret(ctx: Context) -> str:
        return "the secret"

    bot = TestBot(app)
    assert "for group owners and admins" in await bot.text("bob", "/secret")
    with db.session_scope(app.engine) as s:
        account = crud.find_account(s, platform="test", user_id="bob")
        group = crud.get_or_create_group(s, platform="test", chat_id="g1")
        assert account is not None and group.id is not None
        crud.set_role(s, group_id=group.id, member_id=account.member_id, role="owner")
    assert await bot.text("bob", "/secret") == "the secret"
    help_member = await bot.text("carol", "/help")
    assert "/secret" not in help_member


async def test_platform_admin_status_wins_over_store(app: CohortApp) -> None:
    from bot.testing import FakeAdapter

    @app.dispatcher.command("secret", help="owners only", role="admin")
    async def secret(ctx: Context) -> str:
        return "the secret"

    bot = TestBot(app, adapter=FakeAdapter("test", admins={"root"}))
    assert await bot.text("root", "/secret") == "the secret"
    assert "for group owners" in await bot.text("mallory", "/secret i am root")


async def test_rate_limit_warns_once_then_drops(app: CohortApp) -> None:
    app.dispatcher.limiter = type(app.dispatcher.limiter)(3)
    bot = TestBot(app)
    # Every command counts: /start and /help, unknown commands, and button presses.
    answers = [
        await bot.say("spammer", "/start"),
        await bot.say("spammer", "/help"),
        await bot.say("spammer", "/nosuchcommand"),
    ]
    assert all(len(a) == 1 for a in answers)
    out = [
        await bot.say("spammer", "/courses"),
        await bot.press("spammer", "courses:1:"),
        await bot.say("spammer", "/help"),
    ]
    assert [len(o) for o in out] == [1, 0, 0]
    assert "faster than I can answer" in out[0][0].rich.to_plain()
    assert len(await bot.say("someone_else", "/courses")) == 1


async def test_redelivered_message_is_stored_and_answered_once(bot: TestBot, catalog: int) -> None:
    first = await bot.say("alice", "/courses sql", message_id="42")
    again = await bot.say("alice", "/courses sql", message_id="42")
    assert len(first) == 1 and again == []
    await bot.say("alice", "hello there", message_id="43")
    await bot.say("alice", "hello there", message_id="43")
    with db.session_scope(bot.app.engine) as s:
        group = crud.get_or_create_group(s, platform="test", chat_id="g1")
        assert crud.count_messages(s, group_id=group.id or 0) == 2


async def test_usage_error_detail_is_shown() -> None:
    d = Dispatcher()

    @d.command("x", help="x", usage="/x N")
    async def x(ctx: Context) -> str:
        raise UsageError("N must be a number.")

    assert d.resolve("x") is not None
    assert d.parse_command("/x@SomeBot 12 3") == ("x", "12 3")
    assert d.parse_command("not a command") is None
    assert d.parse_command("/") is None
