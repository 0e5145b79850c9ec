"""`cohort run` as a real process: refuses without tokens, serves Telegram, exits 0 on SIGINT and SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.adapters.telegram.conftest import ALICE, GROUP
from tests.adapters.telegram.fake_server import FakeTelegram

ROOT = Path(__file__).resolve().parents[3]
TOKEN_VARS = ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_API_BASE_URL")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TOKEN_VARS}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'cohort.db'}",
        COHORT_DATA_DIR=str(tmp_path),
        COHORT_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


async def start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cohort.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_run_without_tokens_refuses_with_a_clear_message(tmp_path: Path) -> None:
    proc = await start(clean_env(tmp_path))
    _out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert b"no bot token configured" in err and b"TELEGRAM_BOT_TOKEN" in err and b"DISCORD_BOT_TOKEN" in err
    assert b"Traceback" not in err


async def test_run_with_an_unreachable_server_fails_clearly(tmp_path: Path) -> None:
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot")
    proc = await start(env)
    _out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 1
    assert b"could not start the telegram adapter" in err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_run_answers_help_and_exits_0_on_signal(
    tmp_path: Path, fake_tg: FakeTelegram, sig: signal.Signals
) -> None:
    env = clean_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=fake_tg.token,
        TELEGRAM_API_BASE_URL=fake_tg.base_url,
        COHORT_LOG_LEVEL="DEBUG",
    )
    proc = await start(env)
    try:
        await fake_tg.wait_for(lambda: fake_tg.calls_to("getUpdates"), timeout=60)
        await fake_tg.push_message(GROUP, ALICE, "/help")
        [text] = await fake_tg.wait_for(lambda: fake_tg.sent_texts(GROUP), timeout=20)
        assert "what I can do" in text and "/courses" in text
        proc.send_signal(sig)
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    assert b"Traceback" not in err
    assert b"Cohort is running on telegram" in err
    assert fake_tg.token.encode() not in err  # request URLs carry the token: never logged, even at DEBUG
