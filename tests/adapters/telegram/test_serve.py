"""`cohort.run.serve` in-process: both platforms in one process, started beside each other and stopped cleanly.

The Discord side is replaced by a recording stand-in here (its own tests drive the real one); the Telegram side is
the real adapter against the fake Bot API.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import adapters.discord.adapter as discord_adapter
from bot.config import Settings
from cohort.run import serve
from tests.adapters.telegram.conftest import ALICE, GROUP
from tests.adapters.telegram.fake_server import FakeTelegram


class RecordingDiscord:
    platform = "discord"
    log: list[str] = []

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app, self.settings = app, settings
        RecordingDiscord.log.append(f"init token={settings.discord_token}")

    async def start(self) -> None:
        RecordingDiscord.log.append("start")

    async def stop(self) -> None:
        # The app is still up while adapters stop (its scheduler would otherwise push into a closed adapter).
        RecordingDiscord.log.append(f"stop scheduler_running={self.app.scheduler.running}")

    async def send(self, reply: Any) -> None:
        return None

    async def is_admin(self, chat: Any, user: Any) -> bool:
        return False


async def test_both_tokens_run_both_adapters_in_one_process(
    tmp_path: Path, fake_tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_adapter, "DiscordAdapter", RecordingDiscord)
    RecordingDiscord.log = []
    settings = Settings.from_env(
        database_url=f"sqlite:///{tmp_path / 'c.db'}",
        data_dir=tmp_path,
        telegram_token=fake_tg.token,
        telegram_api_base_url=fake_tg.base_url,
        discord_token="discord-secret",
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop))
    await fake_tg.wait_for(lambda: fake_tg.calls_to("getUpdates"), timeout=30)
    await fake_tg.push_message(GROUP, ALICE, "/help")
    await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP))
    assert RecordingDiscord.log == ["init token=discord-secret", "start"]
    stop.set()
    assert await asyncio.wait_for(task, 30) == 0
    assert RecordingDiscord.log[-1] == "stop scheduler_running=True"
    # The Telegram updater stopped too: its last call is the cleanup getUpdates (timeout 0) confirming offsets.
    assert fake_tg.calls[-1].method == "getUpdates" and int(fake_tg.calls[-1].params["timeout"]) == 0
