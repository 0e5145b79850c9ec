"""Fixtures for the study-buddy tests: a group with an owner, and helpers to make members talk."""

from __future__ import annotations

import pytest

from bot.testing import TestBot
from storage import db
from storage.crud import core as crud


@pytest.fixture
def owned(bot: TestBot) -> TestBot:
    """The bot in group g1 where "owner" is the group's owner."""
    from bot.dispatcher import ensure_identity

    with db.session_scope(bot.app.engine) as s:
        gid, mid, _ = ensure_identity(s, chat=bot.chat, user=bot.user("owner"))
        crud.set_role(s, group_id=gid, member_id=mid, role="owner")
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
