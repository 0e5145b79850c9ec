"""Fixtures: a fake Discord on 127.0.0.1 and a started DiscordAdapter (real discord.py) connected to it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.app import CohortApp
from bot.config import Settings
from tests.adapters.discord.fake_server import FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


def discord_settings(settings: Settings, fake: FakeDiscord) -> Settings:
    return dataclasses.replace(
        settings,
        discord_token="fake-token",
        discord_api_base_url=fake.api_base,
        discord_gateway_url=fake.gateway_url,
    )


@pytest.fixture
async def adapter(app: CohortApp, settings: Settings, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    ad = DiscordAdapter(app, discord_settings(settings, fake), guild_ready_timeout=0.05, ready_timeout=10)
    app.add_adapter(ad)
    await ad.start()
    yield ad
    await ad.stop()
