"""Check-ins a week after a match (buttons, answers, ignoring), scheduled rounds, and the signals function."""

from __future__ import annotations

from bot.commands import buddies as buddy_jobs
from bot.testing import TestBot
from community.buddies.signals import buddy_signals
from storage import db
from storage.crud import buddies as crud


async def _pair(bot: TestBot, *names: str) -> None:
    for who in names:
        await bot.say(who, "/buddy join python")
    await bot.say("owner", "/buddy round")


async def _poll(bot: TestBot) -> int:
    return await buddy_jobs.poll_checkins(bot.app.services)


async def test_checkin_asked_after_a_week_and_answered(owned: TestBot, backend: str) -> None:
    bot = owned
    await _pair(bot, "ann", "ben")
    before = len(bot.adapter.sent)
    assert await _poll(bot) == 0  # not due yet
    bot.app.clock.advance(days=7, minutes=1)
    assert await _poll(bot) == 2
    asks = bot.adapter.sent[before:]
    ann_ask = next(r for r in asks if r.direct_to and r.direct_to.user_id == "ann")
    assert "did you meet *ben*" in ann_ask.rich.to_plain()
    labels = [b.label for b in ann_ask.flat_buttons]
    assert labels == ["Met", "Didn't meet", "Skip me next time"]
    assert await _poll(bot) == 0  # asked once only
    met = ann_ask.flat_buttons[0].payload
    assert "glad you met" in (await bot.press("ann", met))[0].rich.to_plain()
    assert "someone else" in (await bot.press("ben", met))[0].rich.to_plain()
    assert "expired" in (await bot.press("ann", "buddy:99999:m"))[0].rich.to_plain()
    assert "expired" in (await bot.press("ann", "buddy:x:zz"))[0].rich.to_plain()
    ben_ask = next(r for r in asks if r.direct_to and r.direct_to.user_id == "ben")
    await bot.press("ben", ben_ask.flat_buttons[1].payload)
    with db.session_scope(bot.app.engine) as s:
        signals = buddy_signals(s, 1)
    answers = {sig.member_id: sig.answer for sig in signals}
    assert sorted(answers.values()) == ["met", "not_met"]
    assert all(len(sig.partner_ids) == 1 for sig in signals)
    assert all(sig.matched_at.tzinfo is not None and sig.answered_at is not None for sig in signals)


async def test_skip_me_next_time_leaves_member_out_of_one_round(owned: TestBot) -> None:
    bot = owned
    await _pair(bot, "ann", "ben", "cat", "dan")
    bot.app.clock.advance(days=7, minutes=1)
    before = len(bot.adapter.sent)
    await _poll(bot)
    ask = next(r for r in bot.adapter.sent[before:] if r.direct_to and r.direct_to.user_id == "ann")
    assert (
        "leave you out of the next round"
        in (await bot.press("ann", ask.flat_buttons[2].payload))[0].rich.to_plain()
    )
    assert "skip the next round" in "\n".join(
        r.rich.to_plain() for r in await bot.say("ann", "/buddy status")
    )
    replies = await bot.say("owner", "/buddy round")
    assert "ann" not in {r.direct_to.user_id for r in replies if r.direct_to}
    replies = await bot.say("owner", "/buddy round")
    assert "ann" in {r.direct_to.user_id for r in replies if r.direct_to}


async def test_three_ignored_checkins_pause_the_member(owned: TestBot) -> None:
    bot = owned
    for who in ("ann", "ben"):
        await bot.say(who, "/buddy join python")
    for week in range(3):
        await bot.say("owner", "/buddy round")
        bot.app.clock.advance(days=7, minutes=1)
        await _poll(bot)  # asks this round's check-in (and ages older ones)
        if week < 2:
            # ben answers, ann ignores
            last = [
                r for r in bot.adapter.sent if r.direct_to and r.direct_to.user_id == "ben" and r.buttons
            ][-1]
            await bot.press("ben", last.flat_buttons[0].payload)
    before = len(bot.adapter.sent)
    bot.app.clock.advance(days=7, minutes=1)
    await _poll(bot)
    told = [
        r.rich.to_plain() for r in bot.adapter.sent[before:] if r.direct_to and r.direct_to.user_id == "ann"
    ]
    assert any("paused your matches" in t for t in told)
    assert not any(
        "paused" in r.rich.to_plain()
        for r in bot.adapter.sent[before:]
        if r.direct_to and r.direct_to.user_id == "ben"
    )
    assert "not opted in" in "\n".join(r.rich.to_plain() for r in await bot.say("ann", "/buddy status"))
    await bot.say("cat", "/buddy join python")
    replies = await bot.say("owner", "/buddy round")
    assert {r.direct_to.user_id for r in replies if r.direct_to} == {"ben", "cat"}


async def test_rounds_schedule_and_scheduled_round(owned: TestBot) -> None:
    bot = owned
    out = "\n".join(r.rich.to_plain() for r in await bot.say("owner", "/buddy rounds weekly mon 10:00"))
    assert "Buddy rounds weekly, Mon 10:00 (UTC). Next: *Mon 30 Nov 10:00 (UTC)*" in out
    assert "buddy-round-1" in bot.app.scheduler.job_ids()
    assert "not a weekday" in "\n".join(
        r.rich.to_plain() for r in await bot.say("owner", "/buddy rounds weekly xyz")
    )
    assert "not a time" in "\n".join(
        r.rich.to_plain() for r in await bot.say("owner", "/buddy rounds weekly mon 25:00")
    )
    for who in ("ann", "ben"):
        await bot.say(who, "/buddy join python")
    await bot.say("ann", "/timezone Asia/Shanghai")
    assert "next *Mon 30 Nov 18:00 (UTC+8)*" in "\n".join(
        r.rich.to_plain() for r in await bot.say("ann", "/buddy status")
    )
    before = len(bot.adapter.sent)
    await buddy_jobs.run_scheduled_round(bot.app.services, 1)
    sent = bot.adapter.sent[before:]
    assert "2 members in 1 pair" in sent[0].rich.to_plain()
    assert {r.direct_to.user_id for r in sent if r.direct_to} == {"ann", "ben"}
    assert "UTC+8 and UTC" in next(r for r in sent if r.direct_to).rich.to_plain()
    # restart: jobs are re-created from the group's settings
    bot.app.scheduler.remove("buddy-round-1")
    await buddy_jobs.schedule_all(bot.app.services)
    assert "buddy-round-1" in bot.app.scheduler.job_ids()
    assert "off" in "\n".join(r.rich.to_plain() for r in await bot.say("owner", "/buddy rounds off"))
    assert "buddy-round-1" not in bot.app.scheduler.job_ids()


async def test_biweekly_skips_every_other_week(owned: TestBot) -> None:
    bot = owned
    await bot.say("owner", "/buddy rounds biweekly fri 18:30")
    for who in ("ann", "ben"):
        await bot.say(who, "/buddy join python")
    sv = bot.app.services
    await buddy_jobs.run_scheduled_round(sv, 1)
    bot.app.clock.advance(days=7)
    await buddy_jobs.run_scheduled_round(sv, 1)
    bot.app.clock.advance(days=7)
    await buddy_jobs.run_scheduled_round(sv, 1)
    with db.session_scope(bot.app.engine) as s:
        rounds = {m.round_id for m in crud.matches(s, group_id=1)}
    assert len(rounds) == 2


async def test_startup_registers_poller(owned: TestBot) -> None:
    await owned.app.start()
    try:
        assert "buddy-checkins" in owned.app.scheduler.job_ids()
    finally:
        await owned.app.stop()


def test_signals_are_plain_and_scoped(owned: TestBot) -> None:
    with db.session_scope(owned.app.engine) as s:
        assert buddy_signals(s, 1) == []
        assert buddy_signals(s, 12345) == []
