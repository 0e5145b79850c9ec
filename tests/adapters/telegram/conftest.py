"""Fixtures: a fake Bot API server and a TelegramAdapter on the test app, polling it through real PTB over HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.pacing import Pacer
from bot.app import CohortApp
from tests.adapters.telegram.fake_server import FakeTelegram, user_json

GROUP = -1001234567890
ALICE = user_json(1001, "Alice", username="alice")
BOB = user_json(1002, "Bob")


@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


def fast_pacer(**overrides: float) -> Pacer:
    """Real pacing and retries with short backoff, so failure tests stay fast."""
    options: dict[str, float] = {"backoff": 0.05, "max_backoff": 0.2}
    options.update(overrides)
    return Pacer(**options)  # type: ignore[arg-type]


async def start_adapter(
    app: CohortApp, server: FakeTelegram, *, pacer: Pacer | None = None, **settings_overrides: Any
) -> TelegramAdapter:
    settings = dataclasses.replace(
        app.settings, telegram_token=server.token, telegram_api_base_url=server.base_url, **settings_overrides
    )
    adapter = TelegramAdapter(app, settings, poll_timeout=2.0, pacer=pacer or fast_pacer())
    app.add_adapter(adapter)
    await adapter.start()
    return adapter


@pytest.fixture
async def tg(app: CohortApp, fake_tg: FakeTelegram) -> AsyncIterator[TelegramAdapter]:
    """A running adapter in polling mode against `fake_tg`."""
    adapter = await start_adapter(app, fake_tg)
    yield adapter
    await adapter.stop()
