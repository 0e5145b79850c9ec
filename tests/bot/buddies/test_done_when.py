"""The issue's done-when: two Python and two design members are paired by topic, then new members arrive and
later rounds never repeat a pair."""

from __future__ import annotations

from bot.testing import TestBot
from tests.bot.buddies.conftest import DESIGN_TALK, PYTHON_TALK


def _pairs_from(replies) -> dict[str, str]:
    """member user id -> the intro text sent to them directly."""
    return {r.direct_to.user_id: r.rich.to_plain() for r in replies if r.direct_to is not None}


async def _talk(bot: TestBot, who: str, lines: list[str]) -> None:
    for line in lines:
        await bot.say(who, line)


async def test_python_and_design_pairs_then_no_repeats(owned: TestBot, catalog: int, backend: str) -> None:
    bot = owned
    for who in ("ann", "ben"):
        await _talk(bot, who, PYTHON_TALK)
    for who in ("cat", "dan"):
        await _talk(bot, who, DESIGN_TALK)
    for who in ("ann", "ben", "cat", "dan"):
        text = "\n".join(r.rich.to_plain() for r in await bot.say(who, "/buddy join"))
        assert "You're in" in text

    replies = await bot.say("owner", "/buddy round")
    summary = replies[0].rich.to_plain()
    assert "4 members in 2 pairs" in summary
    intros = _pairs_from(replies)
    assert set(intros) == {"ann", "ben", "cat", "dan"}
    assert "*ben*" in intros["ann"] and "*ann*" in intros["ben"]
    assert "*dan*" in intros["cat"] and "*cat*" in intros["dan"]
    assert "study Python" in intros["ann"]
    assert "study" in intros["cat"] and ("Figma" in intros["cat"] or "design" in intros["cat"])
    assert "active in the" in intros["ann"] and "both UTC" in intros["ann"]
    assert "First step: take *" in intros["ann"] and "Python" in intros["ann"].split("First step")[1]
    assert "First step: take *" in intros["cat"]

    first_pairs = {frozenset({"ann", "ben"}), frozenset({"cat", "dan"})}
    await _talk(bot, "eve", PYTHON_TALK)
    await _talk(bot, "fay", DESIGN_TALK)
    await bot.say("eve", "/buddy join Python")
    await bot.say("fay", "/buddy join design")
    seen: set[frozenset[str]] = set()
    for _ in range(2):
        replies = await bot.say("owner", "/buddy round")
        assert "6 members in 3 pairs" in replies[0].rich.to_plain()
        intros = _pairs_from(replies)
        assert len(intros) == 6
        pairs = set()
        for who, text in intros.items():
            partner = next(o for o in intros if o != who and f"*{o}*" in text.split("\n")[0])
            pairs.add(frozenset({who, partner}))
        assert len(pairs) == 3
        assert not pairs & first_pairs, pairs
        assert not pairs & seen, pairs
        seen |= pairs
