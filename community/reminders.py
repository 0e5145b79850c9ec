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
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.text import RichText, T, bold, clip
from bot.types import Chat, ChatUser, Reply, SentMessage
from common.clock import Clock
from community.events import card_channel, extend_all
from community.timeparse import format_when
from storage.crud import events as crud
from storage.db import session_scope
from storage.models import Event, Group, Reminder

log = logging.getLogger(__name__)

Push = Callable[[Reply], Awaitable[SentMessage | None]]
CLAIM_BATCH = 100
# How long a claim stands before another process may take it over (its claimer presumably died). Longer than any
# healthy send of one group post; shorter than the grace window, so a taken-over reminder can still go out.
CLAIM_LEASE_SECONDS = 120
MAX_LISTED = 30


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class TickResult:
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)


class ReminderService:
    """Claims and sends due reminders for one process. `tick()` is what the scheduler calls."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        push: Push,
        *,
        grace_minutes: int = 30,
        poll_seconds: float = 5.0,
        worker: str | None = None,
        wake_at: Callable[[datetime], None] | None = None,
        lease_seconds: float = CLAIM_LEASE_SECONDS,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.push = push
        self.grace = timedelta(minutes=grace_minutes)
        self.poll_seconds = poll_seconds
        self.worker = worker or worker_name()
        self.lease = timedelta(seconds=lease_seconds)
        # Optional: ask the scheduler for one extra tick at an exact time, so a reminder due between two polls
        # goes out on the second rather than up to `poll_seconds` late.
        self.wake_at = wake_at

    # ---- claiming -----------------------------------------------------------------------------------------
    def claim_due(self, now: datetime) -> list[int]:
        """Claim up to CLAIM_BATCH due reminders for this worker; the ids returned are ours alone.

        Pending rows due by `now`, and claimed rows whose claim is older than the lease (taken over)."""
        claimed: list[int] = []
        stale_before = now - self.lease
        with session_scope(self.engine) as s:
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
        for rid in self.claim_due(now):
            try:
                verdict = await self._deliver(rid, now)
            except Exception:
                log.exception("reminder %s failed while sending", rid)
                continue
            {"sent": result.sent, "skipped": result.skipped, "dropped": result.dropped}[verdict].append(rid)
        if self.wake_at is not None:
            with session_scope(self.engine) as s:
                nxt = crud.next_pending_fire_at(s)
            if nxt is not None and now < nxt <= now + timedelta(seconds=self.poll_seconds):
                self.wake_at(nxt)
        return result

    def extend(self) -> int:
        """Materialise the next window of reminders of every series (the daily job; also at start)."""
        with session_scope(self.engine) as s:
            return extend_all(s, now=self.clock.now())

    async def extend_job(self) -> None:
        self.extend()

    # ---- delivery -----------------------------------------------------------------------------------------
    async def _deliver(self, rid: int, now: datetime) -> str:
        with session_scope(self.engine) as s:
            r = crud.get_reminder(s, reminder_id=rid)
            assert r is not None
            event = crud.get_event(s, group_id=r.group_id, event_id=r.event_id)
            group = crud.group_row(s, group_id=r.group_id)
            if (
                event is None
                or group is None
                or event.status != "scheduled"
                or r.event_version != event.version
            ):
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
            group_reply, directs = build_messages(s, event, group, r, now)
        # Still `claimed` while posting: a crash here leaves it for another process once the lease runs out.
        await self.push(group_reply)
        with session_scope(self.engine) as s:
            if not self._finish(s, rid, "sent", self.clock.now()):
                log.warning(
                    "reminder %s was posted but its claim had been taken over (sending took longer than the "
                    "%d s lease); it may have been posted twice",
                    rid,
                    self.lease.total_seconds(),
                )
        for reply in directs:
            try:
                await self.push(reply)
            except Exception:  # one member's refused DM must not stop the others
                log.exception("direct reminder to %s failed", reply.direct_to)
        return "sent"

    @staticmethod
    def _superseded(s, r: Reminder, now: datetime) -> bool:  # type: ignore[no-untyped-def]
        nearer = s.exec(
            select(Reminder.id).where(
                Reminder.event_id == r.event_id,
                Reminder.occurrence_start == r.occurrence_start,
                Reminder.offset_minutes < r.offset_minutes,
                Reminder.fire_at <= now,
                col(Reminder.status).in_(["pending", "claimed", "sent"]),
                Reminder.event_version == r.event_version,
            )
        ).first()
        return nearer is not None

    def _finish(self, s, rid: int, status: str, now: datetime) -> bool:  # type: ignore[no-untyped-def]
        """Close our claim; False when it is no longer ours (taken over after the lease)."""
        return crud.set_status_if(
            s,
            reminder_id=rid,
            expect="claimed",
            owner=self.worker,
            status=status,
            sent_at=now if status == "sent" else None,
        )


def group_chat(group: Group) -> Chat:
    return Chat(platform=group.platform, chat_id=group.platform_chat_id, kind="group", title=group.title)


def until_text(start: datetime, now: datetime) -> str:
    minutes = round((start - now).total_seconds() / 60)
    if minutes <= 0:
        return "has started" if minutes > -2 else f"started {-minutes} min ago"
    if minutes < 90:
        return f"starts in {minutes} min"
    hours = round(minutes / 60)
    return f"starts in {hours} hours" if hours < 36 else f"starts in {round(hours / 24)} days"


def build_messages(s, event: Event, group: Group, r: Reminder, now: datetime) -> tuple[Reply, list[Reply]]:  # type: ignore[no-untyped-def]
    """The group post (listing who is going) and one direct message per going member who has not muted."""
    assert event.id is not None and group.id is not None
    going = crud.rsvps(s, group_id=group.id, event_id=event.id, status=crud.GOING)
    people = crud.names_and_accounts(
        s, group_id=group.id or 0, member_ids=[g.member_id for g in going], platform=group.platform
    )
    when = format_when(r.occurrence_start, event.timezone)
    head = T(
        "⏰ Reminder: ", bold(clip(event.title, 200)), f" {until_text(r.occurrence_start, now)} ({when})."
    )
    names = [clip(name or "someone", 64) for _, name, _, _ in people]
    if names:
        shown = ", ".join(names[:MAX_LISTED]) + (
            f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
        )
        body = T(f"Going ({len(names)}): ", shown)
    else:
        body = T("Nobody has said they're going yet — ", bold("/event " + str(event.id)), " to join.")
    chat = group_chat(group)
    channel = card_channel(event, chat.chat_id)  # post where the card lives (Discord: its channel)
    group_reply = Reply(chat=chat, text=RichText.join([head, body]), reply_channel_id=channel)
    directs: list[Reply] = []
    zones = crud.member_timezones(s, group_id=group.id, member_ids=[p[0] for p in people])
    for mid, name, account, muted in people:
        if muted or account is None:
            continue
        user = ChatUser(
            platform=account.platform,
            user_id=account.platform_user_id,
            display_name=name or account.display_name,
            username=account.username,
        )
        local_tz = reader_zone(
            zones.get(mid), event.timezone
        )  # a direct message reads in the member's own zone
        text = T(
            "⏰ ",
            bold(clip(event.title, 200)),
            f" {until_text(r.occurrence_start, now)} "
            f"({format_when(r.occurrence_start, local_tz)}). You said you're going.",
        )
        directs.append(Reply(chat=chat, text=text, direct_to=user, reply_channel_id=channel))
    return group_reply, directs


def reader_zone(member_tz: str | None, fallback: str) -> str:
    """The member's own zone when it is a valid one, else the fallback."""
    if member_tz:
        try:
            ZoneInfo(member_tz)
            return member_tz
        except (ValueError, KeyError, OSError):
            pass
    return fallback
