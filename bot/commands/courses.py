"""/courses, /course and /rate: thin handlers over community.courses, and how a course looks in chat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.text import RichText, T, bold, code, link
from bot.types import Button, Reply
from common.errors import UsageError, UserError
from common.numbers import DB_INT_MAX, NumberError, parse_int, shown
from common.text import clip_words
from community.courses.service import course_details, course_page, find_course, rate_course
from community.courses.views import CourseDetails, CourseLine, CoursePage

if TYPE_CHECKING:
    from bot.services import Services

PAGE = 5
MAX_PAGE = 10_000
QUERY_SHOWN = 100  # characters of a search query echoed in a reply


# ---- arguments shared by the course commands (also /similar and the recommendation buttons) ---------------------
def parse_course_id(raw: str) -> int:
    """A course number as members type it ("3", "#3"); a usage error for anything else, "no such course" for a
    number no course can have."""
    try:
        return parse_int(raw, low=1, high=DB_INT_MAX, strip_hash=True)
    except NumberError as e:
        if e.reason == "range":
            raise no_such_course(shown(raw.strip().lstrip("#"))) from None
        raise UsageError(f"“{shown(raw)}” is not a course number.") from None


def course_id_of_button(raw: str) -> int | None:
    """The course number a button payload carries, or None when it is not one."""
    try:
        return parse_int(raw, low=1, high=DB_INT_MAX)
    except NumberError:
        return None


def single_course_id(ctx: Context) -> int:
    """The one course number a command takes (`/course 3`, `/similar #3`), or a usage error."""
    if len(ctx.args) != 1:
        raise UsageError()
    return parse_course_id(ctx.args[0])


def no_such_course(course_id: int | str, *, consequence: str = "") -> UserError:
    return UserError(f"There is no course #{course_id}{consequence}. Find one with /courses.")


def existing_course(s: Session, course_id: int, *, consequence: str = "") -> CourseLine:
    """The course, or the member is told there is none. Sync: call it as `await ctx.db(existing_course, id)`."""
    course = find_course(s, course_id=course_id)
    if course is None:
        raise no_such_course(course_id, consequence=consequence)
    return course


# ---- rendering -------------------------------------------------------------------------------------------------
def render_course_line(c: CourseLine) -> RichText:
    stars = f" · ★ {c.average:.1f}" if c.average is not None else ""
    return T(f"#{c.id} ", bold(c.title), f" — {c.level}, {c.price}{stars}")


def render_course_details(d: CourseDetails) -> RichText:
    lines: list[RichText | str] = [T(f"#{d.id} ", bold(d.title))]
    if d.description:
        lines.append(d.description)
    lines.append(f"Level: {d.level} · Price: {d.price} · Language: {d.language}")
    if d.tags:
        lines.append("Tags: " + ", ".join(d.tags))
    if d.count:
        lines.append(
            f"Rating in this group: {d.average:.1f}/5 from {d.count} rating{'s' if d.count != 1 else ''}"
        )
    else:
        lines.append("No ratings in this group yet.")
    if d.mine is not None:
        lines.append(f"Your rating: {d.mine:g}/5")
    if d.url:
        lines.append(link(d.url, d.url))
    return RichText.join(lines)


def render_courses_page(ctx: Context, page: CoursePage) -> Reply:
    query = page.query
    if not page.searchable:
        return ctx.reply(
            T(
                "There is nothing to search for in ",
                bold(clip_words(query, QUERY_SHOWN)),
                ": search with letters or numbers, or send ",
                code("/courses"),
                " to list them all.",
            )
        )
    if not page.total:
        return ctx.reply(
            T(
                "No course matches ",
                bold(clip_words(query, QUERY_SHOWN)),
                ". Try a shorter word, or ",
                code("/courses"),
                " to list them all.",
            )
        )
    if query:
        verb = "course matches" if page.total == 1 else "courses match"
        head = T(f"{page.total} {verb} ", bold(clip_words(query, QUERY_SHOWN)))
    else:
        head = T("The only course") if page.total == 1 else T(f"All {page.total} courses")
    lines: list[RichText | str] = [
        head + (f" (page {page.page + 1} of {page.pages}):" if page.pages > 1 else ":")
    ]
    lines += [render_course_line(c) for c in page.lines]
    lines.append(T("Details: ", code("/course ID"), " · Rate: ", code("/rate ID 1-5")))
    buttons: list[Button] = []
    q = _fit_query(query)
    if page.page > 0:
        buttons.append(Button("◂ Previous", f"courses:{page.page - 1}:{q}"))
    if page.page + 1 < page.pages:
        buttons.append(Button("More ▸", f"courses:{page.page + 1}:{q}"))
    return ctx.reply(RichText.join(lines), buttons=[buttons] if buttons else ())


def _fit_query(query: str) -> str:
    """Keep the query inside Telegram's 64-byte callback payload (with the 'courses:NNNN:' prefix), cut at a word
    boundary where there is one, so the next page searches whole words."""
    if len(query.encode()) <= 48:
        return query
    out = query
    while len(out.encode()) > 48:
        out = out[:-1]
    space = out.rfind(" ")
    if space > 0 and not query[len(out)].isspace():
        out = out[:space]
    return out.rstrip()


async def courses_page(ctx: Context, query: str, page: int) -> Reply:
    found = await ctx.db(course_page, group_id=ctx.group_id, query=query, page=page, page_size=PAGE)
    return render_courses_page(ctx, found)


# ---- commands --------------------------------------------------------------------------------------------------
def register(d: Dispatcher, sv: Services) -> None:

    @d.command(
        "courses",
        help="search the catalogue by title, description or tag",
        usage="/courses [query]",
        args=(ArgSpec("query", "words to search for", kind="text"),),
        category="Courses",
    )
    async def courses(ctx: Context) -> Reply:
        return await courses_page(ctx, ctx.arg_text.strip()[:200], 0)

    @d.button("courses", audience="anyone")  # paging a search: anyone may
    async def courses_more(ctx: Context, data: str) -> Reply:
        page_raw, _, query = data.partition(":")
        try:
            page = parse_int(page_raw, low=0, high=MAX_PAGE)
        except NumberError:
            raise UserError("That button has expired. Try /courses again.") from None
        return await courses_page(ctx, query[:200], page)

    @d.command(
        "course",
        help="details of one course with its rating in this group",
        usage="/course ID",
        args=(ArgSpec("id", "course number", kind="int", required=True),),
        category="Courses",
    )
    async def course(ctx: Context) -> RichText:
        course_id = single_course_id(ctx)
        details = await ctx.db(
            course_details, group_id=ctx.group_id, member_id=ctx.member_id, course_id=course_id
        )
        if details is None:
            raise no_such_course(course_id)
        return render_course_details(details)

    @d.command(
        "rate",
        help="rate a course from 1 (poor) to 5 (excellent); rating again updates it",
        usage="/rate ID 1-5",
        args=(
            ArgSpec("id", "course number", kind="int", required=True),
            ArgSpec("stars", "1 to 5", kind="int", required=True),
        ),
        category="Courses",
    )
    async def rate(ctx: Context) -> RichText:
        if len(ctx.args) != 2:
            raise UsageError()
        course_id = parse_course_id(ctx.args[0])
        raw = ctx.args[1]
        try:
            stars = parse_int(raw, low=1, high=5)
        except NumberError as e:
            if e.reason == "range":
                raise UsageError(f"A rating is from 1 to 5, not {shown(raw)}.") from None
            raise UsageError(f"“{shown(raw)}” is not a whole number from 1 to 5.") from None
        rated = await ctx.db(
            rate_course,
            group_id=ctx.group_id,
            member_id=ctx.member_id,
            course_id=course_id,
            stars=stars,
            at=ctx.clock.now(),
        )
        if rated is None:
            raise no_such_course(course_id, consequence=", so nothing was rated")
        verb = "Rated" if rated.created else "Updated your rating:"
        return T(
            f"{verb} ",
            bold(rated.course.title),
            f" {stars}/5. Group average now {rated.average:.1f} from {rated.count}.",
        )
