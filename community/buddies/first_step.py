"""A first step for a new match: a course they would all like (the recommender's shared pick, else a catalogue
search by their shared topics)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from community.courses.search import search_courses
from storage.crud import buddies as crud
from storage.crud import courses as course_crud
from storage.models import Course

log = logging.getLogger(__name__)

# (session, group_id, member_id, n) -> course ids, best first; [] when the recommender has nothing personal.
RecommendFn = Callable[[Session, int, int, int], list[int]]
RECOMMENDER_BUDGET_S = 5.0  # per round: large rounds fall back to catalogue search once it is spent


@dataclass(frozen=True)
class FirstStep:
    """A course to take together."""

    course_id: int
    title: str


def first_step(
    s: Session,
    *,
    group_id: int,
    member_ids: Sequence[int],
    topics: Sequence[str],
    recommend: RecommendFn | None = None,
    catalog: Sequence[Course] | None = None,
    rated: set[int] | None = None,
) -> FirstStep | None:
    """A course both would like: the recommender's best shared pick when it runs, else a catalogue search by the
    shared topics. Courses one of them rated already come last. `catalog`/`rated` let a round load them once."""
    if rated is None:
        rated = set().union(*crud.rated_course_ids(s, group_id=group_id, member_ids=member_ids).values())
    course = _recommended(s, member_ids=member_ids, group_id=group_id, recommend=recommend, rated=rated)
    if course is None and topics:
        found = search_courses(
            catalog if catalog is not None else course_crud.list_courses(s), " ".join(topics)
        )
        fresh = [c for c in found if c.id not in rated]
        best = fresh or found
        course = best[0] if best else None
    if course is None or course.id is None:
        return None
    return FirstStep(course.id, course.title)


def _recommended(
    s: Session, *, group_id: int, member_ids: Sequence[int], recommend: RecommendFn | None, rated: set[int]
) -> Course | None:
    """The best course every member gets among their 20 personal picks (lowest summed rank), not yet rated."""
    if recommend is None:
        return None
    try:
        ranks: Counter[int] = Counter()
        hits: Counter[int] = Counter()
        for m in member_ids:
            for rank, cid in enumerate(recommend(s, group_id, m, 20)):
                ranks[cid] += rank
                hits[cid] += 1
        both = [c for c in hits if hits[c] == len(member_ids) and c not in rated]
        if both:
            return course_crud.get_course(s, course_id=min(both, key=lambda c: ranks[c]))
    except Exception:  # a model that is not trained yet must not stop the round
        log.exception("recommender failed while suggesting a first step")
    return None
