"""Activity signals per member of a group, over the last 7 and 30 days and all time.

Plain data (frozen dataclasses, no ORM rows) that the leaderboard, /me, the recommender and matching consume.

Definitions (all per group; commands never count as messages):
- active day: a UTC calendar day with at least one message.
- streak: consecutive active days ending today, or yesterday when today has no message yet.
- helpful answer: a message that replies to another member's message and got at least one positive reaction
  (emoji sentiment > 0) from someone other than its author.
- sentiment written: mean sentiment of the member's scored messages; received: mean sentiment of reactions to
  their messages and of other members' replies to them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session

from storage.crud import signals as q

WINDOWS = {"week": 7, "month": 30, "all": None}


@dataclass(frozen=True)
class WindowStats:
    """Counts over one window."""

    messages: int = 0
    active_days: int = 0
    reactions_given: int = 0
    reactions_received: int = 0
    helpful_answers: int = 0
    course_mentions: int = 0


@dataclass(frozen=True)
class ActivitySignals:
    member_id: int
    week: WindowStats
    month: WindowStats
    all_time: WindowStats
    streak: int
    longest_streak: int
    sentiment_written: float | None
    sentiment_received: float | None
    rsvps: int
    attended: int
    last_active: datetime | None
    opted_out: bool = False

    def window(self, name: str) -> WindowStats:
        return {"week": self.week, "month": self.month, "all": self.all_time}[name]

    @classmethod
    def none(cls, member_id: int) -> ActivitySignals:
        """The signals of a member who has done nothing in the group yet."""
        zero = WindowStats()
        return cls(member_id, zero, zero, zero, 0, 0, None, None, 0, 0, None)


def leaderboard_score(w: WindowStats) -> float:
    """5 × helpful answers + 2 × active days + √messages: consistency and help beat raw volume."""
    return round(5 * w.helpful_answers + 2 * w.active_days + math.sqrt(w.messages), 1)


@dataclass
class _Acc:
    """Mutable accumulator of one member's events (timestamps), turned into windows at the end."""

    messages: list[datetime] = field(default_factory=list)
    given: list[datetime] = field(default_factory=list)
    received: list[datetime] = field(default_factory=list)
    helpful: list[datetime] = field(default_factory=list)
    mentions: list[datetime] = field(default_factory=list)
    written: list[float] = field(default_factory=list)
    got: list[float] = field(default_factory=list)
    rsvps: int = 0
    attended: int = 0


def member_activity(s: Session, *, group_id: int, now: datetime) -> dict[int, ActivitySignals]:
    """Signals of every member who did anything in the group, by member id."""
    messages = q.group_messages(s, group_id=group_id)
    reactions = q.group_reactions(s, group_id=group_id)
    mentions = q.group_mentions(s, group_id=group_id)
    rsvps = q.member_rsvps(s, group_id=group_id)
    opted = q.opted_out_members(s, group_id=group_id)
    acc: dict[int, _Acc] = defaultdict(_Acc)
    by_platform_id = {m.platform_message_id: m for m in messages}
    by_row_id = {m.id: m for m in messages}
    positive_by_message: dict[int, set[int]] = defaultdict(set)
    for m in messages:
        a = acc[m.member_id]
        a.messages.append(m.sent_at)
        if m.sentiment is not None:
            a.written.append(m.sentiment)
        parent = by_platform_id.get(m.reply_to_platform_id) if m.reply_to_platform_id else None
        if parent is not None and parent.member_id != m.member_id and m.sentiment is not None:
            acc[parent.member_id].got.append(m.sentiment)
    for r in reactions:
        acc[r.reactor_id].given.append(r.created_at)
        if r.author_id is not None and r.author_id != r.reactor_id:
            acc[r.author_id].received.append(r.created_at)
            acc[r.author_id].got.append(r.sentiment)
            if r.sentiment > 0 and r.target_message_id is not None:
                positive_by_message[r.target_message_id].add(r.reactor_id)
    for mid in positive_by_message:
        m = by_row_id[mid]
        parent = by_platform_id.get(m.reply_to_platform_id) if m.reply_to_platform_id else None
        if parent is not None and parent.member_id != m.member_id:
            acc[m.member_id].helpful.append(m.sent_at)
    for cm in mentions:
        acc[cm.member_id].mentions.append(cm.created_at)
    for member_id, status, attended, _ in rsvps:
        if status in ("going", "maybe", "waitlist"):
            acc[member_id].rsvps += 1
        if attended:
            acc[member_id].attended += 1
    return {mid: _signals(mid, a, now, mid in opted) for mid, a in acc.items()}


def _signals(member_id: int, a: _Acc, now: datetime, opted_out: bool) -> ActivitySignals:
    days = {t.date() for t in a.messages}
    streak, longest = streaks(days, now.date())
    windows = {}
    for name, span in WINDOWS.items():
        since = now - timedelta(days=span) if span is not None else None
        windows[name] = WindowStats(
            messages=_count(a.messages, since),
            active_days=len({t.date() for t in a.messages if since is None or t >= since}),
            reactions_given=_count(a.given, since),
            reactions_received=_count(a.received, since),
            helpful_answers=_count(a.helpful, since),
            course_mentions=_count(a.mentions, since),
        )
    return ActivitySignals(
        member_id=member_id,
        week=windows["week"],
        month=windows["month"],
        all_time=windows["all"],
        streak=streak,
        longest_streak=longest,
        sentiment_written=_mean(a.written),
        sentiment_received=_mean(a.got),
        rsvps=a.rsvps,
        attended=a.attended,
        last_active=max(a.messages) if a.messages else None,
        opted_out=opted_out,
    )


def streaks(days: set[date], today: date) -> tuple[int, int]:
    """(current streak, longest streak) of consecutive active days."""
    current = 0
    day = today if today in days else today - timedelta(days=1)
    while day in days:
        current += 1
        day -= timedelta(days=1)
    longest = run = 0
    previous: date | None = None
    for d in sorted(days):
        run = run + 1 if previous is not None and d - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = d
    return current, longest


def _count(stamps: Iterable[datetime], since: datetime | None) -> int:
    return sum(1 for t in stamps if since is None or t >= since)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
