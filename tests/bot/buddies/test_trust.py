"""Issue 11 for study buddies: opted-out members and buddy state agree (/buddy status, join, me, rounds, /me),
/forget of one member keeps the others' side of a match, reasons are faithful, a large round's summary fits one
message, and numbers in /buddy and its buttons are read by one parser."""

from __future__ import annotations

from bot.commands import buddies as buddy_jobs
from bot.testing import TestBot
from bot.types import Reply
from storage import db
from storage.crud import buddies as crud
from storage.models import BuddyMatch
from tests.bot.buddies.conftest import PYTHON_TALK
from tests.helpers import ids

DISCORD_LIMIT = 2000


def plain(replies: list[Reply]) -> str:
    return "\n".join(r.rich.to_plain() for r in replies)


def intros(replies: list[Reply]) -> dict[str, str]:
    return {r.direct_to.user_id: r.rich.to_plain() for r in replies if r.direct_to is not None}


async def forget(bot: TestBot, who: str) -> None:
    yes = (await bot.say(who, "/forget"))[0].flat_buttons[0]
    done = plain(await bot.press(who, yes.payload))
    assert done.startswith("Forgotten"), done


# ---- item 10: opted out -----------------------------------------------------------------------------------------
async def test_an_opted_out_member_is_told_plainly_that_matching_needs_optin(owned: TestBot) -> None:
    bot = owned
    for who in ("ann", "ben", "cat"):
        await bot.say(who, "/buddy join python")
    assert "waiting list" in await bot.text("ann", "/buddy me")
    await bot.say("ann", "/optout")

    status = await bot.text("ann", "/buddy status")
    assert "Opted in" not in status
    assert "opted out" in status and "/optin" in status

    joined = await bot.text("ann", "/buddy join python")
    assert "opted in again" not in joined and "/buddy me asks for a partner now" not in joined
    assert "opted out" in joined and "/optin" in joined

    me = await bot.text("ann", "/buddy me")
    assert "Join buddy matching first" not in me
    assert "opted out" in me and "/optin" in me

    # nobody is matched with her: not in a round, not on demand while she waits
    assert "waiting list" in await bot.text("ben", "/buddy me")
    round_ = await bot.say("owner", "/buddy round")
    assert set(intros(round_)) == {"ben", "cat"}
    assert "Study buddy: off while you're opted out" in await bot.text("ann", "/me")

    # /optin brings her back as she was
    await bot.say("ann", "/optin")
    assert "Opted in on *python*" in await bot.text("ann", "/buddy status")
    assert set(intros(await bot.say("owner", "/buddy round"))) == {"ann", "ben", "cat"}


async def test_an_opted_out_newcomer_cannot_join_and_is_told_why(bot: TestBot) -> None:
    await bot.say("zoe", "/optout")
    out = await bot.text("zoe", "/buddy join design")
    assert "You're in" not in out and "/optin" in out
    with db.session_scope(bot.app.engine) as s:
        group_id, zoe = ids(bot, "zoe")
        assert crud.get_profile(s, group_id=group_id, member_id=zoe) is None


async def test_me_and_buddy_status_tell_the_same_state(owned: TestBot) -> None:
    bot = owned
    for who in ("ann", "ben"):
        await bot.say(who, "/buddy join python")
    assert "Study buddy: looking for a buddy" in await bot.text("ann", "/me")
    await bot.say("owner", "/buddy round")
    status = await bot.text("ann", "/buddy status")
    me = await bot.text("ann", "/me")
    assert "Last buddy: *ben*" in status
    assert "looking for a buddy" not in me
    assert "Study buddy: matched with *ben*" in me
    await bot.say("ann", "/buddy me")
    assert "Waiting for a partner" in await bot.text("ann", "/buddy status")
    assert "Study buddy: waiting for a partner" in await bot.text("ann", "/me")
    await bot.say("ann", "/buddy pause 2")
    assert "Study buddy: paused until" in await bot.text("ann", "/me")
    await bot.say("ann", "/buddy leave")
    assert "Study buddy: not active" in await bot.text("ann", "/me")


# ---- item 11: /forget keeps the others' side of a match ------------------------------------------------------------
async def test_forget_keeps_the_partners_side_of_a_pair_anonymised(owned: TestBot, backend: str) -> None:
    bot = owned
    for who in ("ann", "ben"):
        await bot.say(who, "/buddy join python")
    await bot.say("owner", "/buddy round")
    group_id, ann = ids(bot, "ann")
    await forget(bot, "ann")

    status = await bot.text("ben", "/buddy status")
    assert "Last buddy: a former member" in status and "ann" not in status
    with db.session_scope(bot.app.engine) as s:
        (match,) = crud.matches(s, group_id=group_id)
        assert ann not in match.member_ids and "ann" not in match.reason

    bot.app.clock.advance(days=7, minutes=1)
    before = len(bot.adapter.sent)
    assert await buddy_jobs.poll_checkins(bot.app.services) == 1  # ben's check-in is still asked
    ask = bot.adapter.sent[before]
    assert ask.direct_to is not None and ask.direct_to.user_id == "ben"
    assert "did you meet a former member" in ask.rich.to_plain() and "ann" not in ask.rich.to_plain()
    assert "glad you met" in plain(await bot.press("ben", ask.flat_buttons[0].payload))


async def test_forget_keeps_the_rest_of_a_trio_and_their_repeat_avoidance(owned: TestBot) -> None:
    bot = owned
    for who in ("ann", "ben", "cat"):
        await bot.say(who, "/buddy join python")
    await bot.say("owner", "/buddy round")  # ann, ben and cat in a group of three
    group_id, ann = ids(bot, "ann")
    await forget(bot, "ann")

    assert "Last buddy: *cat*" in await bot.text("ben", "/buddy status")
    assert "Last buddy: *ben*" in await bot.text("cat", "/buddy status")
    with db.session_scope(bot.app.engine) as s:
        (match,) = crud.matches(s, group_id=group_id)
        assert sorted(match.member_ids) == sorted([ids(bot, "ben")[1], ids(bot, "cat")[1]])
        assert len(crud.checkins(s, group_id=group_id)) == 2

    # ben and cat were just matched: with dan and eve to choose from, the round pairs them with someone new
    for who in ("dan", "eve"):
        await bot.say(who, "/buddy join python")
    pairs = intros(await bot.say("owner", "/buddy round"))
    assert "*cat*" not in pairs["ben"].split("\n")[0]


async def test_forget_of_every_member_of_a_match_removes_it(owned: TestBot) -> None:
    bot = owned
    for who in ("ann", "ben"):
        await bot.say(who, "/buddy join python")
    await bot.say("owner", "/buddy round")
    group_id, _ = ids(bot, "ann")
    await forget(bot, "ann")
    await forget(bot, "ben")
    with db.session_scope(bot.app.engine) as s:
        assert s.get(BuddyMatch, 1) is None
        assert crud.checkins(s, group_id=group_id) == []


# ---- item 14: faithful reasons, a round summary that fits, numbers ---------------------------------------------------
async def test_reasons_claim_hours_only_for_members_who_wrote(owned: TestBot) -> None:
    bot = owned
    for who in ("ann", "ben"):
        await bot.say(who, "/buddy join SQL")
    silent = intros(await bot.say("owner", "/buddy round"))
    assert "you both study SQL" in silent["ann"]
    assert "active in" not in silent["ann"] and "active hours" not in silent["ann"]

    for who in ("cat", "dan"):
        for line in PYTHON_TALK:
            await bot.say(who, line)
        await bot.say(who, "/buddy join python")
    await bot.say("ann", "/buddy leave")
    await bot.say("ben", "/buddy leave")
    talkative = intros(await bot.say("owner", "/buddy round"))
    assert "study python" in talkative["cat"].lower() and "active in the" in talkative["cat"]


async def test_a_trio_reason_names_the_topic_two_of_them_share(owned: TestBot) -> None:
    bot = owned
    await bot.say("ann", "/buddy join python")
    await bot.say("ben", "/buddy join python")
    await bot.say("cat", "/buddy join knitting")
    out = intros(await bot.say("owner", "/buddy round"))
    assert "ann and ben both study python" in out["cat"]


async def test_a_round_of_120_members_fits_one_message_on_every_platform(owned: TestBot) -> None:
    bot = owned
    for i in range(120):
        await bot.say(f"member-with-a-long-display-name-{i:03d}", "/buddy join python")
    summary = (await bot.say("owner", "/buddy round"))[0]
    assert summary.direct_to is None
    assert "120 members in 60 pairs" in summary.rich.to_plain()
    for rendered in (summary.rich.to_plain(), summary.rich.to_markdown(), summary.rich.to_html()):
        assert len(rendered) <= DISCORD_LIMIT, len(rendered)
    assert "more pairs" in summary.rich.to_plain()


async def test_numbers_in_buddy_commands_and_buttons(owned: TestBot, backend: str) -> None:
    bot = owned
    await bot.say("ann", "/buddy join python")
    for line in ("/buddy pause ²", "/buddy pause ٣", "/buddy pause 1" + "0" * 40, "/buddy pause -1"):
        out = await bot.text("ann", line)
        assert "Usage: `/buddy" in out and "\\u" not in out and "\\x" not in out, (line, out)
    assert "Paused for 3 weeks" in await bot.text("ann", "/buddy pause 0003")
    for line in (
        "/buddy rounds weekly mon 1²:00",
        "/buddy rounds weekly mon 10:٣٠",
        "/buddy rounds weekly mon ２:００",
        "/buddy rounds weekly mon 24:00",
        "/buddy rounds weekly mon 10:+5",
        "/buddy rounds ｗeekly",
    ):
        out = await bot.text("owner", line)
        assert "Usage: `/buddy" in out and "\\u" not in out and "\\x" not in out, (line, out)
    assert "Buddy rounds weekly, Mon 09:05" in await bot.text("owner", "/buddy rounds weekly mon 9:05")
    for payload in (
        "buddy:²:m",
        "buddy:" + "9" * 40 + ":m",
        f"buddy:{2**63 - 1}:m",
        "buddy:-1:m",
        "buddy::m",
    ):
        assert "expired" in plain(await bot.press("ann", payload)), payload
