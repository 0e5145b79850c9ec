"""/courses, /course and /rate: thin handlers over community.courses and the store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.text import RichText, T, bold, code
from bot.types import Button, Reply
from common.errors import UsageError, UserError
from community.courses import course_details, course_line, search_courses
from storage.crud import courses as crud
from storage.models import Course

if TYPE_CHECKING:
    from bot.services import Services

PAGE = 5


def parse_course_id(raw: str) -> int:
    value = raw.lstrip("#")
    if not value.isdigit() or len(value) > 9:
        raise UsageError(f"{raw[:20]!r} is not a course number.")
    return int(value)


def single_course_id(ctx: Context) -> int:
    """The one course number a command takes (`/course 3`, `/similar #3`), or a usage error."""
    if len(ctx.args) != 1:
        raise UsageError()
    return parse_course_id(ctx.args[0])


def existing_course(s: Session, course_id: int, *, consequence: str = "") -> Course:
    course = crud.get_course(s, course_id=course_id)
    if course is None:
        raise UserError(f"There is no course #{course_id}{consequence}. Find one with /courses.")
    return course


def courses_page(ctx: Context, query: str, page: int) -> Reply:
    with ctx.session() as s:
        found = search_courses(crud.list_courses(s), query)
        averages = {c.id: crud.course_rating_summary(s, group_id=ctx.group_id, course_id=c.id or 0)[0]
                    for c in found[page * PAGE : (page + 1) * PAGE]}
    if not found:
        return ctx.reply(T("No course matches ", bold(query[:100]), ". Try a shorter word, or ", code("/courses"),
                           " to list them all."))
    pages = (len(found) + PAGE - 1) // PAGE
    page = min(page, pages - 1)
    shown = found[page * PAGE : (page + 1) * PAGE]
    head = (T(f"{len(found)} course{'s' if len(found) != 1 else ''} match ", bold(query[:100]))
            if query else T(f"All {len(found)} courses"))
    lines: list[RichText | str] = [head + (f" (page {page + 1} of {pages}):" if pages > 1 else ":")]
    lines += [course_line(c, average=averages.get(c.id)) for c in shown]
    lines.append(T("Details: ", code("/course ID"), " · Rate: ", code("/rate ID 1-5")))
    buttons: list[Button] = []
    q = _fit_query(query)
    if page > 0:
        buttons.append(Button("◂ Previous", f"courses:{page - 1}:{q}"))
    if page + 1 < pages:
        buttons.append(Button("More ▸", f"courses:{page + 1}:{q}"))
    return ctx.reply(RichText.join(lines), buttons=[buttons] if buttons else ())


def _fit_query(query: str) -> str:
    """Keep the query inside Telegram's 64-byte callback payload (with the 'courses:NNN:' prefix)."""
    out = query
    while len(out.encode()) > 48:
        out = out[:-1]
    return out


def register(d: Dispatcher, sv: Services) -> None:

    @d.command(
        "courses",
        help="search the catalogue by title, description or tag",
        usage="/courses [query]",
        args=(ArgSpec("query", "words to search for", kind="text"),),
        category="Courses",
    )
    async def courses(ctx: Context) -> Reply:
        return courses_page(ctx, ctx.arg_text.strip()[:200], 0)

    @d.button("courses")
    async def courses_more(ctx: Context, data: str) -> Reply:
        page_raw, _, query = data.partition(":")
        if not page_raw.isdigit():
            raise UserError("That button has expired. Try /courses again.")
        return courses_page(ctx, query, int(page_raw))

    @d.command(
        "course",
        help="details of one course with its rating in this group",
        usage="/course ID",
        args=(ArgSpec("id", "course number", kind="int", required=True),),
        category="Courses",
    )
    async def course(ctx: Context) -> RichText:
        course_id = single_course_id(ctx)
        with ctx.session() as s:
            c = existing_course(s, course_id)
            avg, n = crud.course_rating_summary(s, group_id=ctx.group_id, course_id=course_id)
            mine = next((r.value for r in crud.member_ratings(s, group_id=ctx.group_id, member_id=ctx.member_id)
                         if r.course_id == course_id), None)
        return course_details(c, average=avg, count=n, mine=mine)

    @d.command(
        "rate",
        help="rate a course from 1 (poor) to 5 (excellent); rating again updates it",
        usage="/rate ID 1-5",
        args=(ArgSpec("id", "course number", kind="int", required=True),
              ArgSpec("stars", "1 to 5", kind="int", required=True)),
        category="Courses",
    )
    async def rate(ctx: Context) -> RichText:
        if len(ctx.args) != 2:
            raise UsageError()
        course_id = parse_course_id(ctx.args[0])
        raw = ctx.args[1]
        try:
            stars = int(raw)
        except ValueError:
            raise UsageError(f"{raw[:20]!r} is not a whole number from 1 to 5.") from None
        if not 1 <= stars <= 5:
            raise UsageError(f"A rating is from 1 to 5, not {stars}.")
        with ctx.session() as s:
            c = existing_course(s, course_id, consequence=", so nothing was rated")
            _, created = crud.upsert_rating(s, group_id=ctx.group_id, member_id=ctx.member_id, course_id=course_id,
                                            value=float(stars), at=ctx.clock.now())
            avg, n = crud.course_rating_summary(s, group_id=ctx.group_id, course_id=course_id)
        verb = "Rated" if created else "Updated your rating:"
        return T(f"{verb} ", bold(c.title), f" {stars}/5. Group average now {avg:.1f} from {n}.")
