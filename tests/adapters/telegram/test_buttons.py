"""Personal buttons through the Telegram adapter: another member's press is refused with a word, to that member
(directly, or in the group with a mention when the bot cannot message them), and changes nothing."""

from __future__ import annotations

from sqlmodel import select

from adapters.telegram.adapter import TelegramAdapter
from bot.app import CohortApp
from storage import db
from storage.models import Message as MessageRow
from storage.models import PendingAction
from tests.adapters.telegram.conftest import ALICE, BOB, GROUP
from tests.adapters.telegram.fake_server import FakeTelegram, visible_text

NOT_HERS = "Only the member who asked can confirm their own /forget."


def alices_rows(app: CohortApp) -> tuple[int, int]:
    with db.session_scope(app.engine) as s:
        messages = len(s.exec(select(MessageRow).where(MessageRow.text == "my notes")).all())
        pending = len(s.exec(select(PendingAction)).all())
        return messages, pending


async def forget_buttons(fake_tg: FakeTelegram) -> tuple[int, str, str]:
    await fake_tg.push_message(GROUP, ALICE, "my notes")
    await fake_tg.push_message(GROUP, ALICE, "/forget")
    [confirm] = await fake_tg.wait_for(lambda: fake_tg.delivered("sendMessage", GROUP))
    yes, no = confirm.params["reply_markup"]["inline_keyboard"][0]
    assert yes["text"] == "Yes, forget me" and len(yes["callback_data"].encode()) <= 64
    return 1000, yes["callback_data"], no["callback_data"]


async def test_another_members_press_is_refused_to_them_and_changes_nothing(
    app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    message_id, yes, no = await forget_buttons(fake_tg)
    before = alices_rows(app)
    assert before == (1, 1)
    for data in (no, yes):
        await fake_tg.push_callback(GROUP, BOB, message_id, data)
    bob_dm = BOB["id"]
    await fake_tg.wait_for(lambda: len(fake_tg.delivered("sendMessage", bob_dm)) == 2)
    assert [visible_text(t)[0] for t in fake_tg.sent_texts(bob_dm)] == [NOT_HERS, NOT_HERS]
    assert len(fake_tg.delivered("sendMessage", GROUP)) == 1  # the group saw nothing of it
    assert len(fake_tg.delivered("answerCallbackQuery")) == 2  # no spinner left on bob's screen
    assert alices_rows(app) == before  # bob's "Cancel" did not cancel alice's request
    await fake_tg.push_callback(GROUP, ALICE, message_id, yes)
    await fake_tg.wait_for(lambda: len(fake_tg.delivered("sendMessage", GROUP)) == 2)
    assert visible_text(fake_tg.sent_texts(GROUP)[1])[0].startswith("Forgotten:")
    assert alices_rows(app)[0] == 0


async def test_the_refusal_goes_to_the_group_with_a_mention_when_no_direct_message_is_possible(
    app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    message_id, yes, _ = await forget_buttons(fake_tg)
    fake_tg.dm_blocked.add(BOB["id"])
    await fake_tg.push_callback(GROUP, BOB, message_id, yes)
    await fake_tg.wait_for(lambda: len(fake_tg.delivered("sendMessage", GROUP)) == 2)
    shown = visible_text(fake_tg.sent_texts(GROUP)[1])[0]
    assert "Bob" in shown and NOT_HERS in shown
    assert alices_rows(app) == (1, 1)


async def test_a_forged_payload_has_expired(
    app: CohortApp, tg: TelegramAdapter, fake_tg: FakeTelegram
) -> None:
    message_id, yes, _ = await forget_buttons(fake_tg)
    logical = yes.rsplit(":~", 1)[0]
    await fake_tg.push_callback(GROUP, BOB, message_id, logical)  # untagged: as a modified client could send
    await fake_tg.wait_for(lambda: len(fake_tg.delivered("sendMessage", GROUP)) == 2)
    assert "expired" in visible_text(fake_tg.sent_texts(GROUP)[1])[0]
    assert alices_rows(app) == (1, 1)
