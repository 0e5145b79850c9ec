"""Odd input to the course commands: queries with nothing to search by, long queries, plurals, and every number
(typed or carried by a button) read by one parser, never echoed as a Python escape (issue 11, items 5 and 14)."""

from __future__ import annotations

import re

import pytest

from bot.testing import TestBot

# A course line of a result list: "#12 *Title* — level, price".
COURSE_LINE = re.compile(r"^#\d+ ", re.MULTILINE)
PY_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\U[0-9a-fA-F]{8}")


def assert_plain(text: str) -> None:
    assert not PY_ESCAPE.search(text), text
    assert "'" not in text.split(" is not a ")[0][-3:], text  # no repr() quotes around echoed input


@pytest.mark.parametrize("query", ["%", "|||", "…", "\U000e0041", "- - -"])
async def test_a_query_with_nothing_to_search_by_lists_nothing(
    bot: TestBot, catalog: int, query: str
) -> None:
    replies = await bot.say("alice", f"/courses {query}")
    text = replies[0].rich.to_plain()
    assert "nothing to search for" in text and "/courses" in text, text
    assert not COURSE_LINE.search(text) and "match" not in text
    assert not replies[0].flat_buttons
    assert_plain(text)
    pressed = (await bot.press("alice", f"courses:0:{query}"))[0].rich.to_plain()
    assert "nothing to search for" in pressed and not COURSE_LINE.search(pressed)


async def test_plain_courses_still_lists_the_catalogue(bot: TestBot, catalog: int) -> None:
    assert f"All {catalog} courses" in await bot.text("alice", "/courses")


async def test_one_match_is_singular(bot: TestBot, catalog: int) -> None:
    text = await bot.text("alice", "/courses rust")
    assert text.startswith("1 course matches *rust*:"), text
    many = await bot.text("alice", "/courses sql")
    assert re.match(r"\d+ courses match \*sql\*", many), many


async def test_a_long_query_is_cut_on_a_word_boundary_with_an_ellipsis(bot: TestBot, catalog: int) -> None:
    words = " ".join(["python"] + [f"word{i:03d}" for i in range(40)])
    text = await bot.text("alice", f"/courses {words}")
    shown = re.search(r"\*(.+?)\*", text)
    assert shown is not None, text
    echoed = shown.group(1)
    assert echoed.endswith("…") and len(echoed) <= 100
    assert words.startswith(echoed[:-1]) and words[len(echoed) - 1] == " ", echoed  # whole words only


async def test_a_long_query_pages_by_whole_words(bot: TestBot, catalog: int) -> None:
    query = "data python designs english for beginners machine learning statistics"
    assert not query[48].isspace()  # a cut at Telegram's payload limit falls inside "machine"
    replies = await bot.say("alice", f"/courses {query}")
    more = [b for b in replies[0].flat_buttons if b.label.startswith("More")]
    assert more
    carried = more[0].payload.split(":", 2)[2]
    assert len(more[0].payload.encode()) <= 64 and query.startswith(carried)
    assert query[len(carried)] == " ", carried


@pytest.mark.parametrize(
    "command,expected",
    [
        ("/course ²", "is not a course number"),
        ("/course #²", "is not a course number"),
        ("/course \U000e0041", "is not a course number"),
        ("/course ３", "is not a course number"),  # a full-width digit is not an ASCII number
        ("/course 99999999999999999999999999999999999999", "There is no course #"),
        ("/rate ² 5", "is not a course number"),
        ("/rate 3 ²", "is not a whole number from 1 to 5"),
        ("/rate 3 99999999999", "A rating is from 1 to 5, not 99999999999"),
        ("/rate 99999999999999999999999999999999999999 4", "There is no course #"),
        ("/similar ²", "is not a course number"),
        ("/similar 99999999999999999999999999999999999999", "There is no course #"),
        ("/recommend ²", "Usage: `/recommend [1-10]`"),
        ("/recommend 99999999999", "not 99999999999"),
        ("/recommend 0", "not 0"),
    ],
)
async def test_every_number_is_read_by_one_parser(
    bot: TestBot, catalog: int, command: str, expected: str
) -> None:
    text = await bot.text("alice", command)
    assert expected in text, text
    assert_plain(text)


async def test_the_echo_of_an_invisible_character_is_not_a_python_escape(bot: TestBot, catalog: int) -> None:
    text = await bot.text("alice", "/course \U000e0041")
    assert "\\U000e0041" not in text and "'" not in text and "\N{REPLACEMENT CHARACTER}" in text


async def test_leading_zeros_are_the_number_they_spell(bot: TestBot, catalog: int) -> None:
    replies = await bot.say("alice", "/recommend 0000003")
    assert len([b for b in replies[0].flat_buttons if b.payload.startswith("rec:i:")]) == 3
    assert "*SQL Basics*" in await bot.text("alice", "/course 0014")


@pytest.mark.parametrize(
    "payload",
    [
        "courses:²:python",
        "courses:99999999999999999999999999999999999999:python",
        "courses:-1:python",
        "rec:i:²",
        "rec:n:²",
        "rec:i:" + "9" * 40,
        "rec:n:" + "9" * 40,
        "rec:i:",
        "rec:i:0",
    ],
)
async def test_button_payloads_with_odd_numbers_expire_politely(
    bot: TestBot, catalog: int, payload: str
) -> None:
    text = (await bot.press("alice", payload))[0].rich.to_plain()
    assert "expired" in text or "no longer in the catalogue" in text, text
    assert_plain(text)
