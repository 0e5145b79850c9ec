"""/privacy, /optout, /optin and /forget (with a confirmation button): thin handlers over community.privacy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.events import promote_after_forget
from bot.dispatcher import Context, Dispatcher
from bot.text import RichText, T, bold, code
from bot.types import Button, Reply
from common.errors import UserError
from community.privacy import (
    CONFIRM_MINUTES,
    ForgetError,
    cancel_forget,
    confirm_forget,
    describe,
    request_forget,
    set_tracking,
    stored_counts,
)
from storage.crud import core as core_crud
from storage.models import Group

if TYPE_CHECKING:
    from bot.services import Services


def register(d: Dispatcher, sv: Services) -> None:

    @d.command(
        "privacy",
        help="what I store about you in this group and why (sent privately)",
        usage="/privacy",
        category="Privacy",
    )
    async def privacy(ctx: Context) -> Reply:
        counts = stored_counts(ctx.services.store.engine, group_id=ctx.group_id, member_id=ctx.member_id)
        with ctx.session() as s:
            group = s.get(Group, ctx.group_id)
            membership = core_crud.get_membership(s, group_id=ctx.group_id, member_id=ctx.member_id)
            retention = group.settings.get("retention_days") if group else None
        kept = (
            "forever (owners can limit it with /settings retention)"
            if retention is None
            else "not at all"
            if retention == 0
            else f"for {retention} days"
        )
        opted_out = membership is not None and membership.opted_out
        lines: list[RichText | str] = [
            bold("What I store about you in this group, and why"),
            f"• Your messages: time, length, what they reply to, and a sentiment score — for activity stats, "
            f"the leaderboard and recommendations. The text itself is kept {kept}, to find courses you mention.",
            "• Reactions you give: the emoji and its tone — they count as appreciation for the author.",
            "• Ratings and course signals (/rate, courses you mention, feedback buttons) — to recommend courses.",
            "• Event RSVPs and your study-buddy profile and matches — for reminders and matching.",
            "Commands you send are logged without their text. Nothing here is shown to other groups.",
            T("Stored now: ", describe(counts) or "nothing besides your membership", "."),
            T(
                "Signals: ",
                bold("off" if opted_out else "on"),
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
        changed = set_tracking(ctx.services.store.engine, group_id=ctx.group_id, member_id=ctx.member_id, tracked=False)
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
        changed = set_tracking(ctx.services.store.engine, group_id=ctx.group_id, member_id=ctx.member_id, tracked=True)
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
        action_id, counts = request_forget(
            ctx.services.store.engine, group_id=ctx.group_id, member_id=ctx.member_id, now=ctx.clock.now()
        )
        if action_id is None:
            return ctx.reply("I have nothing stored about you in this group, so there is nothing to forget.")
        return ctx.reply(
            T(
                "This deletes everything about you in this group: ",
                describe(counts),
                ", plus your buddy history and settings here. Your future recommendations stop using it. "
                f"It cannot be undone. Confirm within {CONFIRM_MINUTES} minutes.",
            ),
            buttons=[
                [
                    Button("Yes, forget me", f"forget:yes:{action_id}"),
                    Button("Cancel", f"forget:no:{action_id}"),
                ]
            ],
        )

    @d.button("forget")
    async def forget_pressed(ctx: Context, data: str) -> str:
        choice, _, raw_id = data.partition(":")
        if choice not in ("yes", "no") or not raw_id.isdigit() or len(raw_id) > 12:
            raise UserError("That button has expired. Send /forget again.")
        now = ctx.clock.now()
        if choice == "no":
            cancel_forget(
                ctx.services.store.engine, group_id=ctx.group_id, member_id=ctx.member_id, action_id=int(raw_id), now=now
            )
            return "Cancelled: nothing was deleted."
        try:
            done = confirm_forget(
                ctx.services.store.engine, group_id=ctx.group_id, member_id=ctx.member_id, action_id=int(raw_id), now=now
            )
        except ForgetError as e:
            raise UserError(str(e)) from None
        await promote_after_forget(ctx.services, ctx.group_id, ctx.member_id)
        total = sum(n for name, n in done.items() if name not in ("membership", "member", "platformaccount"))
        return (
            f"Forgotten: I deleted {total} record{'s' if total != 1 else ''} about you in this group. "
            "If you keep chatting here, I will start fresh."
        )
