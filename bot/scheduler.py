"""APScheduler wiring. Durable state (reminders, rounds, model versions) lives in our own tables, so the jobs here
are re-created from the database at every start: named, idempotently replaced, and safe to lose on a crash."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


class Scheduler:
    def __init__(self) -> None:
        self._sched = AsyncIOScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
        )

    @property
    def running(self) -> bool:
        return bool(self._sched.running)

    def start(self) -> None:
        if not self._sched.running:
            self._sched.start()

    def shutdown(self) -> None:
        if self._sched.running:
            self._sched.shutdown(wait=False)

    def every(self, name: str, seconds: float, fn: Job, *, start_now: bool = True) -> None:
        """Run `fn` every `seconds` (first run at once when start_now)."""
        self._sched.add_job(
            _guard(name, fn),
            "interval",
            seconds=seconds,
            id=name,
            replace_existing=True,
            next_run_time=datetime.now(UTC) if start_now else None,
        )

    def cron(self, name: str, fn: Job, *, timezone: str = "UTC", **fields: Any) -> None:
        self._sched.add_job(
            _guard(name, fn), CronTrigger(timezone=timezone, **fields), id=name, replace_existing=True
        )

    def at(self, name: str, when: datetime, fn: Job) -> None:
        self._sched.add_job(_guard(name, fn), "date", run_date=when, id=name, replace_existing=True)

    def remove(self, name: str) -> None:
        if self._sched.get_job(name) is not None:
            self._sched.remove_job(name)

    def job_ids(self) -> list[str]:
        return [j.id for j in self._sched.get_jobs()]


def _guard(name: str, fn: Job) -> Job:
    async def run() -> None:
        try:
            await fn()
        except Exception:
            log.exception("scheduled job %s failed", name)

    run.__name__ = f"job_{name}"
    return run
