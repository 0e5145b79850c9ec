"""/recommend and /similar, the interested / not-for-me buttons, model hot-swap and the nightly retrain."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.commands.courses import existing_course, single_course_id
from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.text import RichText, T, bold, code
from bot.types import Button, Reply
from common.errors import UsageError, UserError
from storage.crud import courses as crud

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
MAX_PICKS = 10
MODEL_POLL_SECONDS = 60


def _count(ctx: Context, default: int) -> int:
    if not ctx.args:
        return default
    if len(ctx.args) > 1 or not ctx.args[0].isdigit():
        raise UsageError(f"Give how many picks you want, 1 to {MAX_PICKS}.")
    n = int(ctx.args[0][:6])
    if not 1 <= n <= MAX_PICKS:
        raise UsageError(f"Ask for 1 to {MAX_PICKS} picks, not {n}.")
    return n


def register(d: Dispatcher, sv: Services) -> None:
    svc = sv.recommender

    @d.command(
        "recommend",
        help=f"courses picked for you, with the reason (default 3, at most {MAX_PICKS})",
        usage=f"/recommend [1-{MAX_PICKS}]",
        args=(ArgSpec("n", "how many picks", kind="int"),),
        category="Courses",
    )
    async def recommend(ctx: Context) -> Reply:
        n = _count(ctx, 3)
        with ctx.session() as s:
            picks, personal = await asyncio.to_thread(svc.recommend, s, group_id=ctx.group_id,
                                                      member_id=ctx.member_id, n=n)
        if not picks:
            return ctx.reply(T("I have nothing new to suggest: you have seen every course I know. Browse with ",
                               code("/courses"), "."))
        head = T(bold("Picked for you:")) if personal else T(bold("Popular here while I learn what you like:"))
        lines: list[RichText | str] = [head]
        rows: list[list[Button]] = []
        for i, p in enumerate(picks, 1):
            lines.append(T(f"{i}. #{p.course.id} ", bold(p.course.title), " — ", p.reason))
            rows.append([Button(f"👍 #{p.course.id}", f"rec:i:{p.course.id}"),
                         Button(f"✋ Not for me #{p.course.id}", f"rec:n:{p.course.id}")])
        if not personal:
            lines.append(T("Rate courses you know with ", code("/rate ID 1-5"), " or browse ", code("/courses"),
                           " — your picks get personal from the first rating."))
        return ctx.reply(RichText.join(lines), buttons=rows)

    @d.button("rec")
    async def feedback(ctx: Context, data: str) -> RichText:
        verdict, _, raw = data.partition(":")
        if verdict not in ("i", "n") or not raw.isdigit():
            raise UserError("That button has expired. Try /recommend again.")
        course_id = int(raw)
        with ctx.session() as s:
            course = crud.get_course(s, course_id=course_id)
            if course is None:
                raise UserError("That course is no longer in the catalogue.")
            crud.upsert_rating(s, group_id=ctx.group_id, member_id=ctx.member_id, course_id=course_id,
                               value=1.0 if verdict == "i" else -1.0, at=ctx.clock.now(), source="feedback",
                               kind="implicit")
        if verdict == "i":
            return T("Noted: you're interested in ", bold(course.title), ". Details: ", code(f"/course {course_id}"))
        return T("Got it, I won't suggest ", bold(course.title), " again.")

    @d.command(
        "similar",
        help="courses similar to one you name",
        usage="/similar ID",
        args=(ArgSpec("id", "course number", kind="int", required=True),),
        category="Courses",
    )
    async def similar(ctx: Context) -> RichText:
        course_id = single_course_id(ctx)
        with ctx.session() as s:
            course = existing_course(s, course_id)
            found = await asyncio.to_thread(svc.similar, s, course_id=course_id, n=5)
        lines: list[RichText | str] = [T("Courses like ", bold(course.title), ":")]
        lines += [T(f"#{c.id} ", bold(c.title), f" — {c.level}") for c, _ in found]
        return RichText.join(lines)
