"""/stats as a picture: a 2×2 PNG chart of a `GroupStats` (matplotlib, headless), with its numbers embedded.

`render_chart` returns PNG bytes; `chart_metadata` is what goes into the PNG's text chunk so a reader can check
the drawn numbers against the store. Course titles in CJK are drawn only when a CJK font is installed
(`chart_label`), else the course is named by its number (never as boxes).
"""

from __future__ import annotations

import functools
import io
import json
import re
import warnings

from common.text import clip
from community.signals.stats import GroupStats

CJK_FONT_HINTS = (
    "Noto Sans CJK",
    "Noto Serif CJK",
    "WenQuanYi",
    "Source Han",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang",
    "AR PL",
)
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
    rated = [
        clip(chart_label(c.title, c.course_id), 24) + f" ★{c.average:.1f} ({c.count})"
        for c in stats.top_rated
    ]
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


def chart_metadata(st: GroupStats) -> dict[str, str]:
    """The chart's numbers, stored in the PNG itself (a tEXt chunk) so a reader can check them against the store."""
    data = {
        "days": [d.isoformat() for d in st.days],
        "messages_per_day": st.messages_per_day,
        "sentiment_per_day": [None if v is None else round(v, 4) for v in st.sentiment_per_day],
        "messages_per_hour": st.messages_per_hour,
        "new_members_per_day": st.new_members_per_day,
        "returning_members_per_day": st.returning_members_per_day,
        "top_discussed": [[c.course_id, c.count] for c in st.top_discussed],
        "top_rated": [[c.course_id, c.count, round(c.average or 0.0, 4)] for c in st.top_rated],
    }
    return {"Comment": json.dumps(data, separators=(",", ":"))}
