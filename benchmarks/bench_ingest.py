"""Benchmark (not a test): does sentiment scoring keep pace with ingestion?

    .venv/bin/python benchmarks/bench_ingest.py [--messages 2000] [--backfill 5000]

Feeds messages through the real message path (CohortApp.handle with the fake adapter, SQLite file) with the
sentiment worker running, and reports the message-path latency, how long after the last message every score was
stored, and the backfill rate of messages stored while the worker was down.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func  # noqa: E402
from sqlmodel import SQLModel, select  # noqa: E402

import storage.models  # noqa: E402,F401
from bot.app import CohortApp  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.testing import TestBot  # noqa: E402
from common.clock import FakeClock  # noqa: E402
from community.demo import load_sample_catalog  # noqa: E402
from storage import db  # noqa: E402
from storage.models import Message  # noqa: E402

TEXTS = [
    "Python for Absolute Beginners is great, thanks everyone!",
    "I'm stuck on the async chapter, it is confusing and frustrating",
    "有人一起学 Python 吗？这个课程很好",
    "👍👍",
    "Git and GitHub Essentials saved my project today 🎉",
    "meh",
    "Does anyone know when the next live session is?",
]


def unscored(app: CohortApp) -> int:
    with db.session_scope(app.engine) as s:
        q = select(func.count()).select_from(Message).where(Message.sentiment == None)  # noqa: E711
        return int(s.exec(q).one())


async def main(n_messages: int, n_backfill: int, scoring: bool) -> None:
    tmp = Path(tempfile.mkdtemp())
    engine = db.make_engine(f"sqlite:///{tmp / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    with db.session_scope(engine) as s:
        load_sample_catalog(s)
    app = CohortApp(
        Settings.from_env(data_dir=tmp, database_url=str(engine.url), rate_limit_per_minute=0),
        engine=engine,
        clock=FakeClock(),
        migrate=False,
    )
    bot = TestBot(app)
    rng = random.Random(5)
    # Backfill: messages stored while no worker ran.
    for i in range(n_backfill):
        await bot.say(f"u{i % 50}", rng.choice(TEXTS), message_id=f"b{i}")
    if scoring:
        await app.start()
    # else the baseline: the scorer never starts, so the message path hands nothing off (MessageScorer.on_message)
    t0 = time.perf_counter()
    while scoring and unscored(app):
        await asyncio.sleep(0.05)
    backfill_s = time.perf_counter() - t0
    # Live ingestion with the worker running.
    lat = []
    t_start = time.perf_counter()
    for i in range(n_messages):
        t = time.perf_counter()
        await bot.say(f"u{i % 50}", rng.choice(TEXTS), message_id=f"m{i}")
        lat.append(time.perf_counter() - t)
        # A real adapter awaits the network between updates; the fake one never suspends, so yield like it would.
        await asyncio.sleep(0)
    t_last = time.perf_counter()
    while scoring and unscored(app):
        await asyncio.sleep(0.01)
    drain = time.perf_counter() - t_last
    total = time.perf_counter() - t_start
    if scoring:
        await app.stop()
    lat.sort()
    print(
        f"backfill: {n_backfill} messages scored in {backfill_s:.2f} s ({n_backfill / backfill_s:.0f} msg/s)"
    )
    print(
        f"live: {n_messages} messages in {t_last - t_start:.2f} s ({n_messages / (t_last - t_start):.0f} msg/s "
        f"ingested); message path mean {statistics.mean(lat) * 1000:.2f} ms, p95 {lat[int(0.95 * len(lat))] * 1000:.2f} ms"
    )
    print(f"all scored {drain * 1000:.0f} ms after the last message ({total:.2f} s end to end)")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--backfill", type=int, default=5000)
    p.add_argument(
        "--no-scoring",
        action="store_true",
        help="baseline without the scoring hand-off (the scorer is not started)",
    )
    a = p.parse_args()
    asyncio.run(main(a.messages, a.backfill, not a.no_scoring))
