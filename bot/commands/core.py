"""/help and /start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.text import RichText, T, bold, code

if TYPE_CHECKING:
    from bot.services import Services


def register(d: Dispatcher, sv: Services) -> None:

    @d.command(
        "help",
        help="this list, or the details of one command",
        usage="/help [command]",
        args=(ArgSpec("command", "a command name"),),
    )
    async def help_cmd(ctx: Context) -> RichText:
        if ctx.args:
            name = ctx.args[0].lstrip("/").lower()
            spec = d.resolve(name)
            if spec is None:
                return T("No command /", name[:32], ". Type ", code("/help"), " for the list.")
            who = " Owners and admins only." if spec.owner_only else ""
            return T(code(spec.usage), "\n", spec.help[0].upper() + spec.help[1:] + "." + who)
        return d.help_text(role=ctx.role)

    @d.command("start", help="what Cohort is and how to begin", usage="/start")
    async def start(ctx: Context) -> RichText:
        return RichText.join(
            [
                T(
                    "Hi ",
                    bold(ctx.user.display_name or "there"),
                    "! I'm Cohort, this community's study companion.",
                ),
                T(
                    "Find a course with ",
                    code("/courses python"),
                    ", see one with ",
                    code("/course 3"),
                    ", rate it with ",
                    code("/rate 3 5"),
                    ".",
                ),
                T("Type ", code("/help"), " for everything I can do."),
            ]
        )
