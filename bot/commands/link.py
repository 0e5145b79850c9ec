"""/link: join a person's accounts on Telegram and Discord into one member with a one-time code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.text import RichText, T, bold, code
from common.errors import UsageError
from community.members.linking import (
    CODE_TTL,
    RedeemResult,
    cancel_code,
    display_code,
    issue_code,
    redeem_code,
)

if TYPE_CHECKING:
    from bot.services import Services

_PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "console": "console", "test": "test"}


def _platform(name: str | None) -> str:
    return _PLATFORM_NAMES.get(name or "", "other") if name else "other"


def _answer(result: RedeemResult, here: str) -> RichText:
    other = _platform(result.other_platform)
    again = T(" Send ", code("/link"), " from your other account for a new code.")
    if result.outcome == "linked":
        return T(
            bold("Linked."),
            f" Your {other} account and this {_platform(here)} account are now one member: "
            "ratings, RSVPs and study-buddy settings from both count together, each in its own group.",
        )
    if result.outcome == "already":
        return T("These accounts are already linked. Nothing to do.")
    if result.outcome == "expired":
        return T(f"That code has expired (codes last {int(CODE_TTL.total_seconds() // 60)} minutes).", again)
    if result.outcome == "used":
        return T("That code has already been used or was replaced by a newer one.", again)
    if result.outcome == "same_platform":
        return T(
            f"That code belongs to someone who already has a {_platform(here)} account linked. "
            "One person can link one account per platform."
        )
    if result.outcome == "conflict":
        return T(
            f"This account is already linked to a {other} account. "
            "One person can link one account per platform."
        )
    return T("I don't know that code. Codes look like ", code("ABC-DEFG"), ".", again)


def register(d: Dispatcher, sv: Services) -> None:

    @d.command(
        "link",
        help="link your Telegram and Discord accounts: /link gives a code, /link CODE on the other one uses it",
        usage="/link [CODE]",
        args=(ArgSpec("code", "the code /link showed on your other account"),),
        category="Account",
    )
    async def link(ctx: Context) -> RichText | None:
        if len(ctx.args) > 2:
            raise UsageError(
                "Send /link alone for a code, or /link CODE with a code from your other account."
            )
        now = ctx.clock.now()
        if ctx.args:
            result = await ctx.db(
                redeem_code,
                raw_code="".join(ctx.args),
                platform=ctx.user.platform,
                user_id=ctx.user.user_id,
                now=now,
            )
            return _answer(result, ctx.user.platform)
        new_code = await ctx.db(issue_code, member_id=ctx.member_id, now=now)
        minutes = int(CODE_TTL.total_seconds() // 60)
        text = T(
            "Your link code: ",
            bold(display_code(new_code)),
            f"\nWithin {minutes} minutes, send ",
            code(f"/link {display_code(new_code)}"),
            " from your account on the other platform. "
            "It works once. Don't share it: whoever uses it joins their account to yours.",
        )
        if ctx.chat.kind == "private":
            return text
        sent = await ctx.send(ctx.reply(text, direct=True))
        if sent is None or not sent.direct:
            # The platform refused the private message, so the code may have been shown in the group: cancel it.
            await ctx.db(cancel_code, code=new_code, now=ctx.clock.now())
            return T(
                "I couldn't message you privately, so that code is cancelled. Open a private chat with me "
                "and send ",
                code("/link"),
                " there.",
            )
        return None
