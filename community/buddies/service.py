"""BuddyService: what a running bot calls for rounds, `/buddy me`, scheduled rounds and the check-in poll.

Each method takes a session first (run it off the event loop with `store.run` or `ctx.db`) and returns plain,
addressed data; the bot words it and sends it (`bot/commands/buddies.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlmodel import Session

from community.buddies.audience import Audience, audience
from community.buddies.checkins import CheckinNotice, process_checkins
from community.buddies.first_step import RecommendFn
from community.buddies.interests import Encoder, interest_encoder
from community.buddies.plans import claim_scheduled_run
from community.buddies.profiles import group_timezone
from community.buddies.rounds import NotEligible, RoundOutcome, request_partner, run_round
from community.buddies.status import BuddyState, buddy_status


class _Course(Protocol):
    @property
    def id(self) -> int | None: ...


class _Pick(Protocol):
    @property
    def course(self) -> _Course: ...


class CoursePicks(Protocol):
    """What first steps need of the recommender service (`community.recommendations.service`)."""

    def recommend(self, s: Session, *, group_id: int, member_id: int, n: int) -> tuple[Sequence[_Pick], bool]:
        """(picks, personalised): personalised is False for popular-in-group picks."""
        ...


@dataclass(frozen=True)
class RoundReport:
    """A round's outcome and who to tell: a summary for the group, an introduction for each matched member."""

    outcome: RoundOutcome
    audience: Audience


@dataclass(frozen=True)
class PartnerRequest:
    """`/buddy me`: "not_eligible" (why: `state`), "waiting" (on the list) or "matched" (`report`)."""

    status: Literal["not_eligible", "waiting", "matched"]
    report: RoundReport | None = None
    state: BuddyState | None = None  # the member's buddy state when not eligible (opted out, paused, ...)


class BuddyService:
    def __init__(
        self,
        *,
        recommender: CoursePicks | None,
        embedding_model: str,
        default_timezone: str = "UTC",
        multilingual: bool = True,
    ) -> None:
        self.recommender = recommender
        self.embedding_model = embedding_model
        self.default_timezone = default_timezone
        self.multilingual = multilingual  # Settings.buddy_multilingual (COHORT_BUDDY_MULTILINGUAL)
        self._encoder: Encoder | None = None

    @property
    def encoder(self) -> Encoder:
        """The interest encoder, loaded on first use (a model load: keep it off the event loop)."""
        if self._encoder is None:
            self._encoder = interest_encoder(self.embedding_model)
        return self._encoder

    def recommend_fn(self) -> RecommendFn | None:
        """Personal course picks from the recommender service when it runs (first steps of new matches)."""
        rec = self.recommender
        if rec is None:
            return None

        def pick(s: Session, group_id: int, member_id: int, n: int) -> list[int]:
            picks, personalised = rec.recommend(s, group_id=group_id, member_id=member_id, n=n)
            # Popular-in-group picks say nothing about the pair: the shared-topic search is better then.
            return [p.course.id for p in picks if p.course.id is not None] if personalised else []

        return pick

    def round(self, s: Session, *, group_id: int, now: datetime) -> RoundReport:
        """Match every eligible member of the group now (`/buddy round`)."""
        outcome = run_round(
            s,
            group_id=group_id,
            now=now,
            encoder=self.encoder,
            default_tz=group_timezone(s, group_id=group_id, default=self.default_timezone),
            recommend=self.recommend_fn(),
            multilingual=self.multilingual,
        )
        return self._report(s, group_id=group_id, outcome=outcome)

    def scheduled_round(self, s: Session, *, group_id: int, now: datetime) -> RoundReport | None:
        """The group's scheduled round when its plan says it runs now (biweekly skips a week); else None."""
        if not claim_scheduled_run(s, group_id=group_id, now=now):
            return None
        return self.round(s, group_id=group_id, now=now)

    def request_partner(self, s: Session, *, group_id: int, member_id: int, now: datetime) -> PartnerRequest:
        """`/buddy me`: a partner among the members also waiting, else a place on the waiting list."""
        try:
            outcome = request_partner(
                s,
                group_id=group_id,
                member_id=member_id,
                now=now,
                encoder=self.encoder,
                default_tz=group_timezone(s, group_id=group_id, default=self.default_timezone),
                recommend=self.recommend_fn(),
                multilingual=self.multilingual,
            )
        except NotEligible:
            state = buddy_status(s, group_id=group_id, member_id=member_id, now=now).state
            return PartnerRequest("not_eligible", state=state)
        if outcome is None:
            return PartnerRequest("waiting")
        return PartnerRequest("matched", self._report(s, group_id=group_id, outcome=outcome))

    def poll_checkins(self, s: Session, *, now: datetime) -> list[CheckinNotice]:
        """Ask due check-ins and pause members who ignored three, in every group; the notices to send."""
        return process_checkins(s, now=now)

    def _report(self, s: Session, *, group_id: int, outcome: RoundOutcome) -> RoundReport:
        members = sorted({m for pm in outcome.matches for m in pm.member_ids})
        where = audience(s, group_id=group_id, member_ids=members)
        if where is None:
            raise LookupError(f"group {group_id} does not exist")
        return RoundReport(outcome, where)
