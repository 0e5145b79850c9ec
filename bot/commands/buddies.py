"""/buddy (study-buddy matching) and /timezone: thin handlers over community.buddies, plus round scheduling and
the check-in poller.

Scheduled rounds live in Group.settings["buddy_rounds"] and become APScheduler cron jobs at every start; due
check-ins are found in the BuddyCheckin table by a poller job, so a restart loses nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session, select

from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.text import RichText, T, bold, clip, code
from bot.types import Button, Chat, ChatUser, Reply
from common.errors import UsageError, UserError
from community import buddies as svc
from community.timezones import local_time, offset_label, resolve_timezone
from storage.crud import buddies as crud
from storage.crud import core as core_crud
from storage.models import Group, Member

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.outbox import Outbox
    from bot.scheduler import Scheduler
    from bot.services import Services
    from common.clock import Clock
    from community.recommendations import RecommendationService
    from storage.db import Store

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CADENCES = ("weekly", "biweekly")
MAX_PAUSE_WEEKS = 52
ANSWER_CODES = {"m": "met", "n": "not_met", "s": "skip"}
USAGE = "/buddy join [topics] | leave | pause [weeks] | status | me | round | rounds weekly mon 10:00|off"


class BuddyService:
    """What the scheduler and other features call: rounds for a group, and the check-in poller."""

    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        clock: Clock,
        scheduler: Scheduler,
        outbox: Outbox,
        recommender: RecommendationService,
    ) -> None:
        self.store, self.settings, self.clock = store, settings, clock
        self.scheduler, self.outbox, self.recommender = scheduler, outbox, recommender
        self._encoder: Any = None

    # ---- helpers ----------------------------------------------------------------------------------------------
    @property
    def encoder(self) -> svc.Encoder:
        if self._encoder is None:
            self._encoder = svc.interest_encoder(self.settings.embedding_model)
        return self._encoder

    def recommend_fn(self) -> svc.RecommendFn | None:
        """Personal course picks from the recommender service (community.recommendations) when it runs."""
        rec = self.recommender

        def pick(s: Session, group_id: int, member_id: int, n: int) -> list[int]:
            picks, personalised = rec.recommend(s, group_id=group_id, member_id=member_id, n=n)
            # Popular-in-group picks say nothing about the pair: the shared-topic search is better then.
            return [p.course.id for p in picks if p.course.id is not None] if personalised else []

        return pick

    # ---- rounds ----------------------------------------------------------------------------------------------
    def round(self, group_id: int, now: datetime) -> svc.RoundOutcome:
        with self.store.session() as s:
            return svc.run_round(s, group_id=group_id, now=now, encoder=self.encoder,
                                 default_tz=_group_tz(s, group_id, self.settings.default_timezone),
                                 recommend=self.recommend_fn())

    def deliveries(self, group_id: int, outcome: svc.RoundOutcome) -> list[Reply]:
        """One message per matched member: direct where the platform allows, else a mention in the group."""
        out: list[Reply] = []
        with self.store.session() as s:
            group = s.get(Group, group_id)
            assert group is not None
            chat = _chat_of(group)
            for pm in outcome.matches:
                for m in pm.member_ids:
                    user = _user_of(s, member_id=m, platform=group.platform)
                    if user is None:
                        continue
                    out.append(Reply(chat=chat, text=_intro(pm, m), direct_to=user))
        return out

    async def run_scheduled_round(self, group_id: int) -> None:
        now = self.clock.now()
        with self.store.session() as s:
            group = s.get(Group, group_id)
            if group is None:
                return
            plan = dict(group.settings.get("buddy_rounds") or {})
            last = plan.get("last_run")
            if not plan or (plan.get("cadence") == "biweekly" and last
                            and now - datetime.fromisoformat(last) < timedelta(days=10)):
                return  # biweekly: the weekly trigger skips every other week
            plan["last_run"] = now.isoformat()
            group.settings = {**group.settings, "buddy_rounds": plan}
            s.add(group)
            chat = _chat_of(group)
        outcome = self.round(group_id, now)
        await self.outbox.push(Reply(chat=chat, text=_round_summary(outcome)))
        for reply in self.deliveries(group_id, outcome):
            await self.outbox.push(reply)

    def schedule(self, group_id: int, plan: dict[str, Any] | None) -> None:
        name = f"buddy-round-{group_id}"
        self.scheduler.remove(name)
        if not plan:
            return
        hour, minute = (int(x) for x in plan["time"].split(":"))

        async def job() -> None:
            await self.run_scheduled_round(group_id)

        self.scheduler.cron(name, job, timezone=plan.get("tz", "UTC"), day_of_week=plan["day"], hour=hour,
                                minute=minute)

    async def schedule_all(self) -> None:
        with self.store.session() as s:
            plans = [(g.id, g.settings.get("buddy_rounds")) for g in s.exec(select(Group))]
        for gid, plan in plans:
            if plan and gid is not None:
                try:
                    self.schedule(gid, plan)
                except (ValueError, KeyError):
                    log.warning("group %s has an unreadable buddy round plan; not scheduled", gid)

    # ---- check-ins -------------------------------------------------------------------------------------------
    async def poll_checkins(self) -> int:
        """Ask due check-ins and pause members who ignored three; returns how many messages were sent."""
        now = self.clock.now()
        with self.store.session() as s:
            notices = svc.process_checkins(s, now=now)
            replies = [r for n in notices if (r := _checkin_reply(s, n)) is not None]
        for reply in replies:
            await self.outbox.push(reply)
        return len(replies)


# ---- formatting ---------------------------------------------------------------------------------------------------
def _names(names: list[str]) -> RichText:
    parts: list[RichText | str] = []
    for i, n in enumerate(names):
        if i:
            parts.append(" and " if i == len(names) - 1 else ", ")
        parts.append(bold(clip(n, 60)))
    return T(*parts)


def _intro(pm: svc.PlannedMatch, member_id: int) -> RichText:
    others = [pm.names[m] for m in pm.member_ids if m != member_id]
    lines: list[RichText | str] = [
        T("🤝 Your study " + ("buddies" if len(others) > 1 else "buddy") + " this week: ", _names(others), "."),
        T("Why: ", clip(pm.reason, 300), "."),
    ]
    if pm.course is not None:
        lines.append(T("First step: take ", bold(clip(pm.course.title, 100)), " together (",
                       code(f"/course {pm.course.id}"), ")."))
    else:
        lines.append("First step: say hi, share what you're learning this week and pick a time to study together.")
    if pm.repeat:
        lines.append("(You were matched recently: there was nobody else free this time.)")
    lines.append("I'll check in with you in a week.")
    return RichText.join(lines)


def _round_summary(outcome: svc.RoundOutcome) -> RichText:
    if outcome.round_id is None:
        n = outcome.eligible
        who = "nobody has" if n == 0 else "only one member has"
        return T(f"No buddy round: {who} opted in (and is not paused). Members join with ",
                 code("/buddy join"), ". Nobody was matched.")
    pairs = sum(1 for m in outcome.matches if len(m.member_ids) == 2)
    trios = len(outcome.matches) - pairs
    head = f"🤝 Buddy round: {outcome.eligible} members in {pairs} pair{'s' if pairs != 1 else ''}"
    head += f" and {trios} group of three" if trios else ""
    lines: list[RichText | str] = [T(head, ". Everyone got a message with their buddy and why.")]
    for pm in outcome.matches[:50]:
        lines.append(T("• ", _names([pm.names[m] for m in pm.member_ids])))
    if len(outcome.matches) > 50:
        lines.append(f"… and {len(outcome.matches) - 50} more.")
    return RichText.join(lines)


def _checkin_reply(s: Session, n: svc.CheckinNotice) -> Reply | None:
    group = s.get(Group, n.group_id)
    if group is None:
        return None
    user = _user_of(s, member_id=n.member_id, platform=group.platform)
    if user is None:
        return None
    chat = _chat_of(group)
    if n.kind == "paused":
        text = T("You didn't answer your last three buddy check-ins, so I've paused your matches. ",
                 code("/buddy join"), " turns them back on.")
        return Reply(chat=chat, text=text, direct_to=user)
    tz = _member_tz(s, n.member_id, group)
    text = T("👋 Check-in: did you meet ", _names(n.partner_names), " (matched ", local_time(n.match_at, tz), ")?")
    buttons = ((Button("Met", f"buddy:{n.checkin_id}:m"), Button("Didn't meet", f"buddy:{n.checkin_id}:n"),
                Button("Skip me next time", f"buddy:{n.checkin_id}:s")),)
    return Reply(chat=chat, text=text, buttons=buttons, direct_to=user)


# ---- store helpers ------------------------------------------------------------------------------------------------
def _chat_of(group: Group) -> Chat:
    return Chat(platform=group.platform, chat_id=group.platform_chat_id, kind="group", title=group.title)


def _user_of(s: Session, *, member_id: int, platform: str) -> ChatUser | None:
    acc = core_crud.account_on(s, member_id=member_id, platform=platform)
    if acc is None:
        return None
    return ChatUser(platform=platform, user_id=acc.platform_user_id, display_name=acc.display_name,
                    username=acc.username)


def _group_tz(s: Session, group_id: int, default: str) -> str:
    group = s.get(Group, group_id)
    return group.timezone if group is not None and group.timezone else default


def _member_tz(s: Session, member_id: int, group: Group | None) -> str:
    member = s.get(Member, member_id)
    return (member.timezone if member and member.timezone else None) or (group.timezone if group else "UTC")


async def _is_owner(ctx: Context) -> bool:
    platform_admin = await ctx.adapter.is_admin(ctx.chat, ctx.user)
    return platform_admin if platform_admin is not None else ctx.is_admin


def _parse_plan(args: list[str], tz: str) -> dict[str, Any] | None:
    """`weekly mon 10:00`, `biweekly fri 18:30`, `off` -> plan dict (None for off)."""
    if not args:
        raise UsageError("Say how often: /buddy rounds weekly mon 10:00, biweekly, or off.")
    cadence = args[0].lower()
    if cadence == "off":
        return None
    if cadence not in CADENCES:
        raise UsageError(f"{clip(args[0], 20)!r} is not weekly, biweekly or off.")
    day = (args[1].lower()[:3] if len(args) > 1 else "mon")
    if day not in DAYS:
        raise UsageError(f"{clip(args[1], 20)!r} is not a weekday (mon … sun).")
    time = args[2] if len(args) > 2 else "10:00"
    parts = time.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 2 for p in parts) \
            or not (0 <= int(parts[0]) < 24 and 0 <= int(parts[1]) < 60):
        raise UsageError(f"{clip(time, 20)!r} is not a time like 10:00.")
    return {"cadence": cadence, "day": day, "time": f"{int(parts[0]):02d}:{int(parts[1]):02d}", "tz": tz}


def _next_run(plan: dict[str, Any], now: datetime) -> datetime | None:
    hour, minute = (int(x) for x in plan["time"].split(":"))
    trig = CronTrigger(day_of_week=plan["day"], hour=hour, minute=minute, timezone=plan.get("tz", "UTC"))
    return trig.get_next_fire_time(None, now)


# ---- commands ---------------------------------------------------------------------------------------------------
def register(d: Dispatcher, sv: Services) -> None:
    service = sv.buddies

    @d.command("buddy", help="study-buddy matching: join, leave, pause, status, me; owners: round, rounds",
               usage=USAGE, category="Study buddies",
               args=(ArgSpec("action", "join, leave, pause, status, me, round or rounds", required=True,
                             choices=("join", "leave", "pause", "status", "me", "round", "rounds")),
                     ArgSpec("details", "topics, weeks, or a schedule such as: weekly mon 10:00", kind="text")))
    async def buddy(ctx: Context) -> HandlerResult:
        args = ctx.args
        if not args:
            return await _status(ctx)
        action, rest = args[0].lower(), ctx.arg_text.strip()[len(args[0]):].strip()
        handlers = {"join": _join, "leave": _leave, "pause": _pause, "status": _status, "me": _me,
                    "round": _round, "rounds": _rounds}
        handler = handlers.get(action)
        if handler is None:
            raise UsageError(f"I don't know /buddy {clip(args[0], 20)}.")
        return await handler(ctx, rest) if action in ("join", "pause", "rounds") else await handler(ctx)  # type: ignore[operator]

    async def _join(ctx: Context, rest: str) -> RichText:
        with ctx.session() as s:
            profile, parsed, created = svc.join(s, group_id=ctx.group_id, member_id=ctx.member_id, raw_topics=rest,
                                                now=ctx.clock.now())
            topics = list(profile.topics)
        head = "You're in" if created else "You're opted in again"
        lines: list[RichText | str] = [
            T(f"🤝 {head}: I'll match you with a study buddy in the next round"
              + (" on " if topics else "") , _topic_list(topics), ".")]
        if parsed.notes:
            lines.append("Note: " + "; ".join(parsed.notes) + ".")
        if not topics:
            lines.append(T("Tip: add topics, e.g. ", code("/buddy join SQL, data analysis"),
                           "; I also go by what you write here."))
        lines.append(T("Set your time zone with ", code("/timezone Europe/Berlin"), " (or a city). ",
                       code("/buddy me"), " asks for a partner now."))
        return RichText.join(lines)

    async def _leave(ctx: Context) -> str:
        with ctx.session() as s:
            p = crud.get_profile(s, group_id=ctx.group_id, member_id=ctx.member_id)
            if p is None or not p.active:
                return "You're not in buddy matching, so there's nothing to leave."
            p.active, p.waiting_since = False, None
            crud.save(s, p)
        return "You've left buddy matching: you won't be matched again. /buddy join brings you back."

    async def _pause(ctx: Context, rest: str) -> RichText | str:
        raw = rest.split()[0] if rest.split() else "1"
        if not raw.isdigit() or len(raw) > 3:
            raise UsageError(f"{clip(raw, 20)!r} is not a number of weeks.")
        weeks = int(raw)
        if not 1 <= weeks <= MAX_PAUSE_WEEKS:
            raise UsageError(f"Pause for 1 to {MAX_PAUSE_WEEKS} weeks.")
        with ctx.session() as s:
            p = crud.get_profile(s, group_id=ctx.group_id, member_id=ctx.member_id)
            if p is None or not p.active:
                raise UserError("You're not in buddy matching. Join with /buddy join [topics].")
            p.paused_until, p.waiting_since = ctx.clock.now() + timedelta(weeks=weeks), None
            crud.save(s, p)
            tz = _member_tz(s, ctx.member_id, s.get(Group, ctx.group_id))
            until = p.paused_until
        return T(f"Paused for {weeks} week{'s' if weeks != 1 else ''}: no matches until ", bold(local_time(until, tz)),
                 ". ", code("/buddy join"), " resumes at once.")

    async def _status(ctx: Context) -> RichText:
        now = ctx.clock.now()
        with ctx.session() as s:
            group = s.get(Group, ctx.group_id)
            tz = _member_tz(s, ctx.member_id, group)
            p = crud.get_profile(s, group_id=ctx.group_id, member_id=ctx.member_id)
            plan = (group.settings.get("buddy_rounds") if group else None) or None
            last = next((m for m in crud.matches(s, group_id=ctx.group_id, limit=200)
                         if ctx.member_id in m.member_ids), None)
            partner_names = (crud.names(s, group_id=ctx.group_id,
                                        member_ids=[x for x in last.member_ids if x != ctx.member_id])
                             if last else {})
            skipping = ctx.member_id in svc.skipping_next_round(s, group_id=ctx.group_id)
        lines: list[RichText | str] = [bold("Study buddy")]
        if p is None or not p.active:
            lines.append(T("You're not opted in. Join with ", code("/buddy join [topics]"), "."))
        else:
            lines.append(T("Opted in", " on " if p.topics else "", _topic_list(list(p.topics)), "."))
            if p.paused_until is not None and p.paused_until > now:
                lines.append(T("Paused until ", local_time(p.paused_until, tz), "."))
            if skipping:
                lines.append("You'll skip the next round, as you asked.")
            if p.waiting_since is not None:
                lines.append("Waiting for a partner (asked with /buddy me).")
        if last is not None:
            lines.append(T("Last buddy: ", _names(list(partner_names.values()) or ["(left the group)"]),
                           " on ", local_time(last.created_at, tz), "."))
        if plan:
            nxt = _next_run(plan, now)
            when = local_time(nxt, tz) if nxt else "not scheduled"
            lines.append(T(f"Rounds: {plan['cadence']}; next ", bold(when), "."))
        else:
            lines.append("Rounds: not scheduled (owners run them with /buddy round).")
        lines.append(T("Your time zone: ", tz, f" ({offset_label(tz, now)})."))
        return RichText.join(lines)

    async def _me(ctx: Context) -> HandlerResult:
        now = ctx.clock.now()
        with ctx.session() as s:
            eligible = {p.member_id for p in crud.eligible_profiles(s, group_id=ctx.group_id, now=now)}
            if ctx.member_id not in eligible:
                raise UserError("Join buddy matching first (/buddy join [topics]); paused members resume with "
                                "/buddy join.")
            outcome = svc.request_partner(s, group_id=ctx.group_id, member_id=ctx.member_id, now=now,
                                          encoder=service.encoder,
                                          default_tz=_group_tz(s, ctx.group_id, sv.settings.default_timezone),
                                          recommend=service.recommend_fn())
        if outcome is None:
            return ctx.reply("You're on the waiting list: I'll match you as soon as another member asks with "
                             "/buddy me, or in the next round.")
        replies = [ctx.reply(T("Found you a buddy: ", _names([n for m, n in outcome.matches[0].names.items()
                                                               if m != ctx.member_id]), ". Check your messages."))]
        return replies + service.deliveries(ctx.group_id, outcome)

    async def _round(ctx: Context) -> HandlerResult:
        if not await _is_owner(ctx):
            raise UserError("Sorry, only group owners and admins can run a buddy round.")
        outcome = service.round(ctx.group_id, ctx.clock.now())
        return [ctx.reply(_round_summary(outcome))] + service.deliveries(ctx.group_id, outcome)

    async def _rounds(ctx: Context, rest: str) -> RichText:
        if not await _is_owner(ctx):
            raise UserError("Sorry, only group owners and admins can schedule buddy rounds.")
        with ctx.session() as s:
            group = s.get(Group, ctx.group_id)
            assert group is not None
            tz = _member_tz(s, ctx.member_id, group)
            plan = _parse_plan(rest.split(), tz)
            settings = {k: v for k, v in group.settings.items() if k != "buddy_rounds"}
            if plan is not None:
                settings["buddy_rounds"] = plan
            group.settings = settings
            s.add(group)
        service.schedule(ctx.group_id, plan)
        if plan is None:
            return T("Scheduled buddy rounds are off. Run one any time with ", code("/buddy round"), ".")
        nxt = _next_run(plan, ctx.clock.now())
        return T(f"Buddy rounds {plan['cadence']}, {plan['day'].title()} {plan['time']} ({tz}). Next: ",
                 bold(local_time(nxt, tz) if nxt else "?"), ".")

    @d.button("buddy")
    async def checkin_pressed(ctx: Context, data: str) -> str:
        raw_id, _, code_ = data.partition(":")
        answer = ANSWER_CODES.get(code_)
        if not raw_id.isdigit() or answer is None or len(raw_id) > 12:
            raise UserError("That button has expired.")
        with ctx.session() as s:
            result = svc.answer_checkin(s, group_id=ctx.group_id, member_id=ctx.member_id, checkin_id=int(raw_id),
                                        answer=answer, now=ctx.clock.now())
        if result == "unknown":
            raise UserError("That check-in has expired.")
        if result == "not_yours":
            raise UserError("That check-in belongs to someone else.")
        thanks = {"met": "Great, glad you met! 🎉 That helps me pick future buddies.",
                  "not_met": "Thanks for telling me. I'll take it into account for the next round.",
                  "skip": "OK: I'll leave you out of the next round, then match you again."}[answer]
        return thanks if result == "ok" else "Updated your answer. " + thanks

    @d.command("timezone", help="set your time zone (a zone name or a city); shown in local time everywhere",
               usage="/timezone Europe/Berlin", category="Study buddies",
               args=(ArgSpec("zone", "a time zone such as Europe/Berlin, or a city", kind="text"),))
    async def timezone(ctx: Context) -> RichText:
        raw = ctx.arg_text.strip()
        now = ctx.clock.now()
        with ctx.session() as s:
            member = s.get(Member, ctx.member_id)
            assert member is not None
            if not raw:
                tz = _member_tz(s, ctx.member_id, s.get(Group, ctx.group_id))
                return T("Your time zone: ", bold(tz), f" ({offset_label(tz, now)}); it's ", local_time(now, tz),
                         ". Change it with ", code("/timezone Europe/Berlin"), " or a city.")
            found = resolve_timezone(raw)
            if found.name is None:
                lines: list[RichText | str] = [T("I don't know the time zone ", bold(clip(raw, 40)), ".")]
                if found.suggestions:
                    lines.append(T("Did you mean: ", *_join_codes(found.suggestions), "?"))
                lines.append(T("Try ", code("/timezone Europe/Berlin"), ", a city such as ", code("/timezone Tokyo"),
                               ", or an offset such as ", code("/timezone UTC+8"), "."))
                return RichText.join(lines)
            member.timezone = found.name
            s.add(member)
        return T("Time zone set to ", bold(found.name), f" ({offset_label(found.name, now)}); it's now ",
                 local_time(now, found.name), " for you.")


HandlerResult = Reply | RichText | str | list[Reply] | None


def _topic_list(topics: list[str]) -> RichText:
    parts: list[RichText | str] = []
    for i, t in enumerate(topics):
        if i:
            parts.append(", ")
        parts.append(bold(t))
    return T(*parts)


def _join_codes(items: tuple[str, ...]) -> list[RichText | str]:
    out: list[RichText | str] = []
    for i, x in enumerate(items):
        if i:
            out.append(", ")
        out.append(code(x))
    return out
