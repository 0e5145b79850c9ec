"""Why a course was picked, as data: one small frozen type per kind of reason; `bot/` words and formats them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session

from recommender import HybridRecommender
from recommender.model import FoldedUser
from storage.crud import courses as course_crud
from storage.models import Course

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GoodFit:
    """The model picked it but could not say why."""


@dataclass(frozen=True)
class NewCourseCloseTo:
    """A course the model has no interactions for, close (by text) to one the member knows."""

    title: str


@dataclass(frozen=True)
class YouRated:
    """Close to a course the member rated `stars` (1–5) in this group."""

    title: str
    stars: float


@dataclass(frozen=True)
class YouShowedInterest:
    """Close to a course the member mentioned, reacted to, signed up for or pressed "interested" on."""

    title: str


@dataclass(frozen=True)
class CloseToYourMessages:
    """Close to what the member writes in this group."""


@dataclass(frozen=True)
class PopularWithMembers:
    """The model's popularity prior."""


@dataclass(frozen=True)
class PopularInGroup:
    """Rated well in this group: `average` stars from `count` ratings."""

    average: float
    count: int


@dataclass(frozen=True)
class FreeStart:
    """A free beginner course of the catalogue (cold start)."""


Reason = (
    GoodFit
    | NewCourseCloseTo
    | YouRated
    | YouShowedInterest
    | CloseToYourMessages
    | PopularWithMembers
    | PopularInGroup
    | FreeStart
)


def explain_pick(
    s: Session,
    model: HybridRecommender,
    state: FoldedUser,
    course_id: int,
    *,
    courses: Mapping[int | None, Course],
    group_id: int,
    member_id: int,
) -> Reason:
    """The reason for one pick; names only this group's evidence and catalogue titles."""
    try:
        why = model.explain(state, course_id)
    except Exception:  # an explanation must never break a recommendation
        log.debug("no explanation for course %s", course_id, exc_info=True)
        return GoodFit()
    evidence = courses.get(int(why.evidence_item_id)) if why.evidence_item_id is not None else None  # type: ignore[call-overload]
    if why.kind == "new_item" and evidence is not None:
        return NewCourseCloseTo(evidence.title)
    if why.kind == "interacted" and evidence is not None:
        stars = course_crud.member_rating(
            s, group_id=group_id, member_id=member_id, course_id=evidence.id or 0
        )
        if stars is not None:
            return YouRated(evidence.title, stars)
        return YouShowedInterest(evidence.title)
    if why.kind == "text":
        return CloseToYourMessages()
    return PopularWithMembers()
