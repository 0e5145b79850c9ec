"""Community signals: sentiment and mentions of every message, reactions, retention, /stats, /me, /leaderboard.

Wiring only; the logic is in community/signals.py (MessageScorer, interaction_records), community/activity.py,
community/reactions.py, community/retention.py and community/stats.py.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING

from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.text import RichText, T, bold, clip, code
from bot.types import Attachment, Reply
from common.errors import UsageError, UserError
from community.activity import ActivitySignals, WindowStats, leaderboard_score, member_activity
from community.retention import RetentionError, parse_retention, purge_group
from community.sentiment import label_for
from community.stats import MAX_DAYS, MIN_DAYS, GroupStats, group_stats, render_chart
from storage.crud import core as core_crud
from storage.crud import courses as courses_crud
from storage.crud import signals as signals_crud
from storage.models import Group

if TYPE_CHECKING:
    from bot.services import Services

LEADERBOARD_SIZE = 10
PERIODS = {"week": "this week", "month": "the last 30 days", "all": "all time"}
SCORE_TEXT = "score = 5 × helpful answers + 2 × active days + √messages"
_DAYS = re.compile(r"^(\d{1,6})d?$", re.I)


def register(d: Dispatcher, sv: Services) -> None:
    d.setting(
        "retention",
        _set_retention,
        "days to keep message text: 30d, 0 (keep none) or forever",
        show=_show_retention,
    )

    @d.command(
        "stats",
        help="a chart of this group's activity: messages and sentiment per day, busy hours, top courses, "
        "new vs returning members",
        usage=f"/stats [days {MIN_DAYS}-{MAX_DAYS}]",
        role="admin",
        category="Community",
        args=(ArgSpec("days", f"{MIN_DAYS} to {MAX_DAYS}, default 30", kind="int"),),
    )
    async def stats(ctx: Context) -> Reply:
        days = _parse_days(ctx.args)
        st = await asyncio.to_thread(_compute_stats, ctx, days)
        png = await asyncio.to_thread(
            render_chart,
            st,
            title=f"{ctx.chat.title or 'This group'}: last {days} days",
            metadata=stats_metadata(st),
        )
        return ctx.reply(
            stats_summary(st, days), attachment=Attachment(f"stats-{days}d.png", png, "image/png")
        )

    @d.command(
        "me",
        help="your own activity, streak, helpful answers, ratings and buddy status (sent privately)",
        usage="/me",
        category="Community",
    )
    async def me(ctx: Context) -> Reply:
        # The activity scan reads the whole group's history: keep it off the event loop.
        return ctx.reply(await asyncio.to_thread(_me_text, ctx), direct=True)

    @d.command(
        "leaderboard",
        help=f"top members ({SCORE_TEXT}); members who opted out never appear",
        usage="/leaderboard [week|month|all]",
        category="Community",
        args=(ArgSpec("period", "week, month or all", choices=tuple(PERIODS)),),
    )
    async def leaderboard(ctx: Context) -> RichText:
        if len(ctx.args) > 1 or (ctx.args and ctx.args[0].lower() not in PERIODS):
            raise UsageError(f"Choose a period: {', '.join(PERIODS)}.")
        period = ctx.args[0].lower() if ctx.args else "month"
        return await asyncio.to_thread(_leaderboard_text, ctx, period)


def _compute_stats(ctx: Context, days: int) -> GroupStats:
    with ctx.session() as s:
        return group_stats(s, group_id=ctx.group_id, now=ctx.clock.now(), days=days)


def _parse_days(args: list[str]) -> int:
    if not args:
        return 30
    m = _DAYS.match(args[0]) if len(args) == 1 else None
    days = int(m.group(1)) if m else -1
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise UsageError(
            f"{clip(' '.join(args), 20)!r} is not a number of days from {MIN_DAYS} to {MAX_DAYS}."
        )
    return days


def stats_metadata(st: GroupStats) -> dict[str, str]:
    """The chart's numbers, stored in the PNG itself (a tEXt chunk) so a reader can check them against the store."""
    data = {
        "days": [d.isoformat() for d in st.days],
        "messages_per_day": st.messages_per_day,
        "sentiment_per_day": [None if v is None else round(v, 4) for v in st.sentiment_per_day],
        "messages_per_hour": st.messages_per_hour,
        "new_members_per_day": st.new_members_per_day,
        "returning_members_per_day": st.returning_members_per_day,
        "top_discussed": [[c.course_id, c.count] for c in st.top_discussed],
        "top_rated": [[c.course_id, c.count, round(c.average or 0.0, 4)] for c in st.top_rated],
    }
    return {"Comment": json.dumps(data, separators=(",", ":"))}


def stats_summary(st: GroupStats, days: int) -> RichText:
    """Three lines: volume, tone and busiest hour, courses."""
    span = "today" if days == 1 else f"the last {days} days"
    first = T(
        f"In {span}: ",
        bold(str(st.total_messages)),
        f" message{'s' if st.total_messages != 1 else ''} from ",
        bold(str(st.active_members)),
        f" member{'s' if st.active_members != 1 else ''} ({st.new_members} new).",
    )
    tone = (
        "no scored messages yet"
        if st.average_sentiment is None
        else (f"{st.average_sentiment:+.2f} ({label_for(st.average_sentiment)})")
    )
    hour = "-" if st.busiest_hour is None else f"{st.busiest_hour:02d}:00 UTC"
    second = T(f"Average sentiment: {tone} · busiest hour: {hour}.")
    discussed = st.top_discussed[0].title if st.top_discussed else None
    rated = st.top_rated[0] if st.top_rated else None
    third = T(
        "Most discussed: ",
        bold(clip(discussed, 60)) if discussed else "none yet",
        " · most rated: ",
        bold(clip(rated.title, 60)) if rated else "none yet",
        f" ({rated.average:.1f}/5 from {rated.count})" if rated and rated.average is not None else "",
        ".",
    )
    return RichText.join([first, second, third])


def _empty(member_id: int) -> ActivitySignals:
    zero = WindowStats()
    return ActivitySignals(member_id, zero, zero, zero, 0, 0, None, None, 0, 0, None)


def _tone(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f} ({label_for(value)})"


def _me_text(ctx: Context) -> RichText:
    now = ctx.clock.now()
    with ctx.session() as s:
        mine = member_activity(s, group_id=ctx.group_id, now=now).get(ctx.member_id) or _empty(ctx.member_id)
        ratings = courses_crud.member_ratings(s, group_id=ctx.group_id, member_id=ctx.member_id)[:5]
        titles = {
            r.course_id: (c.title if (c := courses_crud.get_course(s, course_id=r.course_id)) else "?")
            for r in ratings
        }
        profile = signals_crud.buddy_profile(s, group_id=ctx.group_id, member_id=ctx.member_id)
        membership = core_crud.get_membership(s, group_id=ctx.group_id, member_id=ctx.member_id)
    w, m, a = mine.week, mine.month, mine.all_time
    lines: list[RichText | str] = [
        bold(f"Your activity in {clip(ctx.chat.title or 'this group', 60)}"),
        f"Messages: {w.messages} this week · {m.messages} in 30 days · {a.messages} in all",
        f"Active days: {w.active_days} this week · {m.active_days} in 30 days · {a.active_days} in all",
        f"Streak: {mine.streak} day{'s' if mine.streak != 1 else ''} (longest {mine.longest_streak})",
        f"Helpful answers: {a.helpful_answers} (replies that got a positive reaction) · "
        f"{m.helpful_answers} in 30 days",
        f"Reactions: {a.reactions_given} given · {a.reactions_received} received",
        f"Tone of what you write: {_tone(mine.sentiment_written)} · of what you receive: "
        f"{_tone(mine.sentiment_received)}",
    ]
    if ratings:
        parts: list[RichText | str] = []
        for i, r in enumerate(ratings):
            parts += [", " if i else "", bold(clip(titles[r.course_id], 40)), f" {r.value:g}/5"]
        lines.append(T("Your ratings: ", *parts))
    else:
        lines.append(T("Your ratings: none yet (", code("/rate ID 1-5"), ")"))
    if profile is None:
        lines.append("Study buddy: not signed up")
    elif profile.paused_until is not None and profile.paused_until > now:
        lines.append(f"Study buddy: paused until {profile.paused_until:%Y-%m-%d}")
    else:
        lines.append("Study buddy: " + ("looking for a buddy" if profile.active else "not active"))
    if membership is not None and membership.opted_out:
        lines.append(T("Signals are off for you (", code("/optin"), " turns them back on)."))
    return RichText.join(lines)


def _leaderboard_text(ctx: Context, period: str) -> RichText:
    with ctx.session() as s:
        signals = member_activity(s, group_id=ctx.group_id, now=ctx.clock.now())
        active = {m.id for m, _ in core_crud.active_members(s, group_id=ctx.group_id)}
        scored = sorted(
            (
                (leaderboard_score(sig.window(period)), mid)
                for mid, sig in signals.items()
                if not sig.opted_out and mid in active
            ),
            key=lambda x: (-x[0], x[1]),
        )
        top = [(score, mid) for score, mid in scored if score > 0][:LEADERBOARD_SIZE]
        names = {
            mid: core_crud.member_name_in_group(s, group_id=ctx.group_id, member_id=mid) for _, mid in top
        }
    lines: list[RichText | str] = [bold(f"Leaderboard — {PERIODS[period]}")]
    if not top:
        lines.append("Nobody has a score yet. Answer a question, or just show up on a few days!")
    for rank, (score, mid) in enumerate(top, 1):
        sig = signals[mid].window(period)
        lines.append(
            T(
                f"{rank}. ",
                bold(clip(names.get(mid) or f"member {mid}", 40)),
                f" — {score:g} ({sig.helpful_answers} helpful, {sig.active_days} active days, "
                f"{sig.messages} messages)",
            )
        )
    lines.append(f"How it works: {SCORE_TEXT}.")
    return RichText.join(lines)


async def _set_retention(ctx: Context, value: str) -> RichText:
    if not value.strip():
        raise UsageError("Say how long to keep message text: e.g. 30d, 0 (keep none) or forever.")
    try:
        days = parse_retention(value)
    except RetentionError as e:
        raise UserError(str(e)) from None
    with ctx.session() as s:
        group = s.get(Group, ctx.group_id)
        assert group is not None
        settings = {k: v for k, v in group.settings.items() if k != "retention_days"}
        group.settings = settings if days is None else {**settings, "retention_days": days}
        s.add(group)
    if days is None:
        return T("Message text is now kept ", bold("without a limit"), ".")
    removed = await asyncio.to_thread(
        purge_group, ctx.services.store.engine, group_id=ctx.group_id, days=days, now=ctx.clock.now()
    )
    kept = "no message text at all (only derived signals)" if days == 0 else f"message text for {days} days"
    return T(
        "This group now keeps ",
        bold(kept),
        f". Removed the text of {removed} older "
        f"message{'s' if removed != 1 else ''} now; a daily job does the rest.",
    )


def _show_retention(group: Group) -> str:
    days = group.settings.get("retention_days")
    return "forever" if days is None else f"{days}d"
