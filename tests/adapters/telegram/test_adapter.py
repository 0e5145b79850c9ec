"""The Telegram adapter end to end: real python-telegram-bot, long polling a fake Bot API over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import html

from sqlmodel import select

from adapters.telegram.adapter import TelegramAdapter
from bot.app import CohortApp
from bot.dispatcher import Context
from bot.text import T, bold
from bot.types import Attachment, Button, Chat, Reaction, Reply
from storage import db
from storage.models import Group, Membership, PlatformAccount
from storage.models import Message as MessageRow
from storage.models import Reaction as ReactionRow
from tests.adapters.telegram.conftest import ALICE, BOB, GROUP
from tests.adapters.telegram.fake_server import FakeTelegram, visible_text

REFUSAL = "is for group owners and admins"
TG_GROUP = Chat(platform="telegram", chat_id=str(GROUP), kind="group", title="Study group")


def group_id(app: CohortApp, chat_id: int = GROUP) -> int | None:
    with db.session_scope(app.engine) as s:
        g = s.exec(
            select(Group).where(Group.platform == "telegram", Group.platform_chat_id == str(chat_id))
        ).first()
        return g.id if g else None


def stored_messages(app: CohortApp) -> list[MessageRow]:
    with db.session_scope(app.engine) as s:
        return list(s.exec(select(MessageRow).where(MessageRow.group_id == group_id(app))))


async def test_group_message_delivered_twice_is_stored_once(
    backend: str, app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    await fake_tg.push_message(GROUP, ALICE, "Anyone up for the SQL course?", message_id=501)
    await fake_tg.push_message(GROUP, ALICE, "Anyone up for the SQL course?", message_id=501)  # redelivery
    await fake_tg.push_message(GROUP, BOB, "me!", message_id=502)
    rows = await fake_tg.wait_for(lambda: len(stored_messages(app)) >= 2 and stored_messages(app))
    await asyncio.sleep(0.1)  # give a wrongly duplicated row the chance to appear
    rows = stored_messages(app)
    assert sorted(r.platform_message_id for r in rows) == ["501", "502"]
    assert fake_tg.sent_texts() == []  # ordinary messages get no answer


async def test_courses_python_is_answered_in_html_as_a_reply(
    app: CohortApp, catalog: int, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    mid = await fake_tg.push_message(GROUP, ALICE, "/courses@cohort_test_bot python")
    [call] = await fake_tg.wait_for(lambda: fake_tg.delivered("sendMessage", GROUP))
    shown, err = visible_text(call.params["text"])
    assert err is None and call.params["parse_mode"] == "HTML"
    assert "match python" in shown and "Python" in shown
    assert call.params["reply_parameters"]["message_id"] == mid


async def test_command_for_another_bot_is_ignored(tg: TelegramAdapter, fake_tg: FakeTelegram) -> None:
    await fake_tg.push_message(GROUP, ALICE, "/help@some_other_bot")
    await fake_tg.push_message(GROUP, ALICE, "/start")
    await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP))
    [text] = fake_tg.sent_texts(GROUP)
    assert "Cohort" in text and "what I can do" not in text  # /start answered, /help@other not


async def test_reaction_reaches_the_app_and_is_stored(
    backend: str, app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    seen: list[Reaction] = []
    original = app.handle

    async def spy(event: object, adapter: object) -> object:
        if isinstance(event, Reaction):
            seen.append(event)
        return await original(event, adapter)  # type: ignore[arg-type]

    app.handle = spy  # type: ignore[method-assign]
    mid = await fake_tg.push_message(GROUP, ALICE, "Finished the pandas course today")
    await fake_tg.push_reaction(GROUP, BOB, mid, new=["🔥"])

    def stored() -> list[tuple[str, str]]:
        with db.session_scope(app.engine) as s:
            rows = list(s.exec(select(ReactionRow)))
        return [(r.platform_message_id, r.emoji) for r in rows]

    await fake_tg.wait_for(stored)
    with db.session_scope(app.engine) as s:
        assert {r.group_id for r in s.exec(select(ReactionRow))} == {group_id(app)}
    reaction = seen[0]
    assert reaction.emoji == "🔥" and reaction.action == "add"
    assert reaction.message_id == str(mid) and reaction.reactor.user_id == "1002"
    assert reaction.chat == TG_GROUP
    # The adapter asked for reactions: Telegram's default allowed_updates leaves them out.
    assert "message_reaction" in fake_tg.calls_to("getUpdates")[-1].params["allowed_updates"]
    assert stored() == [(str(mid), "🔥")]


async def test_button_press_is_handled_and_the_callback_answered(
    app: CohortApp, catalog: int, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    await fake_tg.push_message(GROUP, ALICE, "/courses")
    [first] = await fake_tg.wait_for(lambda: fake_tg.delivered("sendMessage", GROUP))
    [[more]] = first.params["reply_markup"]["inline_keyboard"]
    assert more["callback_data"].startswith("courses:1") and "More" in more["text"]
    query_id = await fake_tg.push_callback(GROUP, BOB, 1000, more["callback_data"])
    await fake_tg.wait_for(lambda: len(fake_tg.delivered("sendMessage", GROUP)) == 2)
    second = fake_tg.delivered("sendMessage", GROUP)[1]
    assert "(page 2 of" in visible_text(second.params["text"])[0]
    assert [c.params["callback_query_id"] for c in fake_tg.delivered("answerCallbackQuery")] == [query_id]


async def test_owner_command_refused_for_member_accepted_for_platform_admin(
    tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    fake_tg.admins[GROUP] = {1001}  # Alice administers the group; Bob does not
    await fake_tg.push_message(GROUP, BOB, "/settings")
    await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP))
    assert REFUSAL in fake_tg.sent_texts(GROUP)[0]
    await fake_tg.push_message(GROUP, ALICE, "/settings")
    await fake_tg.push_message(GROUP, ALICE, "/settings")
    await fake_tg.wait_for(lambda: len(fake_tg.sent_texts(GROUP)) == 3)
    assert all(REFUSAL not in t and t for t in fake_tg.sent_texts(GROUP)[1:])
    # Admin status is cached: three owner commands, one look-up.
    assert len(fake_tg.calls_to("getChatAdministrators")) == 1


async def test_name_in_text_does_not_make_an_admin(tg: TelegramAdapter, fake_tg: FakeTelegram) -> None:
    fake_tg.admins[GROUP] = {1001}
    impostor = {"id": 1099, "is_bot": False, "first_name": "alice", "username": "alice_"}
    await fake_tg.push_message(GROUP, impostor, "/settings as @alice")
    await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP))
    assert REFUSAL in fake_tg.sent_texts(GROUP)[0]


async def test_admin_lookup_failure_fails_closed(tg: TelegramAdapter, fake_tg: FakeTelegram) -> None:
    fake_tg.admins[GROUP] = {1001}
    fake_tg.fail("getChatAdministrators", 400, "Bad Request: chat not found")
    await fake_tg.push_message(GROUP, ALICE, "/settings")
    await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP))
    assert REFUSAL in fake_tg.sent_texts(GROUP)[0]


async def test_429_is_waited_out_and_the_reply_arrives_once(
    tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    fake_tg.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await fake_tg.push_message(GROUP, ALICE, "/help")
    await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP), timeout=6)
    await asyncio.sleep(0.2)
    attempts = fake_tg.calls_to("sendMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.95  # waited what retry_after asked
    assert len(fake_tg.sent_texts(GROUP)) == 1


async def test_server_errors_are_retried_with_backoff(tg: TelegramAdapter, fake_tg: FakeTelegram) -> None:
    fake_tg.fail("sendMessage", 500, "Internal Server Error", times=2)
    await fake_tg.push_message(GROUP, ALICE, "/help")
    await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP))
    assert [c.status for c in fake_tg.calls_to("sendMessage")] == [500, 500, 200]


async def test_long_reply_arrives_as_ordered_parts_under_the_limit(
    app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    lines = [f"line {i:03d} <{'x' * 50}> & more" for i in range(100)]  # ~6,500 characters, escaping grows it
    assert len("\n".join(lines)) >= 6000

    @app.dispatcher.command("essay", help="a long answer")
    async def essay(ctx: Context) -> Reply:
        return ctx.reply("\n".join(lines))

    await fake_tg.push_message(GROUP, ALICE, "/essay")
    parts = await fake_tg.wait_for(lambda: len(fake_tg.sent_texts(GROUP)) >= 2 and fake_tg.sent_texts(GROUP))
    await asyncio.sleep(0.1)
    parts = fake_tg.sent_texts(GROUP)
    assert len(parts) == 2
    assert all(len(p) <= 4096 for p in parts)
    assert "\n".join(html.unescape(p) for p in parts) == "\n".join(
        lines
    )  # nothing lost, in order, cut at lines


async def test_burst_is_queued_by_the_group_pace_and_arrives_in_order(
    app: CohortApp, fake_tg: FakeTelegram
) -> None:
    from tests.adapters.telegram.conftest import fast_pacer, start_adapter

    # The group pace alone (the chat's own pace of about one a second would hide it).
    adapter = await start_adapter(
        app, fake_tg, pacer=fast_pacer(group_rate=3, group_period=1.0, chat_rate=100)
    )
    try:
        replies = [Reply(chat=TG_GROUP, text=f"reminder {i}") for i in range(8)]
        sent = await asyncio.gather(*(app.push(r) for r in replies))
    finally:
        await adapter.stop()
    assert all(s is not None for s in sent)
    calls = fake_tg.delivered("sendMessage", GROUP)
    assert [c.params["text"] for c in calls] == [f"reminder {i}" for i in range(8)]
    assert all(c.status == 200 for c in fake_tg.calls_to("sendMessage"))  # queued, never refused
    # 3 at once, then one every 1/3 s: the 8th waits about 5/3 s.
    assert calls[-1].at - calls[0].at >= 1.3


async def test_direct_message_falls_back_to_a_mention_in_the_group(
    app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    @app.dispatcher.command("whisper", help="answer privately")
    async def whisper(ctx: Context) -> Reply:
        return ctx.reply(T("Your code is ", bold("42")), direct=True)

    fake_tg.dm_blocked.add(1001)
    await fake_tg.push_message(GROUP, ALICE, "/whisper")
    [call] = await fake_tg.wait_for(lambda: fake_tg.delivered("sendMessage", GROUP))
    assert [c.status for c in fake_tg.calls_to("sendMessage")] == [403, 200]
    assert int(fake_tg.calls_to("sendMessage")[0].params["chat_id"]) == 1001
    assert call.params["text"] == '<a href="tg://user?id=1001">Alice</a> Your code is <b>42</b>'

    await fake_tg.push_message(GROUP, BOB, "/whisper")  # Bob started the bot: a real direct message
    [dm] = await fake_tg.wait_for(lambda: fake_tg.delivered("sendMessage", 1002))
    assert dm.params["text"] == "Your code is <b>42</b>" and "reply_parameters" not in dm.params


async def test_buttons_edits_and_attachments(
    app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    sent = await tg.send(
        Reply(
            chat=TG_GROUP,
            text="Join <the> session?",
            buttons=((Button("Yes", "rsvp:7:yes"), Button("No", "rsvp:7:no")),),
        )
    )
    assert sent is not None
    [call] = fake_tg.delivered("sendMessage", GROUP)
    assert call.params["text"] == "Join &lt;the&gt; session?"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "rsvp:7:yes"}, {"text": "No", "callback_data": "rsvp:7:no"}]
        ]
    }

    edited = await tg.send(
        Reply(chat=TG_GROUP, text=T("Join? ", bold("3 going")), edit_message_id=sent.message_id)
    )
    assert edited is not None and edited.message_id == sent.message_id
    [edit] = fake_tg.delivered("editMessageText")
    assert edit.params["message_id"] == int(sent.message_id) and edit.params["text"] == "Join? <b>3 going</b>"

    png = Attachment("chart.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")
    await tg.send(Reply(chat=TG_GROUP, text="Activity this week", attachment=png))
    [photo] = fake_tg.delivered("sendPhoto")
    assert (
        photo.params["caption"] == "Activity this week" and photo.params["photo"]["filename"] == "chart.png"
    )

    ics = Attachment("meetup.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    await tg.send(Reply(chat=TG_GROUP, text="", attachment=ics))
    [doc] = fake_tg.delivered("sendDocument")
    assert doc.params["document"]["filename"] == "meetup.ics" and "caption" not in doc.params


async def test_command_menu_is_registered_with_owner_commands_for_admins(
    tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    calls = fake_tg.delivered("setMyCommands")
    by_scope = {c.params["scope"]["type"]: {cmd["command"] for cmd in c.params["commands"]} for c in calls}
    assert {"help", "courses", "course", "rate"} <= by_scope["default"]
    assert "settings" not in by_scope["default"]
    assert {"help", "settings"} <= by_scope["all_chat_administrators"]


async def test_members_joining_and_leaving(
    app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    chen = {"id": 1003, "is_bot": False, "first_name": "Chen"}
    await fake_tg.push_message(GROUP, ALICE, "", new_chat_members=[chen])
    await fake_tg.push_message(GROUP, chen, "", left_chat_member=chen)

    def left_at() -> object:
        with db.session_scope(app.engine) as s:
            acc = s.exec(
                select(PlatformAccount).where(
                    PlatformAccount.platform == "telegram", PlatformAccount.platform_user_id == "1003"
                )
            ).first()
            if acc is None:
                return None
            ms = s.exec(select(Membership).where(Membership.member_id == acc.member_id)).first()
            return ms.left_at if ms else None

    assert await fake_tg.wait_for(left_at)
    assert stored_messages(app) == []  # service messages are not chat messages


async def test_course_commands_answer_as_on_the_console(
    app: CohortApp, catalog: int, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    """The done-when of the issue: /help, /courses, /course, /rate give the same answers as the console."""
    from bot.testing import TestBot

    console = TestBot(app, chat_id="console-group")
    commands = ["/help", "/courses python", "/course 1", "/rate 1 5", "/rate 1 4", "/course 1", "/rate 99 9"]
    expected = []
    for text in commands:
        [reply] = await console.say("alice", text)
        expected.append(reply.rich.to_html())
    for text in commands:
        await fake_tg.push_message(GROUP, ALICE, text)
    got = await fake_tg.wait_for(
        lambda: len(fake_tg.sent_texts(GROUP)) == len(commands) and fake_tg.sent_texts(GROUP)
    )
    assert got == expected
    assert "5/5" in got[3] and "4/5" in got[4]


async def test_edited_message_updates_the_stored_text(
    app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    mid = await fake_tg.push_message(GROUP, ALICE, "I loved the SQL cuorse")
    await fake_tg.wait_for(lambda: stored_messages(app))
    await fake_tg.push_message(GROUP, ALICE, "I loved the SQL course", message_id=mid, edited=True)
    await fake_tg.wait_for(lambda: stored_messages(app)[0].text == "I loved the SQL course")
    assert len(stored_messages(app)) == 1
