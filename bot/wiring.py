"""Wiring: the one place that builds Cohort's services from Settings, lists its scheduled jobs, starts and stops.

- `build_services` constructs every service with its typed dependencies.
- `scheduled_jobs` is the table of timed work (name, trigger, callable); `start` registers it.
- Command modules are listed in `bot/commands/__init__.py`; owner-only buttons are declared with their command
  registrations (`dispatcher.button(namespace, role="admin")`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from bot.commands import buddies as buddy_jobs
from bot.commands.events import reminder_sender
from bot.config import Settings
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.services import Services
from common.clock import Clock
from community.buddies.service import BuddyService
from community.events.reminders import ReminderService
from community.ingest.service import IngestService
from community.recommendations.service import RecommendationService
from community.signals.retention import purge_all
from community.signals.scorer import MessageScorer
from storage.db import Store

log = logging.getLogger(__name__)

MODEL_POLL_SECONDS = 60
BUDDY_CHECKIN_POLL_SECONDS = 300
SENTIMENT_BACKFILL_SECONDS = 3600


@dataclass(frozen=True)
class Every:
    seconds: float
    start_now: bool = True


@dataclass(frozen=True)
class Cron:
    hour: int
    minute: int


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    trigger: Every | Cron
    run: Callable[[], Awaitable[object]]


def build_services(settings: Settings, *, engine: Engine, clock: Clock) -> Services:
    store = Store(engine)
    scheduler = Scheduler()
    outbox = Outbox()
    recommender = RecommendationService(
        engine,
        model_dir=settings.model_dir,
        encoder=settings.embedding_model,
        device=settings.device,
        clock=clock,
        keep_versions=settings.model_versions_kept,
    )
    scorer = MessageScorer(store, analyzer=settings.sentiment_backend, clock=clock)

    def wake_reminders_at(when: datetime) -> None:
        # One extra tick at the exact due time, so a reminder due between two polls goes out on the second.
        if scheduler.running:
            scheduler.at("event-reminder-wake", when, reminders.tick)

    reminders = ReminderService(
        store,
        clock,
        reminder_sender(outbox.push),
        wake_at=wake_reminders_at,
        grace_minutes=settings.reminder_grace_minutes,
        poll_seconds=settings.reminder_poll_seconds,
    )
    buddies = BuddyService(
        recommender=recommender,
        embedding_model=settings.embedding_model,
        default_timezone=settings.default_timezone,
        multilingual=settings.buddy_multilingual,
    )
    return Services(
        settings=settings,
        clock=clock,
        store=store,
        scheduler=scheduler,
        outbox=outbox,
        ingest=IngestService(store),
        scorer=scorer,
        recommender=recommender,
        reminders=reminders,
        buddies=buddies,
    )


def scheduled_jobs(sv: Services) -> list[ScheduledJob]:
    """Every timed job of a running bot (per-group buddy rounds are added from the store by `schedule_all`)."""

    async def refresh_model() -> None:
        await sv.store.call(sv.recommender.refresh)
        # No usable model yet (a fresh store with ratings): train one in the background now, not at night.
        await sv.store.call(sv.recommender.train_on_first_need)

    async def nightly_retrain() -> None:
        outcome = await sv.store.call(sv.recommender.train)
        log.info("nightly retrain: %s", outcome.message)

    async def sentiment_catch_up() -> None:
        sv.scorer.catch_up()

    return [
        ScheduledJob("recommender-refresh", Every(MODEL_POLL_SECONDS, start_now=False), refresh_model),
        ScheduledJob("recommender-nightly", Cron(hour=3, minute=0), nightly_retrain),
        ScheduledJob(
            "signals-backfill", Every(SENTIMENT_BACKFILL_SECONDS, start_now=False), sentiment_catch_up
        ),
        ScheduledJob("signals-retention", Cron(hour=3, minute=30), lambda: purge_retention(sv)),
        ScheduledJob(
            "buddy-checkins", Every(BUDDY_CHECKIN_POLL_SECONDS), lambda: buddy_jobs.poll_checkins(sv)
        ),
        ScheduledJob("event-reminders", Every(sv.reminders.poll_seconds), sv.reminders.tick),
        ScheduledJob("event-horizon", Cron(hour=3, minute=17), sv.reminders.extend_job),
    ]


async def purge_retention(sv: Services) -> None:
    await sv.store.run(purge_all, now=sv.clock.now())


async def start(sv: Services) -> None:
    """Start workers, catch up on what happened while the bot was down, then register the scheduled jobs."""
    sv.scheduler.start()
    await sv.scorer.start()
    await sv.store.call(sv.recommender.refresh)
    await purge_retention(sv)  # a deployment that was down at 03:30 catches up at once
    await buddy_jobs.schedule_all(sv)
    try:
        await sv.store.call(sv.reminders.extend)  # roll series forward after downtime
    except Exception:
        log.exception("extending event reminders at start failed")
    for job in scheduled_jobs(sv):
        if isinstance(job.trigger, Every):
            sv.scheduler.every(job.name, job.trigger.seconds, job.run, start_now=job.trigger.start_now)
        else:
            sv.scheduler.cron(job.name, job.run, hour=job.trigger.hour, minute=job.trigger.minute)


async def stop(sv: Services) -> None:
    try:
        await sv.scorer.stop()
    except Exception:
        log.exception("stopping the sentiment scorer failed")
    sv.scheduler.shutdown()
    await asyncio.sleep(0)
