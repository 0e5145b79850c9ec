"""/buddy (study-buddy matching) and /timezone: thin handlers over `community.buddies`, plus the bot's timed buddy
work: one cron job per group with scheduled rounds, and the check-in poll.

A group's plan lives in its settings and becomes an APScheduler cron job at every start (`schedule_all`); due
check-ins are found in the store by the poll job (`poll_checkins`, listed in `bot/wiring.py`), so a restart loses
nothing. Store work runs off the event loop (`ctx.db`, `sv.store.run`); wording is in `bot/render/buddies.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from apscheduler.triggers.cron import CronTrigger

from bot.dispatcher import ArgSpec, Context, Dispatcher, HandlerResult
from bot.render import buddies as render
from bot.text import RichText, T, bold, code
from bot.types import Reply
from common.errors import UsageError, UserError
from common.numbers import DB_INT_MAX, NumberError, parse_int, shown
from community.buddies import profiles
from community.buddies.checkins import answer_checkin
from community.buddies.plans import CADENCES, DAYS, RoundPlan, all_plans, set_plan
from community.buddies.profiles import MAX_PAUSE_WEEKS
from community.buddies.service import RoundReport
from community.buddies.status import buddy_status
from community.members.timezones import local_time, resolve_timezone, zone_label

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

ANSWER_CODES = {"m": "met", "n": "not_met", "s": "skip"}
USAGE = "/buddy join [topics] | leave | pause [weeks] | status | me | round | rounds weekly mon 10:00|off"


# ---- timed work (scheduler and outbox) -----------------------------------------------------------------------------
async def push_round(sv: Services, report: RoundReport) -> None:
    """The round summary to the group, then each member's introduction."""
    chat = render.chat_of(report.audience.chat)
    await sv.outbox.push(Reply(chat=chat, text=render.round_summary(report.outcome)))
    for reply in render.introductions(report):
        await sv.outbox.push(reply)


async def run_scheduled_round(sv: Services, group_id: int) -> None:
    """The group's scheduled round (a biweekly plan skips every other week)."""
    report = await sv.store.run(sv.buddies.scheduled_round, group_id=group_id, now=sv.clock.now())
    if report is not None:
        await push_round(sv, report)


def schedule_rounds(sv: Services, group_id: int, plan: RoundPlan | None) -> None:
    """(Re)place the group's round job, named buddy-round-<group id>; None removes it."""
    name = f"buddy-round-{group_id}"
    sv.scheduler.remove(name)
    if plan is None:
        return

    async def job() -> None:
        await run_scheduled_round(sv, group_id)

    sv.scheduler.cron(name, job, timezone=plan.tz, day_of_week=plan.day, hour=plan.hour, minute=plan.minute)


async def schedule_all(sv: Services) -> None:
    """Re-create every group's round job from the store (at start)."""
    for group_id, plan in await sv.store.run(all_plans):
        try:
            schedule_rounds(sv, group_id, plan)
        except (ValueError, KeyError):
            log.warning("group %s has an unreadable buddy round plan; not scheduled", group_id)


async def poll_checkins(sv: Services) -> int:
    """Ask due check-ins and pause members who ignored three; returns how many messages were sent."""
    notices = await sv.store.run(sv.buddies.poll_checkins, now=sv.clock.now())
    for notice in notices:
        await sv.outbox.push(render.checkin_reply(notice))
    return len(notices)


# ---- parsing -------------------------------------------------------------------------------------------------------
def parse_plan(args: list[str], tz: str) -> RoundPlan | None:
    """`weekly mon 10:00`, `biweekly fri 18:30`, `off` -> a plan in the member's zone (None for off)."""
    if not args:
        raise UsageError("Say how often: /buddy rounds weekly mon 10:00, biweekly, or off.")
    cadence = args[0].lower()
    if cadence == "off":
        return None
    if cadence not in CADENCES:
        raise UsageError(f"{shown(args[0])} is not weekly, biweekly or off.")
    day = args[1].lower()[:3] if len(args) > 1 else "mon"
    if day not in DAYS:
        raise UsageError(f"{shown(args[1])} is not a weekday (mon … sun).")
    time = args[2] if len(args) > 2 else "10:00"
    hour, _, minute = time.partition(":")
    try:
        if len(hour) > 2 or len(minute) != 2 or "+" in time:
            raise NumberError(time, "format", 0, 59)
        h, m = parse_int(hour, low=0, high=23), parse_int(minute, low=0, high=59)
    except NumberError:
        raise UsageError(f"{shown(time)} is not a time like 10:00.") from None
    return RoundPlan(cadence, day, f"{h:02d}:{m:02d}", tz)


def parse_weeks(rest: str) -> int:
    raw = rest.split()[0] if rest.split() else "1"
    try:
        return parse_int(raw, low=1, high=MAX_PAUSE_WEEKS)
    except NumberError as e:
        if e.reason == "range":
            raise UsageError(f"Pause for 1 to {MAX_PAUSE_WEEKS} weeks.") from None
        raise UsageError(f"{shown(raw)} is not a number of weeks.") from None


def next_run(plan: RoundPlan, now: datetime) -> datetime | None:
    trig = CronTrigger(day_of_week=plan.day, hour=plan.hour, minute=plan.minute, timezone=plan.tz)
    next_fire: datetime | None = trig.get_next_fire_time(None, now)
    return next_fire


async def _is_owner(ctx: Context) -> bool:
    platform_admin = await ctx.adapter.is_admin(ctx.chat, ctx.user)
    return platform_admin if platform_admin is not None else ctx.is_admin


# ---- commands ------------------------------------------------------------------------------------------------------
def register(d: Dispatcher, sv: Services) -> None:
    @d.command(
        "buddy",
        help="study-buddy matching: join, leave, pause, status, me; owners: round, rounds",
        usage=USAGE,
        category="Study buddies",
        args=(
            ArgSpec(
                "action",
                "join, leave, pause, status, me, round or rounds",
                required=True,
                choices=("join", "leave", "pause", "status", "me", "round", "rounds"),
            ),
            ArgSpec("details", "topics, weeks, or a schedule such as: weekly mon 10:00", kind="text"),
        ),
    )
    async def buddy(ctx: Context) -> HandlerResult:
        args = ctx.args
        if not args:
            return await _status(ctx)
        action, rest = args[0].lower(), ctx.arg_text.strip()[len(args[0]) :].strip()
        if action == "join":
            return await _join(ctx, rest)
        if action == "leave":
            return await _leave(ctx)
        if action == "pause":
            return await _pause(ctx, rest)
        if action == "status":
            return await _status(ctx)
        if action == "me":
            return await _me(ctx)
        if action == "round":
            return await _round(ctx)
        if action == "rounds":
            return await _rounds(ctx, rest)
        raise UsageError(f"I don't know /buddy {shown(args[0])}.")

    async def _join(ctx: Context, rest: str) -> RichText:
        try:
            joined = await ctx.db(
                profiles.join,
                group_id=ctx.group_id,
                member_id=ctx.member_id,
                raw_topics=rest,
                now=ctx.clock.now(),
            )
        except profiles.OptedOut:
            return render.opted_out_text("/buddy join")
        return render.joined_text(joined)

    async def _leave(ctx: Context) -> str:
        if not await ctx.db(profiles.leave, group_id=ctx.group_id, member_id=ctx.member_id):
            return "You're not in buddy matching, so there's nothing to leave."
        return "You've left buddy matching: you won't be matched again. /buddy join brings you back."

    async def _pause(ctx: Context, rest: str) -> RichText:
        weeks = parse_weeks(rest)
        paused = await ctx.db(
            profiles.pause, group_id=ctx.group_id, member_id=ctx.member_id, weeks=weeks, now=ctx.clock.now()
        )
        if paused is None:
            raise UserError("You're not in buddy matching. Join with /buddy join [topics].")
        return render.paused_text(weeks, paused)

    async def _status(ctx: Context) -> RichText:
        now = ctx.clock.now()
        st = await ctx.db(buddy_status, group_id=ctx.group_id, member_id=ctx.member_id, now=now)
        return render.status_text(st, now=now, next_round=next_run(st.plan, now) if st.plan else None)

    async def _me(ctx: Context) -> HandlerResult:
        asked = await ctx.db(
            sv.buddies.request_partner, group_id=ctx.group_id, member_id=ctx.member_id, now=ctx.clock.now()
        )
        if asked.status == "not_eligible" and asked.state == "opted_out":
            return ctx.reply(render.opted_out_text("/buddy me"))
        if asked.status == "not_eligible":
            raise UserError(
                "Join buddy matching first (/buddy join [topics]); paused members resume with /buddy join."
            )
        if asked.report is None:
            return ctx.reply(
                "You're on the waiting list: I'll match you as soon as another member asks with "
                "/buddy me, or in the next round."
            )
        match = asked.report.outcome.matches[0]
        partners = [n for m, n in match.names.items() if m != ctx.member_id]
        found = ctx.reply(T("Found you a buddy: ", render.names_text(partners), ". Check your messages."))
        return [found, *render.introductions(asked.report)]

    async def _round(ctx: Context) -> HandlerResult:
        if not await _is_owner(ctx):
            raise UserError("Sorry, only group owners and admins can run a buddy round.")
        report = await ctx.db(sv.buddies.round, group_id=ctx.group_id, now=ctx.clock.now())
        return [ctx.reply(render.round_summary(report.outcome)), *render.introductions(report)]

    async def _rounds(ctx: Context, rest: str) -> RichText:
        if not await _is_owner(ctx):
            raise UserError("Sorry, only group owners and admins can schedule buddy rounds.")
        tz = await ctx.db(profiles.member_timezone, group_id=ctx.group_id, member_id=ctx.member_id)
        plan = parse_plan(rest.split(), tz)
        await ctx.db(set_plan, group_id=ctx.group_id, plan=plan)
        schedule_rounds(sv, ctx.group_id, plan)
        if plan is None:
            return T("Scheduled buddy rounds are off. Run one any time with ", code("/buddy round"), ".")
        nxt = next_run(plan, ctx.clock.now())
        return T(
            f"Buddy rounds {plan.cadence}, {plan.day.title()} {plan.time} ({zone_label(tz)}). Next: ",
            bold(local_time(nxt, tz) if nxt else "?"),
            ".",
        )

    @d.button("buddy")
    async def checkin_pressed(ctx: Context, data: str) -> str:
        raw_id, _, code_ = data.partition(":")
        answer = ANSWER_CODES.get(code_)
        try:
            checkin_id = parse_int(raw_id, low=1, high=DB_INT_MAX)
        except NumberError:
            raise UserError("That button has expired.") from None
        if answer is None:
            raise UserError("That button has expired.")
        result = await ctx.db(
            answer_checkin,
            group_id=ctx.group_id,
            member_id=ctx.member_id,
            checkin_id=checkin_id,
            answer=answer,
            now=ctx.clock.now(),
        )
        if result == "unknown":
            raise UserError("That check-in has expired.")
        if result == "not_yours":
            raise UserError("That check-in belongs to someone else.")
        return render.answer_text(answer, result)

    @d.command(
        "timezone",
        help="set your time zone (a zone name or a city); shown in local time everywhere",
        usage="/timezone Europe/Berlin",
        category="Study buddies",
        args=(ArgSpec("zone", "a time zone such as Europe/Berlin, or a city", kind="text"),),
    )
    async def timezone(ctx: Context) -> RichText:
        raw = ctx.arg_text.strip()
        now = ctx.clock.now()
        if not raw:
            tz = await ctx.db(profiles.member_timezone, group_id=ctx.group_id, member_id=ctx.member_id)
            return render.timezone_text(tz, now)
        found = await ctx.call(resolve_timezone, raw)
        if found.name is None:
            return render.timezone_unknown(raw, found)
        await ctx.db(
            profiles.set_timezone, group_id=ctx.group_id, member_id=ctx.member_id, timezone=found.name
        )
        return render.timezone_set_text(found.name, now)
