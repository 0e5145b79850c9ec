"""Webhook mode: PTB's webhook server checks Telegram's secret token header (403 without it)."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import aiohttp

from bot.app import CohortApp
from tests.adapters.telegram.conftest import ALICE, GROUP, start_adapter
from tests.adapters.telegram.fake_server import FakeTelegram, chat_json

SECRET = "s3cret-Token_1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def update(update_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 70 + update_id,
            "date": int(time.time()),
            "chat": chat_json(GROUP),
            "from": ALICE,
            "text": text,
        },
    }


async def test_webhook_refuses_without_the_secret_and_accepts_with_it(
    app: CohortApp, fake_tg: FakeTelegram
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg-hook"
    adapter = await start_adapter(
        app,
        fake_tg,
        telegram_webhook_url=url,
        telegram_webhook_secret=SECRET,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
    )
    try:
        [hook] = fake_tg.delivered("setWebhook")
        assert hook.params["url"] == url and hook.params["secret_token"] == SECRET
        assert "message_reaction" in hook.params["allowed_updates"]
        assert fake_tg.calls_to("getUpdates") == []  # no polling in webhook mode
        headers = {"Content-Type": "application/json"}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=json.dumps(update(1, "/help")), headers=headers) as r:
                assert r.status == 403
            wrong = {**headers, "X-Telegram-Bot-Api-Secret-Token": "guess"}
            async with http.post(url, data=json.dumps(update(2, "/help")), headers=wrong) as r:
                assert r.status == 403
            good = {**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(url, data=json.dumps(update(3, "/start")), headers=good) as r:
                assert r.status == 200
        await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP))
        await asyncio.sleep(0.1)
        [answer] = fake_tg.sent_texts(GROUP)
        assert "Cohort" in answer and "what I can do" not in answer  # only the authenticated /start ran
    finally:
        await adapter.stop()
