"""Chart labels: CJK course titles are drawn only with a CJK font, else named by number (never as boxes)."""

from __future__ import annotations

import pytest

from community import stats


def test_cjk_titles_fall_back_to_course_numbers_without_a_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stats, "cjk_font", lambda: None)
    assert stats.chart_label("Python 编程入门", 13) == "course #13"
    assert stats.chart_label("SQL Basics", 14) == "SQL Basics"
    assert stats.chart_label("学习群") == "???"


def test_cjk_titles_kept_with_a_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stats, "cjk_font", lambda: "Noto Sans CJK SC")
    assert stats.chart_label("Python 编程入门", 13) == "Python 编程入门"
