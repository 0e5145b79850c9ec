"""Fixtures for the study-buddy tests: a group with an owner, and helpers to make members talk."""

from __future__ import annotations

import pytest

from bot.testing import TestBot


@pytest.fixture
def owned(bot: TestBot) -> TestBot:
    """The bot in group g1 where "owner" is the group's owner."""
    bot.app.grant_role(bot.chat, bot.user("owner"), "owner")
    return bot


PYTHON_TALK = [
    "I'm learning Python: list comprehensions, decorators and pytest fixtures",
    "Anyone debugging Python async code? asyncio tasks and pandas dataframes",
    "Python type hints and virtualenv packaging took me all evening",
]
DESIGN_TALK = [
    "Working on UI design in Figma: typography, colour palettes and layout grids",
    "Design critique of my portfolio: visual hierarchy, spacing and illustration",
    "Sketching wireframes and prototypes for a UX design class, Figma components",
]
