"""How every kind of reason reads in chat (the domain returns the reason as data; the bot words it)."""

from __future__ import annotations

import pytest

from bot.commands.recommend import render_reason
from community.recommendations.reasons import (
    CloseToYourMessages,
    FreeStart,
    GoodFit,
    NewCourseCloseTo,
    PopularInGroup,
    PopularWithMembers,
    Reason,
    YouRated,
    YouShowedInterest,
)


@pytest.mark.parametrize(
    "reason,text",
    [
        (GoodFit(), "a good fit for what you study"),
        (NewCourseCloseTo("SQL Basics"), "new course close to *SQL Basics*"),
        (YouRated("SQL Basics", 4.0), "because you rated *SQL Basics* 4"),
        (YouRated("SQL Basics", 4.5), "because you rated *SQL Basics* 4.5"),
        (YouShowedInterest("SQL Basics"), "because you showed interest in *SQL Basics*"),
        (CloseToYourMessages(), "close to what you discuss here"),
        (PopularWithMembers(), "popular with members"),
        (PopularInGroup(4.25, 3), "popular in this group: 4.2/5 from 3"),
        (FreeStart(), "a free place to start"),
    ],
)
def test_every_reason_has_its_words(reason: Reason, text: str) -> None:
    assert render_reason(reason).to_plain() == text
