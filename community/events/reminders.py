"""Reminder delivery: claim due reminders in the database, then post them once.

The database is the source of truth. Each process runs a poller (and, for punctuality, date jobs at exact fire
times); a poll claims due rows with an atomic compare-and-set of their status (on PostgreSQL after
`SELECT ... FOR UPDATE SKIP LOCKED`), so when several processes share one database exactly one of them sends each
reminder. APScheduler only wakes the poller; its job store is never shared (FIELD-NOTES: shared stores double-fire).

Rules at send time:
- the event was cancelled, or edited since the reminder was made (version differs): dropped, never stale;
- later than the grace window (Settings.reminder_grace_minutes): skipped and logged, never hours late;
- several reminders of one occurrence due at once (the bot was down): only the nearest to the start is sent;
- late but inside the window: sent once, saying how long until (or since) the start — no apology.

Claim lease: a claim is good for CLAIM_LEASE_SECONDS (120). A process that dies between its claim and its send leaves
the row `claimed`; once the claim is older than the lease any process may take it over (atomically: the UPDATE
re-checks that the claim is still stale, so exactly one process wins) and sends it, subject to the same rules (so
past the grace window it is skipped and logged instead). The row is marked `sent` right after the group post
succeeds. So delivery is exactly once unless a sender dies (or stalls for longer than the lease) after posting
and before recording `sent`: then the reminder can be posted twice — at least once across crashes, never lost
inside the grace window. A send that raises is retried the same way, after the lease.

The service decides and records; what a reminder says and how it reaches the chat is the bot's: it passes a
`deliver` callable that renders a `ReminderNotice` and pushes it (raising when the platform refused it).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session

from common.clock import Clock
from community.events.audience import group_chat, reminder_readers
from community.events.notices import ReminderNotice
from community.events.recurrence import extend_all
from community.events.views import card_channel
from storage.crud import events as crud
from storage.db import Store
from storage.models import Event, Group, Reminder

log = logging.getLogger(__name__)

Deliver = Callable[[ReminderNotice], Awaitable[object]]
"""Renders and sends one notice (the bot's); raises when it could not be sent."""
Verdict = Literal["sent", "skipped", "dropped"]

CLAIM_BATCH = 100
# How long a claim stands before another process may take it over (its claimer presumably died). Longer than any
# healthy send of one group post; shorter than the grace window, so a taken-over reminder can still go out.
CLAIM_LEASE_SECONDS = 120


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class TickResult:
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Due:
    """A claimed reminder that is to be sent: the group post, then one direct message per member going."""

    group_post: ReminderNotice
    directs: tuple[ReminderNotice, ...]


class ReminderService:
    """Claims and sends due reminders for one process. `tick()` is what the scheduler calls."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        deliver: Deliver,
        *,
        grace_minutes: int = 30,
        poll_seconds: float = 5.0,
        worker: str | None = None,
        wake_at: Callable[[datetime], None] | None = None,
        lease_seconds: float = CLAIM_LEASE_SECONDS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.deliver = deliver
        self.grace = timedelta(minutes=grace_minutes)
        self.poll_seconds = poll_seconds
        self.worker = worker or worker_name()
        self.lease = timedelta(seconds=lease_seconds)
        # Optional: ask the scheduler for one extra tick at an exact time, so a reminder due between two polls
        # goes out on the second rather than up to `poll_seconds` late.
        self.wake_at = wake_at

    # ---- claiming -----------------------------------------------------------------------------------------
    def claim_due(self, now: datetime) -> list[int]:
        """Claim up to CLAIM_BATCH due reminders for this worker; the ids returned are ours alone (blocking).

        Pending rows due by `now`, and claimed rows whose claim is older than the lease (taken over)."""
        claimed: list[int] = []
        stale_before = now - self.lease
        with self.store.session() as s:
            for rid, status in crud.claimable_reminder_ids(
                s, now=now, stale_before=stale_before, limit=CLAIM_BATCH
            ):
                if status == "pending":
                    won = crud.set_status_if(
                        s,
                        reminder_id=rid,
                        expect="pending",
                        status="claimed",
                        claimed_by=self.worker,
                        claimed_at=now,
                    )
                else:
                    won = crud.reclaim_if_stale(
                        s, reminder_id=rid, stale_before=stale_before, worker=self.worker, now=now
                    )
                    if won:
                        log.warning(
                            "reminder %s: a claim older than the %d s lease was never finished; taken over",
                            rid,
                            self.lease.total_seconds(),
                        )
                if won:
                    claimed.append(rid)
        return claimed

    async def tick(self) -> TickResult:
        """Claim what is due now and deliver it (or skip or drop it, by the rules above)."""
        now = self.clock.now()
        result = TickResult()
        for rid in await self.store.call(self.claim_due, now):
            try:
                verdict = await self._deliver(rid, now)
            except Exception:
                log.exception("reminder %s failed while sending", rid)
                continue
            {"sent": result.sent, "skipped": result.skipped, "dropped": result.dropped}[verdict].append(rid)
        if self.wake_at is not None:
            nxt = await self.store.run(crud.next_pending_fire_at)
            if nxt is not None and now < nxt <= now + timedelta(seconds=self.poll_seconds):
                self.wake_at(nxt)
        return result

    def extend(self) -> int:
        """Materialise the next window of reminders of every series (the daily job; also at start). Blocking."""
        with self.store.session() as s:
            return extend_all(s, now=self.clock.now())

    async def extend_job(self) -> None:
        await self.store.call(self.extend)

    # ---- delivery -----------------------------------------------------------------------------------------
    async def _deliver(self, rid: int, now: datetime) -> Verdict:
        due = await self.store.run(self._judge, rid, now)
        if not isinstance(due, Due):
            return due
        # Still `claimed` while posting: a crash here leaves it for another process once the lease runs out.
        await self.deliver(due.group_post)
        if not await self.store.run(self._finish, rid, "sent", self.clock.now()):
            log.warning(
                "reminder %s was posted but its claim had been taken over (sending took longer than the "
                "%d s lease); it may have been posted twice",
                rid,
                self.lease.total_seconds(),
            )
        for notice in due.directs:
            try:
                await self.deliver(notice)
            except Exception:  # one member's refused DM must not stop the others
                assert notice.to is not None
                log.exception("direct reminder to member %s failed", notice.to.member_id)
        return "sent"

    def _judge(self, s: Session, rid: int, now: datetime) -> Due | Verdict:
        """Drop or skip the claimed reminder by the rules above (recording it), or say what to send."""
        r = crud.get_reminder(s, reminder_id=rid)
        assert r is not None
        event = crud.get_event(s, group_id=r.group_id, event_id=r.event_id)
        group = crud.group_row(s, group_id=r.group_id)
        if event is None or group is None or event.status != "scheduled" or r.event_version != event.version:
            self._finish(s, rid, "cancelled", now)
            return "dropped"
        late = now - r.fire_at
        if late > self.grace:
            log.warning(
                "reminder %s of event %s skipped: due %s, %d min late (grace %d min)",
                rid,
                event.id,
                r.fire_at.isoformat(),
                late.total_seconds() // 60,
                self.grace.total_seconds() // 60,
            )
            self._finish(s, rid, "skipped", now)
            return "skipped"
        if (
            self._superseded(s, r, now)
            or r.occurrence_start + timedelta(minutes=event.duration_minutes) < now
        ):
            log.info("reminder %s skipped: a nearer reminder of the same occurrence is due", rid)
            self._finish(s, rid, "skipped", now)
            return "skipped"
        return build_notices(s, event, group, r, now)

    @staticmethod
    def _superseded(s: Session, r: Reminder, now: datetime) -> bool:
        return crud.nearer_reminder_due(
            s,
            group_id=r.group_id,
            event_id=r.event_id,
            occurrence_start=r.occurrence_start,
            offset_minutes=r.offset_minutes,
            event_version=r.event_version,
            now=now,
        )

    def _finish(self, s: Session, rid: int, status: str, now: datetime) -> bool:
        """Close our claim; False when it is no longer ours (taken over after the lease)."""
        return crud.set_status_if(
            s,
            reminder_id=rid,
            expect="claimed",
            owner=self.worker,
            status=status,
            sent_at=now if status == "sent" else None,
        )


def build_notices(s: Session, event: Event, group: Group, r: Reminder, now: datetime) -> Due:
    """The group post (listing who is going) and one direct message per going member who has not muted."""
    assert event.id is not None and group.id is not None and r.id is not None
    going = crud.rsvps(s, group_id=group.id, event_id=event.id, status=crud.GOING)
    names, readers = reminder_readers(s, group=group, member_ids=[g.member_id for g in going])
    post = ReminderNotice(
        reminder_id=r.id,
        event_id=event.id,
        title=event.title,
        starts_at=r.occurrence_start,
        timezone=group.timezone,  # a group post reads in the group's zone; each direct one in its reader's
        as_of=now,
        group=group_chat(group),
        channel_id=card_channel(
            event, group.platform_chat_id
        ),  # post where the card lives (Discord: its channel)
        going=tuple(names),
    )
    return Due(post, tuple(replace(post, to=reader) for reader in readers))
