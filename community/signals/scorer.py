"""MessageScorer: the sentiment and course mentions of every stored message, worked out off the message path.

`on_message` (called by the bot right after a message is stored) only enqueues the text; the `SentimentWorker`
scores batches in a thread, and each scored batch is written in a worker thread (`Store.run`): the message's
sentiment, its `CourseMention` rows and the implicit Rating (source "mention", value = sentiment) of every course it
names. Course names are matched in that writer thread against a catalogue cached there for a few seconds, so
nothing on the event loop touches the store. Messages stored while the worker was down (or dropped by a full
queue) keep a NULL sentiment and are scored by `backfill`, at start and hourly (`catch_up`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from datetime import datetime

from sqlmodel import Session

from common.clock import Clock
from community.courses.search import mentioned_courses
from community.signals.sentiment import SentimentResult, get_analyzer
from community.signals.worker import SentimentWorker
from storage.crud import core as core_crud
from storage.crud import courses as courses_crud
from storage.crud import signals as q
from storage.db import Store
from storage.models import Course

__all__ = ["MessageKey", "MessageScorer"]

log = logging.getLogger(__name__)

MessageKey = tuple[int, int]
"""(group_id, Message row id)"""

COURSE_CACHE_SECONDS = 10.0
BACKFILL_HIGH_WATER = 5_000
MAX_PENDING_TEXTS = 50_000
BACKFILL_PAGE = 500


class MessageScorer:
    """Scores stored messages off the message path and derives course mentions from them (module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        analyzer: str,
        clock: Clock,
        max_batch: int = 256,
        max_delay: float = 0.25,
    ) -> None:
        self.store, self.analyzer_name, self.clock = store, analyzer, clock
        self.max_batch, self.max_delay = max_batch, max_delay
        self.worker: SentimentWorker[MessageKey] | None = None
        # The live text of each queued message: with retention 0 the store keeps none, yet its mentions count.
        self._pending: dict[MessageKey, str] = {}
        self._backfill: asyncio.Task[int] | None = None
        self._courses: tuple[float, list[Course]] = (-1e9, [])  # (time.monotonic() of the read, catalogue)

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.running

    def on_message(self, *, group_id: int, message_id: int, text: str) -> bool:
        """Queue one stored message (never touches the store); False when the worker is not running or is full.

        A message that is not queued keeps a NULL sentiment and is scored by the next backfill.
        """
        if self.worker is None or not self.worker.running:
            return False
        key = (group_id, message_id)
        if len(self._pending) >= MAX_PENDING_TEXTS:
            self._pending.pop(next(iter(self._pending)))
        self._pending[key] = text
        if self.worker.submit(key, text):
            return True
        if self._pending.get(key) is text:
            del self._pending[key]
        return False

    async def start(self) -> None:
        if self.running:
            return
        try:
            analyzer = await asyncio.to_thread(get_analyzer, self.analyzer_name)
        except (ValueError, ImportError) as e:
            log.error("sentiment analyzer %r unavailable (%s); using builtin", self.analyzer_name, e)
            analyzer = await asyncio.to_thread(get_analyzer, "builtin")
        self.worker = SentimentWorker(
            analyzer, self._store, max_batch=self.max_batch, max_delay=self.max_delay
        )
        self.worker.start()
        self.catch_up()

    def catch_up(self) -> asyncio.Task[int] | None:
        """Start a backfill unless one is running: at start, and hourly for texts dropped while the queue was full.

        Returns the running backfill task (None when the worker is not running)."""
        if not self.running:
            return None
        if self._backfill is None or self._backfill.done():
            self._backfill = asyncio.get_running_loop().create_task(
                self.backfill(), name="sentiment-backfill"
            )
        return self._backfill

    async def stop(self) -> None:
        if self._backfill is not None:
            self._backfill.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._backfill
            self._backfill = None
        if self.worker is not None:
            await self.worker.stop()

    async def backfill(self) -> int:
        """Queue every stored text that has no sentiment yet; returns how many were queued."""
        after, queued = 0, 0
        while self.worker is not None and self.worker.running:
            page = await self.store.run(q.unscored_messages, after_id=after, limit=BACKFILL_PAGE)
            if not page:
                break
            for group_id, message_id, text in page:
                while self.worker.pending >= BACKFILL_HIGH_WATER:
                    await asyncio.sleep(0.05)  # let live messages and earlier pages through first
                if self.worker.submit((group_id, message_id), text):
                    queued += 1
                after = message_id
            await asyncio.sleep(0)
        return queued

    async def _store(self, batch: list[tuple[MessageKey, SentimentResult]]) -> None:
        texts = {key: self._pending.pop(key, None) for key, _ in batch}
        # In a worker thread, so that a big batch (or a slow store) never holds up the event loop.
        await self.store.run(self._write, batch, texts, self.clock.now())

    def _catalogue(self, s: Session) -> list[Course]:
        """The active catalogue, re-read at most every few seconds (called in the writer thread only)."""
        at, cached = self._courses
        if time.monotonic() - at > COURSE_CACHE_SECONDS:
            cached = courses_crud.list_courses(s)
            self._courses = (time.monotonic(), cached)
        return cached

    def _write(
        self,
        s: Session,
        batch: list[tuple[MessageKey, SentimentResult]],
        texts: dict[MessageKey, str | None],
        now: datetime,
    ) -> None:
        """Store one scored batch: sentiment, course mentions and the implicit ratings they imply."""
        courses = self._catalogue(s)
        by_group: dict[int, list[tuple[int, SentimentResult]]] = defaultdict(list)
        for (group_id, message_id), result in batch:
            by_group[group_id].append((message_id, result))
        for group_id, scored in by_group.items():
            rows = q.messages_by_id(s, group_id=group_id, ids=[message_id for message_id, _ in scored])
            had_mentions = q.messages_with_mentions(s, group_id=group_id, ids=list(rows))
            opted_out = q.opted_out_members(s, group_id=group_id)
            for message_id, result in scored:
                msg = rows.get(message_id)
                if msg is None or msg.member_id in opted_out:
                    continue  # forgotten (/forget) or opted out (/optout) while queued
                score = float(result.score)
                core_crud.set_message_sentiment(
                    s, group_id=group_id, message_id=message_id, score=score, label=result.label
                )
                text = texts.get((group_id, message_id))
                if text is None:  # backfill: the text is in the store
                    text = msg.text or ""
                found = [c.id for c in mentioned_courses(text, courses) if c.id is not None]
                if found or message_id in had_mentions:
                    q.set_message_mentions(s, message=msg, course_ids=found, sentiment=score, at=msg.sent_at)
                for course_id in found:
                    courses_crud.upsert_rating(
                        s,
                        group_id=group_id,
                        member_id=msg.member_id,
                        course_id=course_id,
                        value=score,
                        at=now,
                        source="mention",
                        kind="implicit",
                    )
