"""/stats: a group's activity over the last N days, as numbers (`GroupStats`) and as a PNG chart.

`group_stats` computes every series the chart shows, so tests (and anyone else) can check the picture against
the store; `render_chart` only draws them. Days and hours are UTC. Commands never count as messages.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from common.text import clip
from storage.crud import courses as courses_crud
from storage.crud import signals as q

MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 365, 30
TOP_COURSES = 5


@dataclass(frozen=True)
class CourseCount:
    course_id: int
    title: str
    count: int
    average: float | None = None  # mean explicit rating (top rated only)


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


CJK_FONT_HINTS = ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "Source Han", "Droid Sans Fallback", "SimHei",
                  "Microsoft YaHei", "PingFang", "AR PL")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


@functools.cache
def cjk_font() -> str | None:
    """An installed font family that can draw Chinese/Japanese/Korean titles (e.g. Debian's fonts-noto-cjk)."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if any(hint.lower() in entry.name.lower() for hint in CJK_FONT_HINTS):
            return str(entry.name)
    return None


def chart_label(text: str, course_id: int | None = None) -> str:
    """A label the chart can draw: CJK text needs a CJK font; without one, name the course by its number."""
    if not _CJK.search(text) or cjk_font() is not None:
        return text
    return f"course #{course_id}" if course_id is not None else _CJK.sub("?", text)


def render_chart(stats: GroupStats, *, title: str = "", metadata: dict[str, str] | None = None) -> bytes:
    """A 2×2 PNG: messages and sentiment per day, messages per hour, top courses, new vs returning members.

    `metadata` goes into the PNG's text chunks (e.g. the numbers drawn, so a reader can check them).
    """
    with warnings.catch_warnings():
        # Course titles may hold glyphs (CJK) the bundled font lacks: matplotlib warns and draws boxes.
        warnings.simplefilter("ignore")
        return _draw(stats, title, metadata or {})


def _draw(stats: GroupStats, title: str, metadata: dict[str, str]) -> bytes:
    from matplotlib import rc_context

    family = ["DejaVu Sans", *([cjk_font()] if cjk_font() else [])]
    with rc_context({"font.family": family}):
        return _draw_figure(stats, title, metadata)


def _draw_figure(stats: GroupStats, title: str, metadata: dict[str, str]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(11, 7.5), dpi=100)
    FigureCanvasAgg(fig)
    (ax_day, ax_hour), (ax_course, ax_members) = fig.subplots(2, 2)
    x = list(range(len(stats.days)))
    labels = [d.strftime("%m-%d") for d in stats.days]
    step = max(1, len(x) // 6)

    ax_day.bar(x, stats.messages_per_day, color="#4c78a8", label="messages")
    ax_day.set_title("Messages per day (UTC) and average sentiment")
    ax_day.set_xticks(x[::step], labels[::step], fontsize=8, rotation=30)
    ax_sent = ax_day.twinx()
    pts = [(i, v) for i, v in zip(x, stats.sentiment_per_day, strict=True) if v is not None]
    if pts:
        ax_sent.plot([p[0] for p in pts], [p[1] for p in pts], color="#e45756", marker="o", markersize=3)
    ax_sent.set_ylim(-1, 1)
    ax_sent.axhline(0, color="#bbbbbb", linewidth=0.8)
    ax_sent.set_ylabel("sentiment", color="#e45756")

    ax_hour.bar(range(24), stats.messages_per_hour, color="#72b7b2")
    ax_hour.set_title("Most active hours (UTC)")
    ax_hour.set_xticks(range(0, 24, 3))

    names = [clip(chart_label(c.title, c.course_id), 24) + f" ({c.count})" for c in stats.top_discussed]
    rated = [clip(chart_label(c.title, c.course_id), 24) + f" ★{c.average:.1f} ({c.count})" for c in stats.top_rated]
    rows = [("talk: " + n, c.count, "#f58518") for n, c in zip(names, stats.top_discussed, strict=True)]
    rows += [("rated: " + n, c.count, "#54a24b") for n, c in zip(rated, stats.top_rated, strict=True)]
    if rows:
        ax_course.barh(range(len(rows)), [r[1] for r in rows], color=[r[2] for r in rows])
        ax_course.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
        ax_course.invert_yaxis()
    else:
        ax_course.text(0.5, 0.5, "no course mentions or ratings yet", ha="center", va="center")
        ax_course.set_axis_off()
    ax_course.set_title("Top courses discussed and rated")

    ax_members.bar(x, stats.returning_members_per_day, color="#9d9da1", label="returning")
    ax_members.bar(
        x, stats.new_members_per_day, bottom=stats.returning_members_per_day, color="#b279a2", label="new"
    )
    ax_members.set_title("Active members per day: new vs returning")
    ax_members.set_xticks(x[::step], labels[::step], fontsize=8, rotation=30)
    ax_members.legend(loc="upper left", fontsize=8)
    for ax in (ax_day, ax_hour, ax_members):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_course.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(clip(chart_label(title), 80))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata=metadata)
    return buf.getvalue()
