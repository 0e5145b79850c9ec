"""What the course commands show, as plain data: a course line, a course's details, a page of results, a rating."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Course


def price_text(c: Course) -> str:
    return "free" if c.is_free else f"{c.price:g} {c.currency}"


@dataclass(frozen=True)
class CourseLine:
    """One course in a list: number, title, level, price, and the group's average rating when there is one."""

    id: int
    title: str
    level: str
    price: str
    average: float | None = None

    @classmethod
    def of(cls, c: Course, *, average: float | None = None) -> CourseLine:
        return cls(id=c.id or 0, title=c.title, level=c.level, price=price_text(c), average=average)


@dataclass(frozen=True)
class CourseDetails:
    """One course with its rating in the asking group (`count` ratings, `mine` = the asker's own, if any)."""

    id: int
    title: str
    description: str
    level: str
    price: str
    language: str
    tags: tuple[str, ...]
    url: str | None
    average: float | None
    count: int
    mine: float | None


@dataclass(frozen=True)
class CoursePage:
    """One page of a catalogue search (`page` counts from 0; `pages` is 0 when nothing matched). `searchable` is
    False for a query with nothing to search by (no letters or digits, e.g. "%"): nothing is listed then."""

    query: str
    total: int
    page: int
    pages: int
    lines: tuple[CourseLine, ...]
    searchable: bool = True


@dataclass(frozen=True)
class RatingOutcome:
    """A stored rating: the course, the stars, whether it was new, and the group's average and count after it."""

    course: CourseLine
    stars: int
    created: bool
    average: float
    count: int
