"""Reminder claim throughput (issue 7): how fast due reminders are claimed from the database, by one worker and
by several worker processes racing on the same rows, with a check that no reminder is claimed twice.

    .venv/bin/python benchmarks/bench_reminders.py --url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/bench_reminders.py --url sqlite --reminders 2000

A fresh database (PostgreSQL: a new database next to the one in --url, dropped at the end; SQLite: a temp file)
gets N due reminders; each worker process runs `ReminderService.claim_due` (batches of 100; PostgreSQL:
SELECT ... FOR UPDATE SKIP LOCKED then an atomic status update; SQLite: the atomic update) until nothing is left.
Reported: wall time from the first claim to the last, claims per second, and duplicate claims (must be 0).
Delivery (sending the chat messages) is not included: it is bounded by the platforms' rate limits, not the store.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlmodel import SQLModel, select  # noqa: E402

import storage.models  # noqa: E402,F401
from community.events.notices import ReminderNotice  # noqa: E402
from community.events.reminders import ReminderService  # noqa: E402
from storage import db  # noqa: E402
from storage.models import Event, Group, Reminder  # noqa: E402


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def _no_delivery(notice: ReminderNotice) -> None:
    return None


def _worker(url: str, start_at: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    engine = db.make_engine(url)
    svc = ReminderService(db.Store(engine), _Clock(), _no_delivery, worker=f"w{os.getpid()}")
    while time.time() < start_at:
        time.sleep(0.001)
    t0 = time.perf_counter()
    mine: list[int] = []
    while True:
        got = svc.claim_due(datetime.now(UTC))
        if not got:
            break
        mine.extend(got)
    out.put((mine, t0, time.perf_counter()))
    engine.dispose()


def _fill(url: str, n: int) -> None:
    engine = db.make_engine(url)
    SQLModel.metadata.create_all(engine)
    now = datetime.now(UTC)
    with db.session_scope(engine) as s:
        g = Group(platform="bench", platform_chat_id="g")
        s.add(g)
        s.flush()
        e = Event(group_id=g.id or 0, title="bench", starts_at=now + timedelta(hours=1))
        s.add(e)
        s.flush()
        rows = [
            dict(
                group_id=g.id,
                event_id=e.id,
                occurrence_start=now + timedelta(hours=1, seconds=i),
                offset_minutes=15,
                fire_at=now - timedelta(seconds=1),
                event_version=1,
                status="pending",
            )
            for i in range(n)
        ]
        s.exec(insert(Reminder), params=rows)  # type: ignore[call-overload]
    engine.dispose()


def run(url: str, n: int, workers: int) -> tuple[float, int, int]:
    _fill(url, n)
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    start_at = time.time() + 3.0  # let every process import and connect first
    procs = [ctx.Process(target=_worker, args=(url, start_at, out)) for _ in range(workers)]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join()
    claimed = [i for mine, _, _ in results for i in mine]
    wall = max(end for _, _, end in results) - min(t0 for _, t0, _ in results)
    engine = db.make_engine(url)
    with db.session_scope(engine) as s:
        left = len(list(s.exec(select(Reminder.id).where(Reminder.status == "pending"))))
    engine.dispose()
    assert left == 0, f"{left} reminders never claimed"
    return wall, len(claimed), len(claimed) - len(set(claimed))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--url", default="sqlite", help="'sqlite' or a PostgreSQL URL (a scratch database is created)"
    )
    ap.add_argument("--reminders", type=int, default=5000)
    ap.add_argument("--workers", default="1,2,4")
    args = ap.parse_args()
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.platform()} · {os.cpu_count()} CPUs · "
        f"{args.reminders} due reminders"
    )
    for workers in (int(w) for w in args.workers.split(",")):
        if args.url == "sqlite":
            tmp = tempfile.mkdtemp()
            url, cleanup = f"sqlite:///{tmp}/bench.db", None
        else:
            name = f"cohort_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(db.normalise_url(args.url), isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            url, cleanup = args.url.rsplit("/", 1)[0] + "/" + name, (admin, name)
        try:
            wall, claimed, dups = run(url, args.reminders, workers)
        finally:
            if cleanup is not None:
                admin, name = cleanup
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        backend = "sqlite" if args.url == "sqlite" else "postgresql"
        print(
            f"{backend:10s} workers={workers}  claimed={claimed}  duplicates={dups}  wall={wall:.2f}s  "
            f"{claimed / wall:,.0f} claims/s"
        )


if __name__ == "__main__":
    main()
