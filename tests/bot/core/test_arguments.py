"""Argument text is cleaned in one place (the dispatcher): every Unicode space separates words, invisible format
characters vanish, and no error reply shows a Python escape of what a member typed."""

from __future__ import annotations

import re

import pytest

from bot.app import CohortApp
from bot.dispatcher import Context, command_args, no_escapes
from bot.testing import TestBot
from common.errors import UsageError, UserError
from tests.helpers import make_owner

SPACES = ["\u00a0", "\u3000", "\u2002", "\u2003", "\u2009", "\u202f", "\u205f", "\u1680", "\t"]
ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{)")


@pytest.mark.parametrize("space", SPACES)
def test_every_unicode_space_separator_becomes_an_ascii_space(space: str) -> None:
    assert command_args(f"timezone{space}Asia/Tokyo") == "timezone Asia/Tokyo"


def test_invisible_characters_are_dropped_and_line_separators_kept_as_lines() -> None:
    assert command_args("\u20603\ufeff") == "3"
    assert command_args("a\u00adb\u2028c\u2029d") == "ab\nc\nd"
    assert command_args("πάνω 数据 😀 | x") == "πάνω 数据 😀 | x"  # everything else untouched


@pytest.fixture
def echo(app: CohortApp) -> None:
    @app.dispatcher.command("echo", help="the words it got", usage="/echo WORDS")
    async def echo_cmd(ctx: Context) -> str:
        first, _, rest = ctx.arg_text.partition(" ")  # what handlers do: split on an ASCII space
        return f"[{first}] [{rest}]"

    @app.dispatcher.command("oops", help="a careless handler", usage="/oops X")
    async def oops(ctx: Context) -> str:
        first, _, rest = ctx.arg_text.partition(" ")
        if first == "usage":
            raise UsageError(f"{rest!r} is not a number.")
        raise UserError(f"{ctx.arg_text!r} is not a course number.")


async def test_handlers_see_ascii_spaces_between_words(bot: TestBot, echo: None) -> None:
    for space in SPACES:
        assert await bot.text("alice", f"/echo add{space}Study hall") == "[add] [Study hall]"
    assert await bot.text("alice", "/echo\u00a0add\u3000x") == "[add] [x]"


async def test_settings_name_and_value_split_on_a_no_break_or_ideographic_space(bot: TestBot) -> None:
    make_owner(bot, "olga")
    for space in ("\u00a0", "\u3000"):
        out = await bot.text("olga", f"/settings timezone{space}Asia/Tokyo")
        assert "time zone is now" in out and "no setting" not in out, out


async def test_a_word_joiner_is_not_part_of_a_command_or_a_number(bot: TestBot, catalog: int) -> None:
    """The issue: "'\\u2060' is not a course number." An invisible character is no argument at all."""
    assert "Usage: `/course ID`" in await bot.text("alice", "/course \u2060")
    assert "#3 *Async Python" in await bot.text("alice", "/course \u20603")
    assert "#3 *Async Python" in await bot.text("alice", "/course\u2060 3")


async def test_error_replies_never_show_a_python_escape(bot: TestBot, echo: None) -> None:
    for odd in ("\ue000", "\u00ad\U000e0001", "\x85", "\U0010fffd", "a\u0378b"):
        for text in (f"/oops {odd}", f"/oops usage {odd}"):
            out = await bot.text("alice", text)
            assert "is not a" in out and not ESCAPE.search(out), (text, out)


def test_no_escapes_keeps_ordinary_text() -> None:
    assert no_escapes("There is no course #3 (try /courses).") == "There is no course #3 (try /courses)."
    assert no_escapes(repr("\ue000") + " is odd") == "'\N{REPLACEMENT CHARACTER}' is odd"
    assert no_escapes("C:\\\\new") == "C:\\\\new"
