"""Signals commands: /stats, /me, /leaderboard and the `retention` setting.

Thin handlers: they parse, run a `community.signals` function off the event loop (`ctx.db` / `ctx.call`) and
word its result. The logic is in community/signals/ (reports.py, stats.py, chart.py, retention.py).
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.render.buddies import buddy_line
from bot.text import RichText, T, bold, code
from bot.types import Attachment, Reply
from common.errors import UsageError, UserError
from common.numbers import NumberError, parse_int, shown
from common.text import clip
from community.signals.chart import chart_metadata, render_chart
from community.signals.reports import LeaderboardEntry, MemberReport, member_report
from community.signals.reports import leaderboard as top_members
from community.signals.retention import RetentionError, parse_retention, set_retention
from community.signals.sentiment import label_for
from community.signals.stats import MAX_DAYS, MIN_DAYS, GroupStats, group_stats
from storage.models import Group

if TYPE_CHECKING:
    from bot.services import Services

PERIODS = {"week": "this week", "month": "the last 30 days", "all": "all time"}
SCORE_TEXT = "score = 5 × helpful answers + 2 × active days + √messages"


def _n(count: int, noun: str) -> str:
    """A count with its noun in the right number: "1 message", "2 messages"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def register(d: Dispatcher, sv: Services) -> None:
    d.setting(
        "retention",
        _set_retention,
        "days to keep message text: 30d, 0 (keep none) or forever",
        show=_show_retention,
    )

    @d.command(
        "stats",
        help="a chart of this group's activity: messages and sentiment per day (per week beyond 92 days), "
        "busy hours, most discussed and most rated courses, new vs returning members",
        usage=f"/stats [days {MIN_DAYS}-{MAX_DAYS}]",
        role="admin",
        category="Community",
        args=(ArgSpec("days", f"{MIN_DAYS} to {MAX_DAYS}, default 30", kind="int"),),
    )
    async def stats(ctx: Context) -> Reply:
        days = _parse_days(ctx.args)
        st = await ctx.db(group_stats, group_id=ctx.group_id, now=ctx.clock.now(), days=days)
        png = await ctx.call(
            render_chart,
            st,
            title=f"{ctx.chat.title or 'This group'}: {_span(days)}",
            metadata=chart_metadata(st),
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
        report = await ctx.db(
            member_report, group_id=ctx.group_id, member_id=ctx.member_id, now=ctx.clock.now()
        )
        return ctx.reply(me_text(report, ctx.chat.title), direct=True)

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
        top = await ctx.db(top_members, group_id=ctx.group_id, period=period, now=ctx.clock.now())
        return leaderboard_text(top, period)


def _parse_days(args: list[str]) -> int:
    """`/stats [days]`: ASCII digits from MIN_DAYS to MAX_DAYS, optionally with a "d" ("30d")."""
    if not args:
        return 30
    if len(args) == 1:
        raw = args[0].removesuffix("d").removesuffix("D")
        with suppress(NumberError):
            return parse_int(raw, low=MIN_DAYS, high=MAX_DAYS)
    raise UsageError(f"{shown(' '.join(args))} is not a number of days from {MIN_DAYS} to {MAX_DAYS}.")


def _span(days: int) -> str:
    return "today" if days == 1 else f"last {days} days"


def stats_summary(st: GroupStats, days: int) -> RichText:
    """Three lines: volume, tone and busiest hour, courses."""
    first = T(
        "Today: " if days == 1 else f"In the last {days} days: ",
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
        f" ({rated.average:.1f}/5 from {_n(rated.count, 'rating')})"
        if rated and rated.average is not None
        else "",
        ".",
    )
    return RichText.join([first, second, third])


def _tone(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f} ({label_for(value)})"


def me_text(report: MemberReport, chat_title: str | None) -> RichText:
    """/me: activity, streak, helpful answers, reactions, tone, ratings, buddy status and opt-out."""
    mine = report.activity
    w, m, a = mine.week, mine.month, mine.all_time
    lines: list[RichText | str] = [
        bold(f"Your activity in {clip(chat_title or 'this group', 60)}"),
        f"Messages: {w.messages} this week · {m.messages} in 30 days · {a.messages} in all",
        f"Active days: {w.active_days} this week · {m.active_days} in 30 days · {a.active_days} in all",
        f"Streak: {mine.streak} day{'s' if mine.streak != 1 else ''} (longest {mine.longest_streak})",
        f"Helpful answers: {a.helpful_answers} (replies that got a positive reaction) · "
        f"{m.helpful_answers} in 30 days",
        f"Reactions: {a.reactions_given} given · {a.reactions_received} received",
        f"Tone of what you write: {_tone(mine.sentiment_written)} · of what you receive: "
        f"{_tone(mine.sentiment_received)}",
    ]
    if report.ratings:
        parts: list[RichText | str] = []
        for i, r in enumerate(report.ratings):
            parts += [", " if i else "", bold(clip(r.title, 40)), f" {r.value:g}/5"]
        lines.append(T("Your ratings: ", *parts))
    else:
        lines.append(T("Your ratings: none yet (", code("/rate ID 1-5"), ")"))
    lines.append(T("Study buddy: ", buddy_line(report.buddy)))
    if report.opted_out:
        lines.append(T("Signals are off for you (", code("/optin"), " turns them back on)."))
    return RichText.join(lines)


def leaderboard_text(top: list[LeaderboardEntry], period: str) -> RichText:
    lines: list[RichText | str] = [bold(f"Leaderboard — {PERIODS[period]}")]
    if not top:
        lines.append("Nobody has a score yet. Answer a question, or just show up on a few days!")
    for entry in top:
        sig = entry.stats
        lines.append(
            T(
                f"{entry.rank}. ",
                bold(clip(entry.name or f"member {entry.member_id}", 40)),
                f" — {entry.score:g} ({sig.helpful_answers} helpful, {_n(sig.active_days, 'active day')}, "
                f"{_n(sig.messages, 'message')})",
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
    removed = await ctx.db(set_retention, group_id=ctx.group_id, days=days, now=ctx.clock.now())
    if days is None:
        return T("Message text is now kept ", bold("without a limit"), ".")
    kept = (
        "no message text at all (only derived signals)"
        if days == 0
        else f"message text for {_n(days, 'day')}"
    )
    return T(
        "This group now keeps ",
        bold(kept),
        f". Removed the text of {removed} older "
        f"message{'s' if removed != 1 else ''} now; a daily job does the rest.",
    )


def _show_retention(group: Group) -> str:
    days = group.settings.get("retention_days")
    return "forever" if days is None else f"{days}d"
