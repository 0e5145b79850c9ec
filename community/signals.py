"""Store rows -> plain inputs for the recommender and matching.

`interaction_records` returns `(member_id, course_id, kind, value, timestamp_seconds)` records in the format and
with the kind names of `recommender/data.py` (KINDS):

| kind                  | from                                                                 | value          |
|-----------------------|----------------------------------------------------------------------|----------------|
| rating                | Rating source "rate" (/rate)                                         | stars 1–5      |
| mention               | Rating source "mention" (latest mention of the course by the member) | sentiment      |
| reaction              | a reaction (emoji sentiment >= 0) to a message that names the course | emoji sentiment|
| rsvp                  | an RSVP going/maybe/waitlist to an event tied to the course          | 1.0            |
| feedback_interested   | Rating source "feedback..." with value > 0                           | value          |
| feedback_not_for_me   | Rating source "feedback..." with value <= 0                          | value          |
| buddy_shared          | a buddy match whose members both showed interest in the course       | 1.0            |

"Interest" for buddy_shared means an explicit rating >= 4, a mention with sentiment > 0 or an RSVP. Other Rating
sources are not turned into records (their owners feed the recommender themselves), so nothing counts twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from common.clock import Clock
from community.activity import ActivitySignals, WindowStats, leaderboard_score, member_activity
from community.courses import mentioned_courses
from community.sentiment import SentimentResult, get_analyzer
from community.sentiment_worker import SentimentWorker
from storage import db
from storage.crud import courses as courses_crud
from storage.crud import signals as q
from storage.models import Course

__all__ = [
    "ActivitySignals",
    "InteractionRecord",
    "MessageScorer",
    "WindowStats",
    "interaction_records",
    "leaderboard_score",
    "member_activity",
]

InteractionRecord = tuple[int, int, str, float, float]
"""(member_id, course_id, kind, value, timestamp_seconds)"""

RSVP_INTEREST = ("going", "maybe", "waitlist")
COURSE_CACHE_SECONDS = 10.0
BACKFILL_HIGH_WATER = 5_000

log = logging.getLogger(__name__)


def interaction_records(
    s: Session, *, group_id: int | None, member_id: int | None = None
) -> list[InteractionRecord]:
    """Every interaction of one group (or of all groups with None: model training only, never for display).

    With `member_id` (and a group), only that member's records, read with member-scoped queries: what serving
    needs on every /recommend, without loading the whole group's history.
    """
    matches = q.buddy_matches(s, group_id=group_id)
    people: set[int] | None = None
    reactors: set[int] | None = None
    if member_id is not None:
        matches = [m for m in matches if member_id in {int(x) for x in m.member_ids}]
        people = {member_id} | {int(x) for m in matches for x in m.member_ids}  # buddy_shared needs partners
        reactors = {member_id}
    out: list[InteractionRecord] = []
    interest: dict[tuple[int, int], set[int]] = defaultdict(set)  # (group, member) -> courses
    for r in q.ratings(s, group_id=group_id, member_ids=people):
        ts = r.updated_at.timestamp()
        if r.source == "rate":
            out.append((r.member_id, r.course_id, "rating", float(r.value), ts))
            positive = r.value >= 4
        elif r.source == "mention":
            out.append((r.member_id, r.course_id, "mention", max(-1.0, min(1.0, float(r.value))), ts))
            positive = r.value > 0
        elif r.source.startswith("feedback"):
            kind = "feedback_interested" if r.value > 0 else "feedback_not_for_me"
            out.append((r.member_id, r.course_id, kind, float(r.value), ts))
            positive = False
        else:
            continue
        if positive:
            interest[(r.group_id, r.member_id)].add(r.course_id)
    reactions = q.reactions_on_messages(s, group_id=group_id, reactor_ids=reactors)
    message_ids = None if member_id is None else {message_id for _, _, message_id, _, _ in reactions}
    courses_of_message: dict[int, set[int]] = defaultdict(set)
    for m in q.mentions(s, group_id=group_id, message_ids=message_ids):
        courses_of_message[m.message_id].add(m.course_id)
    for _, reactor, message_id, sentiment, at in reactions:
        if sentiment < 0:
            continue
        for course_id in sorted(courses_of_message.get(message_id, ())):
            out.append((reactor, course_id, "reaction", float(sentiment), at.timestamp()))
    for gid, mid, course_id, status, _attended, at in q.rsvps_with_course(s, group_id=group_id, member_ids=people):
        if status in RSVP_INTEREST:
            out.append((mid, course_id, "rsvp", 1.0, at.timestamp()))
            interest[(gid, mid)].add(course_id)
    for match in matches:
        members = [int(m) for m in match.member_ids]
        counts: dict[int, int] = defaultdict(int)
        for mid in set(members):
            for c in interest.get((match.group_id, mid), ()):
                counts[c] += 1
        shared = sorted(c for c, n in counts.items() if n >= 2)
        for mid in sorted(set(members)):
            for c in shared:
                out.append((mid, c, "buddy_shared", 1.0, match.created_at.timestamp()))
    if member_id is not None:
        out = [r for r in out if r[0] == member_id]
    return out


# ---- ingestion: sentiment and course mentions of every stored message ------------------------------------------
MessageKey = tuple[int, int]
"""(group_id, Message row id)"""

MAX_PENDING_MENTIONS = 50_000
BACKFILL_PAGE = 500


class MessageScorer:
    """Scores stored messages off the message path and derives course mentions from them.

    `on_message` (called by the message listener) only looks up course names and enqueues the text; the
    `SentimentWorker` scores batches in a thread and `_store` writes Message.sentiment, CourseMention rows and the
    implicit Rating (source "mention", value = sentiment), then emits `mention(group_id, member_id, course_id,
    sentiment)`. Messages stored while the worker was down keep a NULL sentiment and are scored by `backfill` at
    the next start.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        analyzer: str,
        clock: Clock,
        max_batch: int = 256,
        max_delay: float = 0.25,
    ) -> None:
        self.engine, self.analyzer_name, self.clock = engine, analyzer, clock
        self.max_batch, self.max_delay = max_batch, max_delay
        self.worker: SentimentWorker[MessageKey] | None = None
        self._pending: dict[MessageKey, list[int]] = {}
        self._backfill: asyncio.Task[int] | None = None
        self._courses: tuple[float, list[Course]] = (-1e9, [])

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.running

    def courses(self) -> list[Course]:
        """The active catalogue, cached for a few seconds (title matching runs for every message)."""
        at, cached = self._courses
        if time.monotonic() - at > COURSE_CACHE_SECONDS:
            with db.session_scope(self.engine) as s:
                cached = courses_crud.list_courses(s)
            self._courses = (time.monotonic(), cached)
        return cached

    def on_message(self, *, group_id: int, message_id: int, text: str) -> bool:
        """Queue one stored message; False when the worker is not running (the backfill will score it)."""
        if self.worker is None or not self.worker.running:
            return False
        key = (group_id, message_id)
        named = [c.id for c in mentioned_courses(text, self.courses()) if c.id is not None]
        if len(self._pending) >= MAX_PENDING_MENTIONS:
            self._pending.pop(next(iter(self._pending)))
        self._pending[key] = named
        return self.worker.submit(key, text)

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
            with db.session_scope(self.engine) as s:
                page = q.unscored_messages(s, after_id=after, limit=BACKFILL_PAGE)
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
        named = {key: self._pending.pop(key, None) for key, _ in batch}
        courses = self.courses()
        # The writes run in a thread so that a big batch never holds up the event loop (the message path).
        await asyncio.to_thread(self._write, batch, named, courses, self.clock.now())

    def _write(
        self,
        batch: list[tuple[MessageKey, SentimentResult]],
        named: dict[MessageKey, list[int] | None],
        courses: list[Course],
        now: datetime,
    ) -> None:
        """Store one scored batch: sentiment, course mentions and the implicit ratings they imply."""
        with db.session_scope(self.engine) as s:
            rows = q.messages_by_id(s, ids=[mid for (_, mid), _ in batch])
            had_mentions = q.messages_with_mentions(s, ids=list(rows))
            for (group_id, message_id), result in batch:
                msg = rows.get(message_id)
                if msg is None or msg.group_id != group_id:
                    continue  # forgotten (/forget) while queued
                score = float(result.score)
                msg.sentiment, msg.sentiment_label = score, result.label
                s.add(msg)
                found = named.get((group_id, message_id))
                if found is None:  # backfill: the text is in the store
                    found = [c.id for c in mentioned_courses(msg.text or "", courses) if c.id is not None]
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
