"""/recommend and /similar, the interested / not-for-me buttons, and how picks and their reasons read in chat.

Model hot-swap and the nightly retrain are scheduled jobs in `bot/wiring.py`; the logic is in
`community/recommendations/`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.courses import course_id_of_button, existing_course, single_course_id
from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.text import RichText, T, bold, code
from bot.types import Button, Reply
from common.errors import UsageError, UserError
from common.numbers import NumberError, parse_int, shown
from community.recommendations.feedback import record_feedback
from community.recommendations.reasons import (
    CloseToYourMessages,
    FreeStart,
    GoodFit,
    NewCourseCloseTo,
    PopularInGroup,
    PopularWithMembers,
    Reason,
    YouRated,
    YouShowedInterest,
)
from community.recommendations.results import Pick, Recommendation

if TYPE_CHECKING:
    from bot.services import Services

MAX_PICKS = 10


def _count(ctx: Context, default: int) -> int:
    if not ctx.args:
        return default
    if len(ctx.args) > 1:
        raise UsageError(f"Give how many picks you want, 1 to {MAX_PICKS}.")
    raw = ctx.args[0]
    try:
        return parse_int(raw, low=1, high=MAX_PICKS)
    except NumberError as e:
        if e.reason == "range":
            raise UsageError(f"Ask for 1 to {MAX_PICKS} picks, not {shown(raw)}.") from None
        raise UsageError(f"Give how many picks you want, 1 to {MAX_PICKS}.") from None


# ---- rendering -------------------------------------------------------------------------------------------------
def render_reason(reason: Reason) -> RichText:
    match reason:
        case NewCourseCloseTo(title=title):
            return T("new course close to ", bold(title))
        case YouRated(title=title, stars=stars):
            return T("because you rated ", bold(title), f" {stars:g}")
        case YouShowedInterest(title=title):
            return T("because you showed interest in ", bold(title))
        case CloseToYourMessages():
            return T("close to what you discuss here")
        case PopularWithMembers():
            return T("popular with members")
        case PopularInGroup(average=average, count=count):
            return T(f"popular in this group: {average:.1f}/5 from {count}")
        case FreeStart():
            return T("a free place to start")
        case GoodFit():
            return T("a good fit for what you study")


def render_picks(ctx: Context, picks: list[Pick], *, personal: bool, untrained: bool = False) -> Reply:
    """The picks with their reasons and buttons. `untrained`: popular picks for a member who has given signals,
    because no model is trained yet (it is said plainly, not "while I learn what you like")."""
    if not picks:
        return ctx.reply(
            T(
                "I have nothing new to suggest: you have seen every course I know. Browse with ",
                code("/courses"),
                ".",
            )
        )
    if personal:
        head = T(bold("Picked for you:"))
    elif untrained:
        head = T(
            bold("Popular here for now"), " — my model is not trained yet, so these do not use your ratings:"
        )
    else:
        head = T(bold("Popular here while I learn what you like:"))
    lines: list[RichText | str] = [head]
    rows: list[list[Button]] = []
    for i, p in enumerate(picks, 1):
        lines.append(T(f"{i}. #{p.course.id} ", bold(p.course.title), " — ", render_reason(p.reason)))
        rows.append(
            [
                Button(f"👍 #{p.course.id}", f"rec:i:{p.course.id}"),
                Button(f"✋ Not for me #{p.course.id}", f"rec:n:{p.course.id}"),
            ]
        )
    if untrained:
        lines.append(
            "Your ratings are kept. I train the model in the background: ask again in a few minutes."
        )
    elif not personal:
        lines.append(
            T(
                "Rate courses you know with ",
                code("/rate ID 1-5"),
                " or browse ",
                code("/courses"),
                " — your picks get personal from the first rating.",
            )
        )
    return ctx.reply(RichText.join(lines), buttons=rows)


# ---- commands --------------------------------------------------------------------------------------------------
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
        found: Recommendation = await ctx.db(svc.picks, group_id=ctx.group_id, member_id=ctx.member_id, n=n)
        return render_picks(ctx, found.picks, personal=found.personal, untrained=found.untrained)

    @d.button("rec")
    async def feedback(ctx: Context, data: str) -> RichText:
        verdict, _, raw = data.partition(":")
        course_id = course_id_of_button(raw)
        if verdict not in ("i", "n") or course_id is None:
            raise UserError("That button has expired. Try /recommend again.")
        course = await ctx.db(
            record_feedback,
            group_id=ctx.group_id,
            member_id=ctx.member_id,
            course_id=course_id,
            interested=verdict == "i",
            at=ctx.clock.now(),
        )
        if course is None:
            raise UserError("That course is no longer in the catalogue.")
        if verdict == "i":
            return T(
                "Noted: you're interested in ",
                bold(course.title),
                ". Details: ",
                code(f"/course {course_id}"),
            )
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
        course = await ctx.db(existing_course, course_id)
        found = await ctx.db(svc.similar, course_id=course_id, n=5)
        lines: list[RichText | str] = [T("Courses like ", bold(course.title), ":")]
        lines += [T(f"#{x.course.id} ", bold(x.course.title), f" — {x.course.level}") for x in found]
        return RichText.join(lines)
