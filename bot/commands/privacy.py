"""/privacy, /optout, /optin and /forget (with a confirmation button): thin handlers over community.privacy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.events import promote_after_forget
from bot.dispatcher import Context, Dispatcher
from bot.text import RichText, T, bold, code
from bot.types import Button, Reply
from common.errors import UserError
from common.numbers import NumberError, parse_int
from community.privacy.forget import ForgetOutcome, cancel_forget, confirm_forget, request_forget
from community.privacy.report import privacy_report
from community.privacy.tracking import set_tracking

if TYPE_CHECKING:
    from bot.services import Services

# Plain names of the tables a member can have rows in, for the /privacy and /forget answers.
TABLE_NAMES = {
    "message": ("message", "messages"),
    "reaction": ("reaction", "reactions"),
    "rating": ("rating or course signal", "ratings and course signals"),
    "coursemention": ("course mention", "course mentions"),
    "rsvp": ("event RSVP", "event RSVPs"),
    "buddyprofile": ("study-buddy profile", "study-buddy profiles"),
    "buddymatch": ("study-buddy match", "study-buddy matches"),
    "buddycheckin": ("study-buddy check-in", "study-buddy check-ins"),
    "pendingaction": ("pending confirmation", "pending confirmations"),
    "event": ("event you created", "events you created"),
}
_EXPIRED = "That confirmation has expired. Send /forget again."
FORGET_REFUSALS: dict[ForgetOutcome, str] = {
    "expired": _EXPIRED,
    "not_yours": "Only the member who asked can confirm their own /forget.",
}


def describe(counts: dict[str, int]) -> str:
    """ "3 messages, 1 reaction": the stored rows by table, in plain words."""
    parts = []
    for name, n in sorted(counts.items()):
        one, many = TABLE_NAMES.get(name, (f"{name} row", f"{name} rows"))
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


def _kept(retention_days: int | None) -> str:
    if retention_days is None:
        return "forever (owners can limit it with /settings retention)"
    return "not at all" if retention_days == 0 else f"for {retention_days} days"


def register(d: Dispatcher, sv: Services) -> None:
    @d.command(
        "privacy",
        help="what I store about you in this group and why (sent privately)",
        usage="/privacy",
        category="Privacy",
    )
    async def privacy(ctx: Context) -> Reply:
        report = await ctx.db(privacy_report, group_id=ctx.group_id, member_id=ctx.member_id)
        lines: list[RichText | str] = [
            bold("What I store about you in this group, and why"),
            f"• Your messages: time, length, what they reply to, and a sentiment score — for activity stats, "
            f"the leaderboard and recommendations. The text itself is kept {_kept(report.retention_days)}, "
            "to find courses you mention.",
            "• Reactions you give: the emoji and its tone — they count as appreciation for the author.",
            "• Ratings and course signals (/rate, courses you mention, feedback buttons) — to recommend courses.",
            "• Event RSVPs and your study-buddy profile and matches — for reminders and matching.",
            "Commands you send are logged without their text. Nothing here is shown to other groups.",
            T("Stored now: ", describe(report.counts) or "nothing besides your membership", "."),
            T(
                "Signals: ",
                bold("off" if report.opted_out else "on"),
                ". ",
                code("/optout"),
                " stops tracking your messages, ",
                code("/optin"),
                " resumes, ",
                code("/forget"),
                " deletes everything about you here.",
            ),
        ]
        return ctx.reply(RichText.join(lines), direct=True)

    @d.command(
        "optout",
        help="stop tracking your messages for signals (commands keep working)",
        usage="/optout",
        category="Privacy",
    )
    async def optout(ctx: Context) -> RichText:
        changed = await ctx.db(set_tracking, group_id=ctx.group_id, member_id=ctx.member_id, tracked=False)
        head = (
            "Done: I no longer track your messages or reactions here."
            if changed
            else "You had already opted out."
        )
        return T(
            head,
            " You are hidden from the leaderboard. What is already stored stays until you ",
            code("/forget"),
            " it; ",
            code("/optin"),
            " resumes.",
        )

    @d.command("optin", help="resume tracking your messages for signals", usage="/optin", category="Privacy")
    async def optin(ctx: Context) -> str:
        changed = await ctx.db(set_tracking, group_id=ctx.group_id, member_id=ctx.member_id, tracked=True)
        return (
            "Welcome back: your messages count for signals again."
            if changed
            else "Your messages already count for signals; nothing changed."
        )

    @d.command(
        "forget",
        help="delete everything about you in this group (asks to confirm)",
        usage="/forget",
        category="Privacy",
    )
    async def forget(ctx: Context) -> Reply:
        request = await ctx.db(
            request_forget, group_id=ctx.group_id, member_id=ctx.member_id, now=ctx.clock.now()
        )
        if request.action_id is None:
            return ctx.reply("I have nothing stored about you in this group, so there is nothing to forget.")
        return ctx.reply(
            T(
                "This deletes everything about you in this group: ",
                describe(request.counts),
                ", plus your buddy history and settings here. Your future recommendations stop using it. "
                f"It cannot be undone. Confirm within {request.confirm_minutes} minutes.",
            ),
            buttons=[
                [
                    Button("Yes, forget me", f"forget:yes:{request.action_id}"),
                    Button("Cancel", f"forget:no:{request.action_id}"),
                ]
            ],
        )

    @d.button("forget", not_yours=FORGET_REFUSALS["not_yours"], expired=_EXPIRED)
    async def forget_pressed(ctx: Context, data: str) -> str:
        choice, _, raw_id = data.partition(":")
        try:
            action_id = parse_int(raw_id, low=1)
        except NumberError:
            raise UserError(_EXPIRED) from None
        if choice not in ("yes", "no"):
            raise UserError(_EXPIRED)
        now = ctx.clock.now()
        if choice == "no":
            cancelled = await ctx.db(
                cancel_forget, group_id=ctx.group_id, member_id=ctx.member_id, action_id=action_id, now=now
            )
            if cancelled != "cancelled":
                raise UserError(FORGET_REFUSALS[cancelled])
            return "Cancelled: nothing was deleted."
        result = await ctx.db(
            confirm_forget, group_id=ctx.group_id, member_id=ctx.member_id, action_id=action_id, now=now
        )
        if result.outcome != "forgotten":
            raise UserError(FORGET_REFUSALS[result.outcome])
        await promote_after_forget(ctx.services, ctx.group_id, ctx.member_id)
        await ctx.call(ctx.services.recommender.forget_member, group_id=ctx.group_id, member_id=ctx.member_id)
        total = result.records
        return (
            f"Forgotten: I deleted {total} record{'s' if total != 1 else ''} about you in this group. "
            "If you keep chatting here, I will start fresh."
        )
