"""Chart labels: CJK course titles are drawn only with a CJK font, else named by number (never as boxes)."""

from __future__ import annotations

import pytest

from community.signals import chart


def test_cjk_titles_fall_back_to_course_numbers_without_a_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chart, "cjk_font", lambda: None)
    assert chart.chart_label("Python 编程入门", 13) == "course #13"
    assert chart.chart_label("SQL Basics", 14) == "SQL Basics"
    assert chart.chart_label("学习群") == "???"


def test_cjk_titles_kept_with_a_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chart, "cjk_font", lambda: "Noto Sans CJK SC")
    assert chart.chart_label("Python 编程入门", 13) == "Python 编程入门"
