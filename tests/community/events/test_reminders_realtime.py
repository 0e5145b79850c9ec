"""Real-time reliability (short and bounded): restart before the time, downtime inside and beyond the grace
window, and two real OS processes sharing one database delivering each reminder exactly once."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.app import CohortApp
from bot.config import Settings
from bot.testing import TestBot
from community.events.drafts import EventDraft
from community.events.service import create_event
from storage import db
from storage.crud import core as crud

ROOT = Path(__file__).resolve().parents[3]
POLL = 0.1


def make_event(
    engine: Engine, *, title: str, starts_at: datetime, offset: int, created: datetime, chat_id: str = "g1"
) -> None:
    """Store an event (as a confirmed /event add would) whose reminder is `offset` minutes before the start."""
    with db.session_scope(engine) as s:
        group = crud.get_or_create_group(s, platform="test", chat_id=chat_id)
        owner = crud.get_or_create_member(s, platform="test", user_id="olga", display_name="olga")
        draft = EventDraft(title=title, starts_at=starts_at, timezone="UTC", reminder_offsets=[offset])
        create_event(s, group=group, member_id=owner.id or 0, draft=draft, now=created)


def real_app(settings: Settings, engine: Engine, poll: float = POLL) -> tuple[CohortApp, TestBot]:
    app = CohortApp(settings, engine=engine, migrate=False)  # system clock, real scheduler
    app.services.reminders.poll_seconds = poll
    return app, TestBot(app)


def reminder_texts(bot: TestBot) -> list[str]:
    return [r.rich.to_plain() for r in bot.adapter.sent if "Reminder" in r.rich.to_plain()]


async def wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        await asyncio.sleep(0.05)


async def test_restart_before_the_time_fires_once(settings: Settings, engine: Engine) -> None:
    now = datetime.now(UTC)
    make_event(engine, title="Restart hall", starts_at=now + timedelta(seconds=61.5), offset=1, created=now)
    first, first_bot = real_app(settings, engine)
    await first.start()
    await asyncio.sleep(0.3)
    await first.stop()  # stopped before the reminder's time
    assert reminder_texts(first_bot) == []
    # A slow poll: punctuality then comes from the exact-time wake-up the poller schedules.
    second, second_bot = real_app(settings, engine, poll=1.0)
    await second.start()
    try:
        await wait_for(lambda: reminder_texts(second_bot), timeout=5)
        fired_at = datetime.now(UTC)
        await asyncio.sleep(1.2)
    finally:
        await second.stop()
    texts = reminder_texts(second_bot)
    assert len(texts) == 1 and "Restart hall" in texts[0]
    assert abs((fired_at - (now + timedelta(seconds=1.5))).total_seconds()) < 0.5  # on time


async def test_downtime_inside_grace_fires_late_once(settings: Settings, engine: Engine) -> None:
    now = datetime.now(UTC)
    # due 5 minutes ago, while the bot was down
    make_event(
        engine,
        title="Downtime hall",
        starts_at=now + timedelta(minutes=10),
        offset=15,
        created=now - timedelta(hours=1),
    )
    app, bot = real_app(settings, engine)
    await app.start()
    try:
        await wait_for(lambda: reminder_texts(bot), timeout=3)
        await asyncio.sleep(3 * POLL)
    finally:
        await app.stop()
    texts = reminder_texts(bot)
    assert len(texts) == 1 and "starts in 10 min" in texts[0]
    assert "sorry" not in texts[0].lower() and "late" not in texts[0].lower()


async def test_downtime_beyond_grace_is_skipped_and_logged(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime.now(UTC)
    make_event(
        engine,
        title="Stale hall",
        starts_at=now + timedelta(minutes=20),
        offset=60,
        created=now - timedelta(hours=2),
    )  # due 40 minutes ago; grace is 30
    app, bot = real_app(settings, engine)
    with caplog.at_level(logging.WARNING, logger="community.events.reminders"):
        await app.start()
        try:
            await wait_for(lambda: "skipped" in caplog.text, timeout=3)
            await asyncio.sleep(3 * POLL)
        finally:
            await app.stop()
    assert reminder_texts(bot) == []
    assert "skipped" in caplog.text and "40 min late" in caplog.text


@pytest.mark.slow
async def test_two_processes_deliver_each_reminder_exactly_once(backend: str, engine: Engine) -> None:
    """Two real bot processes on one database, three waves of reminders due while both poll."""
    url = engine.url.render_as_string(hide_password=False)
    now = datetime.now(UTC)
    titles = []
    # wave 0: already due when the processes start (both see them on their first poll)
    for i in range(10):
        titles.append(f"due-{i}")
        make_event(
            engine,
            title=titles[-1],
            starts_at=now + timedelta(seconds=59),
            offset=1,
            created=now - timedelta(seconds=10),
        )
    env = {**os.environ, "COHORT_REMINDER_POLL_SECONDS": "0.05", "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.community.events.race_worker", url, "7"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        # waves 1 and 2: due at the same instants for both processes, while they run
        t0 = datetime.now(UTC)
        for wave, delay in ((1, 3.5), (2, 4.5)):
            for i in range(15):
                titles.append(f"wave{wave}-{i}")
                make_event(
                    engine,
                    title=titles[-1],
                    starts_at=t0 + timedelta(seconds=60 + delay),
                    offset=1,
                    created=t0,
                )
        outputs = [p.communicate(timeout=40) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    lines = [json.loads(line) for out, _ in outputs for line in out.splitlines() if line.startswith("{")]
    assert sum(1 for x in lines if x.get("ready")) == 2, [err[-2000:] for _, err in outputs]
    sent = Counter(x["text"].split("*")[1] for x in lines if "text" in x)
    assert sent == Counter({t: 1 for t in titles}), [err[-2000:] for _, err in outputs]
    assert all(p.returncode == 0 for p in procs)
