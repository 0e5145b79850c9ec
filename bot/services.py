"""The typed set of services a running Cohort has; built once from Settings in `bot/wiring.py`.

Command modules receive it in `register(dispatcher, services)` and use the fields they need; nothing is looked up
by a string name.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from common.clock import Clock
from community.buddies.service import BuddyService
from community.events.reminders import ReminderService
from community.ingest.service import IngestService
from community.recommendations.service import RecommendationService
from community.signals.scorer import MessageScorer
from storage.db import Store


@dataclass
class Services:
    settings: Settings
    clock: Clock
    store: Store
    scheduler: Scheduler
    outbox: Outbox
    ingest: IngestService
    scorer: MessageScorer
    recommender: RecommendationService
    reminders: ReminderService
    buddies: BuddyService
