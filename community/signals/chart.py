"""/stats as a picture: a PNG chart of a `GroupStats` (matplotlib, headless), with its numbers embedded.

`render_chart` returns PNG bytes (`build_figure` the matplotlib `Figure`, for tests); `chart_metadata` is what goes
into the PNG's text chunk so a reader can check the drawn numbers against the store.

Panels: messages and average sentiment over time, active members (new vs returning) over time, messages per hour
of day, the most discussed courses (mentions) and the most rated courses (number of `/rate`s, with the average):
mentions and ratings are different units, so they never share an axis. The time panels draw `GroupStats.timeline`
(from the first day with data, by day or by week), not the whole window.

Fonts: DejaVu Sans (bundled with matplotlib) draws Latin, Greek, Cyrillic and symbols; CJK text falls back to the
font shipped in `fonts/` (a subset of Noto Sans CJK SC, OFL-1.1, built by `scripts/make_cjk_font.py`: the 6,763
GB2312 Hanzi, kana, CJK punctuation), then to a CJK font installed on the machine if any. `chart_label` keeps
every label drawable: a symbol no font has (an emoji) is dropped, and a title with letters no font has is named by
its course number, so nothing is ever drawn as a box. Labels are plain text, never mathtext (`$`).
"""

from __future__ import annotations

import functools
import io
import json
import re
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from community.signals.stats import CourseCount, GroupStats, Timeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SHIPPED_CJK_FONT = FONT_DIR / "CohortCJKSansSC-Regular.otf"
BASE_FONT = "DejaVu Sans"
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
COURSE_LABEL_COLUMNS = 26  # a course title on a panel, in columns (a CJK character takes two)
TITLE_COLUMNS = 90
MAX_TIME_TICKS = 12
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
# matplotlib's font cache and text layout are shared state: one chart at a time (they are CPU-bound anyway).
_LOCK = threading.Lock()


@functools.cache
def shipped_cjk_font() -> str | None:
    """Register the shipped CJK font with matplotlib (once); its family name, None if the file is missing."""
    from matplotlib import font_manager

    if not SHIPPED_CJK_FONT.is_file():
        return None
    font_manager.fontManager.addfont(str(SHIPPED_CJK_FONT))
    return str(font_manager.FontProperties(fname=str(SHIPPED_CJK_FONT)).get_name())


@functools.cache
def installed_cjk_font() -> str | None:
    """A CJK font family installed on the machine (e.g. Debian's fonts-noto-cjk), if any."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if any(hint.lower() in entry.name.lower() for hint in CJK_FONT_HINTS):
            return str(entry.name)
    return None


def cjk_font() -> str | None:
    """The font family that draws Chinese/Japanese titles: the shipped one, else an installed one."""
    return shipped_cjk_font() or installed_cjk_font()


def font_families() -> list[str]:
    """The chart's font fallback list (matplotlib ≥ 3.6 takes each glyph from the first family that has it)."""
    cjk = cjk_font()
    return list(dict.fromkeys(f for f in (BASE_FONT, cjk, installed_cjk_font() if cjk else None) if f))


@functools.cache
def _charmap(family: str) -> frozenset[int] | None:
    """The code points a font family draws; None when matplotlib does not know the family."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        return None
    return frozenset(FT2Font(path).get_charmap())


def _drawable(ch: str) -> bool:
    base = _charmap(BASE_FONT)
    if base is not None and ord(ch) in base:
        return True
    cjk = cjk_font()
    if cjk is None:
        return False
    fonts = [_charmap(f) for f in font_families()[1:]]
    if any(cmap is None for cmap in fonts):  # an unknown family: trust it with the CJK blocks
        return bool(_CJK.match(ch))
    return any(cmap is not None and ord(ch) in cmap for cmap in fonts)


def chart_label(text: str, course_id: int | None = None) -> str:
    """`text` as the chart can draw it, never with boxes for missing glyphs.

    Characters no font has: symbols and marks (emoji, variation selectors) are dropped, odd spaces become spaces;
    letters or digits make a course title unreadable, so the course is named by its number ("course #13"),
    and other text shows "?" for each.
    """
    out: list[str] = []
    for ch in text:
        if ch == " " or _drawable(ch):
            out.append(ch)
            continue
        kind = unicodedata.category(ch)
        if kind[0] in "LN":
            if course_id is not None:
                return f"course #{course_id}"
            out.append("?")
        elif kind[0] in "ZC":
            out.append(" ")
    label = re.sub(r"\s+", " ", "".join(out)).strip()
    if label or not text.strip():
        return label
    return f"course #{course_id}" if course_id is not None else "?"


def clip_columns(text: str, columns: int) -> str:
    """Cut `text` to `columns` display columns (wide CJK characters count two), marking a cut with "…"."""

    def width(ch: str) -> int:
        return 2 if unicodedata.east_asian_width(ch) in "WF" else 1

    if sum(width(ch) for ch in text) <= columns:
        return text
    used, kept = 0, []
    for ch in text:
        if used + width(ch) > columns - 1:
            break
        kept.append(ch)
        used += width(ch)
    return "".join(kept).rstrip() + "…"


@functools.cache
def warm_up() -> None:
    """Once per process: load matplotlib, register the fonts and read their character maps, and draw one empty chart: what the first
    /stats of a process pays (about a second on 2 cores), for callers that want it paid in advance."""
    from datetime import date, timedelta

    for family in font_families():
        _charmap(family)
    day = date(2026, 1, 5)
    timeline = Timeline(
        unit="day",
        starts=[day],
        ends=[day + timedelta(days=1)],
        messages=[1],
        sentiment=[0.5],
        new_members=[1],
        returning_members=[0],
    )
    sample = [CourseCount(1, "Python 数据分析", 1, 4.0)]
    render_chart(
        GroupStats(
            days=[day],
            messages_per_day=[1],
            sentiment_per_day=[0.5],
            messages_per_hour=[1] + [0] * 23,
            new_members_per_day=[1],
            returning_members_per_day=[0],
            top_discussed=sample,
            top_rated=sample,
            total_messages=1,
            active_members=1,
            new_members=1,
            average_sentiment=0.5,
            timeline=timeline,
        ),
        title="warm-up 数据",
    )


def render_chart(stats: GroupStats, *, title: str = "", metadata: dict[str, str] | None = None) -> bytes:
    """The PNG: time panels, busy hours, most discussed and most rated courses.

    `metadata` goes into the PNG's text chunks (e.g. the numbers drawn, so a reader can check them).
    """
    with _LOCK:
        return figure_png(build_figure(stats, title=title), metadata or {})


def figure_png(fig: Figure, metadata: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata=metadata or {})
    return buf.getvalue()


def build_figure(stats: GroupStats, *, title: str = "") -> Figure:
    """The chart as a matplotlib Figure; each panel's Axes is labelled (`ax.get_label()`): messages, members,
    hours, discussed, rated."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Fixed panel positions (figure fractions) instead of a layout engine: constrained layout measured every
    # label's box twice and took about half of the render's CPU time. The gaps left of the course panels fit a
    # label of COURSE_LABEL_COLUMNS plus its rating at font size 8.
    fig = Figure(figsize=(12, 10), dpi=100)
    FigureCanvasAgg(fig)
    ax_day = fig.add_axes((0.08, 0.66, 0.84, 0.26), label="messages")
    ax_members = fig.add_axes((0.08, 0.40, 0.84, 0.19), label="members", sharex=ax_day)
    ax_hour = fig.add_axes((0.08, 0.06, 0.20, 0.26), label="hours")
    ax_discussed = fig.add_axes((0.47, 0.06, 0.16, 0.26), label="discussed")
    ax_rated = fig.add_axes((0.82, 0.06, 0.15, 0.26), label="rated")
    text_style: dict[str, Any] = {"fontfamily": font_families(), "parse_math": False}

    _messages_panel(ax_day, stats.timeline)
    _members_panel(ax_members, stats.timeline)
    _hours_panel(ax_hour, stats.messages_per_hour)
    _courses_panel(
        ax_discussed,
        stats.top_discussed,
        labels=[_course_label(c) for c in stats.top_discussed],
        title="Most discussed courses",
        xlabel="mentions in messages",
        color="#f58518",
        empty="no course mentions yet",
        text_style=text_style,
    )
    _courses_panel(
        ax_rated,
        stats.top_rated,
        labels=[_course_label(c) + f" ★{c.average or 0:.1f}" for c in stats.top_rated],
        title="Most rated courses (/rate)",
        xlabel="ratings (★ = average)",
        color="#54a24b",
        empty="no ratings yet",
        text_style=text_style,
    )
    if title:
        fig.suptitle(clip_columns(chart_label(title), TITLE_COLUMNS), **text_style)
    return fig


def _course_label(c: CourseCount) -> str:
    return clip_columns(chart_label(c.title, c.course_id), COURSE_LABEL_COLUMNS)


def _time_axis(ax: Axes, tl: Timeline) -> tuple[list[float], list[float]]:
    """Bar centres and widths in matplotlib date numbers; the x-axis spans exactly the timeline.

    Ticks sit under the bars they name (a day, or a week by its first day), at most `MAX_TIME_TICKS` of them.
    """
    from matplotlib.dates import date2num

    edges = [float(date2num(d)) for d in [*tl.starts, tl.ends[-1]]]
    widths = [b - a for a, b in zip(edges, edges[1:], strict=False)]
    centres = [a + w / 2 for a, w in zip(edges, widths, strict=False)]
    ax.set_xlim(edges[0], edges[-1])
    step = -(-len(centres) // MAX_TIME_TICKS)
    shown = tl.starts[::step]
    labels = [
        f"{d:%b} {d.day}" + (f"\n{d.year}" if i == 0 or d.year != shown[i - 1].year else "")
        for i, d in enumerate(shown)
    ]
    ax.set_xticks(centres[::step], labels, fontsize=8)
    if tl.unit == "week":
        ax.set_xlabel("weeks (Monday to Sunday), by their first day", fontsize=8)
    return centres, widths


def _messages_panel(ax: Axes, tl: Timeline) -> None:
    from matplotlib.ticker import MaxNLocator

    x, w = _time_axis(ax, tl)
    ax.bar(x, tl.messages, width=w, color="#4c78a8", edgecolor="white", linewidth=0.5)
    ax.set_title(f"Messages per {tl.unit} (UTC) and average sentiment")
    ax.set_ylabel("messages", color="#4c78a8")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_sent = ax.twinx()
    points = [(x0, v) for x0, v in zip(x, tl.sentiment, strict=True) if v is not None]
    if points:
        ax_sent.plot(
            [p[0] for p in points], [p[1] for p in points], color="#e45756", marker="o", markersize=3
        )
    ax_sent.set_ylim(-1, 1)
    ax_sent.axhline(0, color="#bbbbbb", linewidth=0.8)
    ax_sent.set_ylabel("sentiment (−1 to 1)", color="#e45756")


def _members_panel(ax: Axes, tl: Timeline) -> None:
    from matplotlib.ticker import MaxNLocator

    x, w = _time_axis(ax, tl)
    style: dict[str, Any] = {"width": w, "edgecolor": "white", "linewidth": 0.5}
    ax.bar(x, tl.returning_members, color="#9d9da1", label="returning", **style)
    ax.bar(x, tl.new_members, bottom=tl.returning_members, color="#b279a2", label="new", **style)
    ax.set_title(f"Active members per {tl.unit}: new vs returning")
    ax.set_ylabel("members")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize=8)


def _hours_panel(ax: Axes, per_hour: list[int]) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.bar(range(24), per_hour, color="#72b7b2")
    ax.set_title("Most active hours (UTC)")
    ax.set_xlabel("hour of day")
    ax.set_ylabel("messages")
    ax.set_xticks(range(0, 24, 3))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _courses_panel(
    ax: Axes,
    courses: list[CourseCount],
    *,
    labels: list[str],
    title: str,
    xlabel: str,
    color: str,
    empty: str,
    text_style: dict[str, Any],
) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_title(title)
    if not courses:
        ax.text(0.5, 0.5, empty, ha="center", va="center", color="#777777", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    rows = range(len(courses))
    bars = ax.barh(rows, [c.count for c in courses], color=color)
    ax.set_yticks(rows, labels, fontsize=8, **text_style)
    ax.invert_yaxis()
    ax.bar_label(bars, padding=2, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(c.count for c in courses) * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


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
