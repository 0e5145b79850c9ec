"""/stats chart: Chinese titles drawn with the shipped font, separate panels per unit, an x-axis that spans the data."""

from __future__ import annotations

import dataclasses
import fnmatch
import tomllib
import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest
from matplotlib.axes import Axes
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from bot.testing import TestBot
from common.clock import FakeClock
from community.signals import chart
from community.signals.stats import CourseCount, GroupStats, group_stats
from storage import db
from tests.helpers import ids

ROOT = Path(__file__).resolve().parents[3]


def stats_of(bot: TestBot, days: int = 30) -> GroupStats:
    group_id, _ = ids(bot, "olivia")
    with db.session_scope(bot.app.engine) as s:
        return group_stats(s, group_id=group_id, now=bot.app.clock.now(), days=days)


def axes(fig: Figure) -> dict[str, Axes]:
    return {str(ax.get_label()): ax for ax in fig.axes if ax.get_label()}


def bars(ax: Axes) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def texts(fig: Figure) -> list[str]:
    """Every string drawn on the figure (titles, tick labels, annotations)."""
    return [t.get_text() for t in fig.findobj(Text) if isinstance(t, Text)]


CHINESE = [CourseCount(13, "Python 编程入门", 4), CourseCount(14, "数据分析：从零开始（第二版）", 2)]
CHINESE_RATED = [CourseCount(15, "机器学习实战", 3, 4.5)]


def test_chinese_titles_are_drawn_with_the_shipped_font() -> None:
    # No CJK font is installed on this machine or in CI: the titles must not become "course #13".
    assert chart.chart_label("Python 编程入门", 13) == "Python 编程入门"
    assert chart.chart_label("数据分析：从零开始（第二版）", 14) == "数据分析：从零开始（第二版）"
    assert chart.chart_label("学习群「周末」") == "学习群「周末」"


async def test_chart_with_chinese_titles_has_no_missing_glyph_and_no_substitution(bot: TestBot) -> None:
    st = dataclasses.replace(stats_of(bot), top_discussed=CHINESE, top_rated=CHINESE_RATED)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for each box
        fig = chart.build_figure(st, title="学习群: last 30 days")
        png = chart.figure_png(fig)
    drawn = "\n".join(texts(fig))
    assert "course #" not in drawn
    for title in ("Python 编程入门", "数据分析：从零开始（第二…", "机器学习实战", "学习群: last 30 days"):
        assert title in drawn
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_characters_no_font_has_are_never_drawn_as_boxes() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert chart.chart_label("🐍 Python 101", 3) == "Python 101"  # a symbol without a glyph is dropped
        assert chart.chart_label("한국어 기초", 4) == "course #4"  # letters without a glyph: name by number
        assert chart.chart_label("Ελληνικά", 5) == "Ελληνικά"  # DejaVu draws Greek


def test_the_font_and_its_licence_ship_with_the_package() -> None:
    fonts = ROOT / "community" / "signals" / "fonts"
    shipped = sorted(p.name for p in fonts.iterdir() if p.suffix in (".otf", ".ttf", ".txt"))
    assert shipped == ["CohortCJKSansSC-Regular.otf", "OFL.txt"]
    assert (fonts / "CohortCJKSansSC-Regular.otf").stat().st_size <= 3_000_000
    assert "SIL OPEN FONT LICENSE Version 1.1" in (fonts / "OFL.txt").read_text(encoding="utf-8")
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    for name in shipped:
        assert any(fnmatch.fnmatch(name, p) for p in patterns), name


@pytest.mark.parametrize("title", ["$\\frac{$ price: $5 and $10", "a_b^c $x$", "\\n{}%"])
async def test_odd_titles_are_drawn_as_text(bot: TestBot, title: str) -> None:
    st = dataclasses.replace(stats_of(bot), top_discussed=[CourseCount(1, title, 2)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = chart.build_figure(st, title=title)
        chart.figure_png(fig)
    # the chat's title and a course title, drawn as typed (mathtext would have dropped the $ and braces)
    assert fig.get_suptitle() == title
    assert [t.get_text() for t in axes(fig)["discussed"].get_yticklabels()] == [title]


async def test_mentions_and_ratings_are_never_on_one_axis(bot: TestBot) -> None:
    st = dataclasses.replace(
        stats_of(bot),
        top_discussed=[CourseCount(1, "Python", 10), CourseCount(2, "SQL", 3)],
        top_rated=[CourseCount(3, "Git", 2, 4.5)],
    )
    ax = axes(chart.build_figure(st))
    discussed, rated = ax["discussed"], ax["rated"]
    assert [b.get_width() for b in bars(discussed)] == [10, 3]
    assert [b.get_width() for b in bars(rated)] == [2]
    assert "mention" in discussed.get_xlabel() and "rating" in rated.get_xlabel()
    assert [t.get_text() for t in rated.get_yticklabels()] == ["Git ★4.5"]
    assert [t.get_text() for t in discussed.get_yticklabels()] == ["Python", "SQL"]
    assert "rated" not in discussed.get_title().lower() and "discussed" not in rated.get_title().lower()


async def test_empty_course_panels_say_so(bot: TestBot) -> None:
    ax = axes(chart.build_figure(stats_of(bot)))
    assert not bars(ax["discussed"]) and not bars(ax["rated"])
    assert "no course mentions" in " ".join(t.get_text() for t in ax["discussed"].texts)
    assert "no ratings" in " ".join(t.get_text() for t in ax["rated"].texts)


def xspan(ax: Axes) -> tuple[float, float]:
    lo, hi = ax.get_xlim()
    return float(lo), float(hi)


async def test_a_long_view_spans_the_data_not_the_whole_year(bot: TestBot, clock: FakeClock) -> None:
    now = clock.now()
    for days_ago in (20, 10, 0):
        await bot.say("alice", f"hello {days_ago}", at=now - timedelta(days=days_ago))
    st = stats_of(bot, days=365)
    first = (now - timedelta(days=20)).date()
    assert st.timeline.unit == "day"
    assert st.timeline.starts[0] == first and len(st.timeline.starts) == 21
    ax = axes(chart.build_figure(st))
    for name in ("messages", "members"):
        assert xspan(ax[name]) == (date2num(first), date2num(now.date() + timedelta(days=1)))
    heights = [b.get_height() for b in bars(ax["messages"])]
    assert len(heights) == 21 and sum(heights) == 3
    centres = {b.get_x() + b.get_width() / 2 for b in bars(ax["messages"])}
    assert set(ax["messages"].get_xticks()) <= centres  # a tick names the day of the bar above it


async def test_a_year_of_data_is_binned_by_week(bot: TestBot, clock: FakeClock) -> None:
    now = clock.now()
    for days_ago in (300, 200, 100, 8, 1):
        await bot.say("alice", f"hello {days_ago}", at=now - timedelta(days=days_ago))
    await bot.say("bob", "first time here", at=now - timedelta(days=1))
    st = stats_of(bot, days=365)
    tl = st.timeline
    assert tl.unit == "week"
    first = (now - timedelta(days=300)).date()
    assert tl.starts[0] == first and tl.ends[-1] == now.date() + timedelta(days=1)
    assert all(s.weekday() == 0 for s in tl.starts[1:])  # weeks start on Monday
    assert all(0 < (e - s).days <= 7 for s, e in zip(tl.starts, tl.ends, strict=True))
    assert len(tl.starts) <= 45 and sum(tl.messages) == st.total_messages == 6
    last = tl.starts.index(max(s for s in tl.starts if s <= now.date() - timedelta(days=1)))
    assert (tl.messages[last], tl.new_members[last], tl.returning_members[last]) == (2, 1, 1)
    assert sum(tl.new_members) == 2  # alice is new only in her first week
    ax = axes(chart.build_figure(st))
    assert xspan(ax["messages"]) == (date2num(first), date2num(tl.ends[-1]))
    widths = [b.get_width() for b in bars(ax["messages"])]
    assert len(widths) == len(tl.starts) and max(widths) == 7
    assert "week" in ax["messages"].get_title().lower()


async def test_a_short_quiet_view_still_shows_a_week(bot: TestBot, clock: FakeClock) -> None:
    now = clock.now()
    await bot.say("alice", "hello", at=now - timedelta(hours=1))
    tl = stats_of(bot, days=30).timeline
    assert tl.unit == "day" and tl.starts[0] == now.date() - timedelta(days=6) and len(tl.starts) == 7
    assert stats_of(bot, days=1).timeline.starts == [now.date()]  # never before the window
    assert isinstance(tl.starts[0], date)
