"""/stats as numbers: a group's activity over the last N days (`GroupStats`).

`group_stats` computes every series the chart shows (`chart.py` only draws them), so tests (and anyone else) can
check the picture against the store. Days and hours are UTC. Commands never count as messages.

The chart's time axis is a `Timeline`, not the raw window: it starts on the first day with a message (showing at
least a week, never before the window) so a 365-day view of a young group is not squeezed into the last sliver,
and it counts by week (Monday to Sunday) when that span is longer than `DAILY_UP_TO` days.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlmodel import Session

from storage.crud import courses as courses_crud
from storage.crud import signals as q

MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 365, 30
TOP_COURSES = 5
MIN_SPAN_DAYS = 7  # the time axis shows at least a week (or the whole window when it is shorter)
DAILY_UP_TO = 92  # longer spans are counted by week


@dataclass(frozen=True)
class CourseCount:
    course_id: int
    title: str
    count: int
    average: float | None = None  # mean explicit rating (top rated only)


@dataclass(frozen=True)
class Timeline:
    """The chart's time axis: bins from `starts[i]` (inclusive) to `ends[i]` (exclusive), UTC days.

    Daily bins, or weekly bins starting on Mondays (the first may start mid-week, the last ends tomorrow).
    A member is new in the bin that holds her first message ever in this group, returning in the others.
    """

    unit: Literal["day", "week"]
    starts: list[date]
    ends: list[date]
    messages: list[int]
    sentiment: list[float | None]  # mean sentiment of the bin's scored messages
    new_members: list[int]
    returning_members: list[int]


@dataclass(frozen=True)
class GroupStats:
    days: list[date]
    messages_per_day: list[int]
    sentiment_per_day: list[float | None]  # mean sentiment of the day's scored messages
    messages_per_hour: list[int]  # 24 values, UTC hour of day
    new_members_per_day: list[int]  # first message ever in this group on that day
    returning_members_per_day: list[int]
    top_discussed: list[CourseCount]
    top_rated: list[CourseCount]
    total_messages: int
    active_members: int
    new_members: int
    average_sentiment: float | None
    timeline: Timeline

    @property
    def busiest_hour(self) -> int | None:
        best = max(self.messages_per_hour)
        return self.messages_per_hour.index(best) if best else None


def group_stats(s: Session, *, group_id: int, now: datetime, days: int = DEFAULT_DAYS) -> GroupStats:
    """Every series of the chart for the `days` UTC calendar days ending today."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"days must be {MIN_DAYS}..{MAX_DAYS}")
    now = now.astimezone(UTC)
    day_list = [now.date() - timedelta(days=days - 1 - i) for i in range(days)]
    since = datetime.combine(day_list[0], time.min, tzinfo=UTC)
    all_messages = q.group_messages(s, group_id=group_id)
    first_day: dict[int, date] = {}
    for m in all_messages:
        first_day.setdefault(m.member_id, m.sent_at.date())
    window = [m for m in all_messages if since <= m.sent_at <= now]
    per_day: Counter[date] = Counter(m.sent_at.date() for m in window)
    scores: dict[date, list[float]] = defaultdict(list)
    authors: dict[date, set[int]] = defaultdict(set)
    hours = [0] * 24
    for m in window:
        if m.sentiment is not None:
            scores[m.sent_at.date()].append(m.sentiment)
        authors[m.sent_at.date()].add(m.member_id)
        hours[m.sent_at.hour] += 1
    new_per_day = [sum(1 for a in authors[d] if first_day[a] == d) for d in day_list]
    all_scores = [x for d in day_list for x in scores[d]]
    members = {m.member_id for m in window}
    return GroupStats(
        days=day_list,
        messages_per_day=[per_day[d] for d in day_list],
        sentiment_per_day=[sum(scores[d]) / len(scores[d]) if scores[d] else None for d in day_list],
        messages_per_hour=hours,
        new_members_per_day=new_per_day,
        returning_members_per_day=[len(authors[d]) - n for d, n in zip(day_list, new_per_day, strict=True)],
        top_discussed=_top_discussed(s, group_id=group_id, since=since),
        top_rated=_top_rated(s, group_id=group_id, since=since),
        total_messages=len(window),
        active_members=len(members),
        new_members=sum(1 for a in members if first_day[a] >= day_list[0]),
        average_sentiment=sum(all_scores) / len(all_scores) if all_scores else None,
        timeline=_timeline(window, first_day, first=day_list[0], today=day_list[-1]),
    )


def _timeline(
    window: list[q.MessageRow], first_seen: dict[int, date], *, first: date, today: date
) -> Timeline:
    """Bins from the first day with a message (at least `MIN_SPAN_DAYS`, never before `first`) to today."""
    start = min([m.sent_at.date() for m in window] + [today - timedelta(days=MIN_SPAN_DAYS - 1)])
    start = max(start, first)
    end = today + timedelta(days=1)
    unit: Literal["day", "week"] = "day" if (end - start).days <= DAILY_UP_TO else "week"
    starts = [start]
    while True:
        step = timedelta(days=1) if unit == "day" else timedelta(days=7 - starts[-1].weekday())
        if starts[-1] + step >= end:
            break
        starts.append(starts[-1] + step)
    ends = [*starts[1:], end]
    messages = [0] * len(starts)
    scores: list[list[float]] = [[] for _ in starts]
    authors: list[set[int]] = [set() for _ in starts]
    for m in window:
        day = m.sent_at.date()
        i = bisect_right(starts, day) - 1
        if i < 0:
            continue
        messages[i] += 1
        authors[i].add(m.member_id)
        if m.sentiment is not None:
            scores[i].append(m.sentiment)
    new = [sum(1 for a in authors[i] if starts[i] <= first_seen[a] < ends[i]) for i in range(len(starts))]
    return Timeline(
        unit=unit,
        starts=starts,
        ends=ends,
        messages=messages,
        sentiment=[sum(v) / len(v) if v else None for v in scores],
        new_members=new,
        returning_members=[len(a) - n for a, n in zip(authors, new, strict=True)],
    )


def _titles(s: Session) -> dict[int, str]:
    return {c.id: c.title for c in courses_crud.list_courses(s, active_only=False) if c.id is not None}


def _top_discussed(s: Session, *, group_id: int, since: datetime) -> list[CourseCount]:
    counts = Counter(m.course_id for m in q.group_mentions(s, group_id=group_id, since=since))
    titles = _titles(s)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_COURSES]
    return [CourseCount(cid, titles.get(cid, f"#{cid}"), n) for cid, n in ranked]


def _top_rated(s: Session, *, group_id: int, since: datetime) -> list[CourseCount]:
    values: dict[int, list[float]] = defaultdict(list)
    for r in q.ratings(s, group_id=group_id):
        if r.source == "rate" and r.updated_at >= since:
            values[r.course_id].append(r.value)
    titles = _titles(s)
    ranked = sorted(values.items(), key=lambda kv: (-len(kv[1]), -sum(kv[1]) / len(kv[1]), kv[0]))[
        :TOP_COURSES
    ]
    return [CourseCount(cid, titles.get(cid, f"#{cid}"), len(v), sum(v) / len(v)) for cid, v in ranked]
