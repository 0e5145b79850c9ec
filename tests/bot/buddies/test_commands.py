"""/buddy and /timezone through the fake adapter: opt-in, bounds, refusals, isolation, on-demand matches."""

from __future__ import annotations

import re

from bot.testing import TestBot
from storage import db
from storage.crud import buddies as crud
from storage.crud import core as core_crud
from tests.bot.buddies.conftest import DESIGN_TALK, PYTHON_TALK


async def text_of(bot: TestBot, who: str, line: str) -> str:
    return "\n".join(r.rich.to_plain() for r in await bot.say(who, line))


async def test_join_with_topics_and_status(bot: TestBot) -> None:
    out = await text_of(bot, "ann", "/buddy join SQL, machine learning, 数据分析")
    assert "You're in" in out and "*SQL*" in out and "*数据分析*" in out
    status = await text_of(bot, "ann", "/buddy status")
    assert "Opted in on *SQL*, *machine learning*, *数据分析*" in status
    assert "Rounds: not scheduled" in status and "Your time zone: UTC" in status
    again = await text_of(bot, "ann", "/buddy join")
    assert "opted in again" in again and "*SQL*" in again  # keeps the topics it had


async def test_join_bounds_500_topics_and_10kb(bot: TestBot) -> None:
    many = " ".join(f"t{i}" for i in range(500))
    out = await text_of(bot, "ann", f"/buddy join {many}")
    assert "I kept the first 10" in out or "I read the first 400" in out
    with db.session_scope(bot.app.engine) as s:
        gid = core_crud.get_or_create_group(s, platform="test", chat_id="g1").id
        p = crud.profiles(s, group_id=gid)[0]
        assert len(p.topics) == 10
    out = await text_of(bot, "bob", "/buddy join " + "x" * 10_000)
    assert re.search(r"your text was 9,9\d\d characters; I read the first 400", out)
    assert "at most 40 characters" in out
    assert len(out) < 1000
    with db.session_scope(bot.app.engine) as s:
        assert all(len(t) <= 40 for p in crud.profiles(s, group_id=gid) for t in p.topics)


async def test_round_refused_for_non_owner(owned: TestBot) -> None:
    await owned.say("ann", "/buddy join python")
    await owned.say("ben", "/buddy join python")
    out = await text_of(owned, "ann", "/buddy round")
    assert "only group owners and admins" in out
    assert "only group owners" in await text_of(owned, "ann", "/buddy rounds weekly mon 10:00")
    with db.session_scope(owned.app.engine) as s:
        assert crud.matches(s, group_id=1) == []


async def test_round_with_zero_and_one_member(owned: TestBot) -> None:
    out = await text_of(owned, "owner", "/buddy round")
    assert "nobody has opted in" in out and "Nobody was matched" in out
    await owned.say("ann", "/buddy join python")
    replies = await owned.say("owner", "/buddy round")
    assert len(replies) == 1 and "only one member has opted in" in replies[0].rich.to_plain()
    with db.session_scope(owned.app.engine) as s:
        assert crud.matches(s, group_id=1) == []


async def test_left_paused_and_out_members_are_never_matched(owned: TestBot) -> None:
    for who in ("ann", "ben", "cat", "dan"):
        await owned.say(who, "/buddy join python")
    await owned.say("ben", "/buddy leave")
    await owned.say("cat", "/buddy pause 2")
    # dan leaves the group on the platform
    from bot.types import MembershipChange

    await owned.app.handle(
        MembershipChange(chat=owned.chat, user=owned.user("dan"), action="leave", at=owned.app.clock.now()),
        owned.adapter,
    )
    out = await text_of(owned, "owner", "/buddy round")
    assert "only one member" in out
    await owned.say("eve", "/buddy join python")
    replies = await owned.say("owner", "/buddy round")
    direct = {r.direct_to.user_id for r in replies if r.direct_to}
    assert direct == {"ann", "eve"}
    # after the pause, cat is back
    owned.app.clock.advance(weeks=2, minutes=1)
    replies = await owned.say("owner", "/buddy round")
    assert {r.direct_to.user_id for r in replies if r.direct_to} == {"ann", "eve", "cat"}
    assert "group of three" in replies[0].rich.to_plain()


async def test_odd_member_joins_a_trio(owned: TestBot) -> None:
    for who in ("ann", "ben", "cat"):
        await owned.say(who, "/buddy join python")
    replies = await owned.say("owner", "/buddy round")
    assert "3 members in 0 pairs and 1 group of three" in replies[0].rich.to_plain()
    intros = {r.direct_to.user_id: r.rich.to_plain() for r in replies if r.direct_to}
    assert set(intros) == {"ann", "ben", "cat"}
    assert "buddies this week" in intros["ann"] and "*ben*" in intros["ann"] and "*cat*" in intros["ann"]
    assert "you all study python" in intros["ann"] and "all UTC" in intros["ann"]


async def test_groups_never_see_each_other(owned: TestBot) -> None:
    other = owned.in_chat("g2", "Other group")
    for line in PYTHON_TALK:
        await owned.say("ann", line)
        await other.say("zed", line)
    await owned.say("ann", "/buddy join python")
    await other.say("zed", "/buddy join python")
    out = await text_of(owned, "owner", "/buddy round")
    assert "only one member" in out  # zed is in g2 only
    await other.say("yan", "/buddy join python")
    assert "waiting list" in await text_of(other, "zed", "/buddy me")
    found = await other.say("yan", "/buddy me")
    assert {r.direct_to.user_id for r in found if r.direct_to} == {"zed", "yan"}
    assert all("ann" not in r.rich.to_plain() for r in found)


async def test_buddy_me_waits_then_matches(bot: TestBot) -> None:
    for line in DESIGN_TALK:
        await bot.say("cat", line)
        await bot.say("dan", line)
    await bot.say("cat", "/buddy join design")
    await bot.say("dan", "/buddy join design")
    first = await text_of(bot, "cat", "/buddy me")
    assert "waiting list" in first
    assert "Waiting for a partner" in await text_of(bot, "cat", "/buddy status")
    replies = await bot.say("dan", "/buddy me")
    assert "Found you a buddy: *cat*" in replies[0].rich.to_plain()
    intros = {r.direct_to.user_id: r.rich.to_plain() for r in replies if r.direct_to}
    assert set(intros) == {"cat", "dan"} and "design" in intros["cat"].lower()
    status = await text_of(bot, "cat", "/buddy status")
    assert "Waiting" not in status and "Last buddy: *dan*" in status


async def test_buddy_me_needs_opt_in(bot: TestBot) -> None:
    assert "Join buddy matching first" in await text_of(bot, "ann", "/buddy me")


async def test_pause_bad_input(bot: TestBot) -> None:
    await bot.say("ann", "/buddy join python")
    assert "not a number of weeks" in await text_of(bot, "ann", "/buddy pause soon")
    assert "1 to 52 weeks" in await text_of(bot, "ann", "/buddy pause 99")
    out = await text_of(bot, "ann", "/buddy pause 1")
    assert "Paused for 1 week: no matches until *Fri 04 Dec 12:00 (UTC)*" in out
    assert "I don't know /buddy" in await text_of(bot, "ann", "/buddy dance")


async def test_timezone_set_city_and_suggestions(bot: TestBot) -> None:
    out = await text_of(bot, "ann", "/timezone Europe/Berlin")
    assert "Time zone set to *Europe/Berlin* (UTC+1)" in out and "13:00" in out
    assert "Asia/Shanghai" in await text_of(bot, "ann", "/timezone beijing")
    assert "*America/New_York*" in await text_of(bot, "ann", "/timezone New York")
    out = await text_of(bot, "ann", "/timezone UTC+8")
    # stored as Etc/GMT-8, shown as UTC+8
    assert "Time zone set to *UTC+8*;" in out and "Etc/GMT-8" not in out
    out = await text_of(bot, "ann", "/timezone Berlinn")
    assert "I don't know the time zone *Berlinn*" in out and "`Europe/Berlin`" in out
    out = await text_of(bot, "ann", "/timezone " + "<b>x</b>" * 200)
    assert "I don't know" in out and len(out) < 600
    status = await text_of(bot, "ann", "/buddy status")
    assert "Your time zone: UTC+8." in status


class _FakeRecommender:
    """Stands in for community.recommendations.RecommendationService: everyone's best pick is one course."""

    def __init__(self, course_id: int, personalised: bool = True) -> None:
        self.course_id, self.personalised = course_id, personalised

    def recommend(self, s, *, group_id: int, member_id: int, n: int):  # type: ignore[no-untyped-def]
        from types import SimpleNamespace

        from storage.crud import courses as course_crud

        picks = [
            SimpleNamespace(course=course_crud.get_course(s, course_id=cid), score=0.9, reason="")
            for cid in (self.course_id, 1)
        ]
        return picks[:n], self.personalised


async def test_first_step_uses_the_recommender_when_running(owned: TestBot, catalog: int) -> None:
    from storage.crud import courses as course_crud

    with db.session_scope(owned.app.engine) as s:
        target = next(c for c in course_crud.list_courses(s) if c.external_id == "sql-201")
    owned.app.services.buddies.recommender = _FakeRecommender(target.id or 0)
    await owned.say("ann", "/buddy join python")
    await owned.say("ben", "/buddy join python")
    replies = await owned.say("owner", "/buddy round")
    intro = next(r for r in replies if r.direct_to).rich.to_plain()
    assert f"First step: take *{target.title}* together (`/course {target.id}`)" in intro


async def test_first_step_falls_back_to_catalogue_search(owned: TestBot, catalog: int) -> None:
    owned.app.services.buddies.recommender = _FakeRecommender(
        1, personalised=False
    )  # only popular picks: not used
    await owned.say("ann", "/buddy join Figma")
    await owned.say("ben", "/buddy join figma")
    replies = await owned.say("owner", "/buddy round")
    intro = next(r for r in replies if r.direct_to).rich.to_plain()
    assert "First step: take *Figma from Scratch* together" in intro and "you both study Figma" in intro


async def _three_python_members(bot: TestBot) -> None:
    for who in ("ann", "ben", "cat"):
        for line in PYTHON_TALK:
            await bot.say(who, line)
        await bot.say(who, "/buddy join python")


async def test_buddy_me_falls_back_to_a_recent_partner(bot: TestBot) -> None:
    await _three_python_members(bot)
    await bot.say("ann", "/buddy me")
    first = await bot.say("ben", "/buddy me")
    assert "Found you a buddy: *ann*" in first[0].rich.to_plain()
    await bot.say("ann", "/buddy me")
    again = await bot.say("ben", "/buddy me")  # only ann waits: a repeat, and the message says so
    assert "Found you a buddy: *ann*" in again[0].rich.to_plain()
    assert "matched recently" in next(r for r in again if r.direct_to).rich.to_plain()


async def test_buddy_me_picks_a_new_partner_over_a_recent_one(bot: TestBot) -> None:
    from sqlmodel import select

    from storage.models import BuddyProfile, Member

    await _three_python_members(bot)
    await bot.say("ann", "/buddy me")
    await bot.say("ben", "/buddy me")  # ann + ben
    with db.session_scope(bot.app.engine) as s:  # ben and cat both wait now
        waiting = {m.id for m in s.exec(select(Member)) if m.display_name in ("ben", "cat")}
        for p in s.exec(select(BuddyProfile)):
            if p.member_id in waiting:
                p.waiting_since = bot.app.clock.now()
                s.add(p)
    found = await bot.say("ann", "/buddy me")
    assert "Found you a buddy: *cat*" in found[0].rich.to_plain()
