"""Scheduled rounds: a group's plan (weekly or biweekly, a weekday and a time in a zone), kept in the group's
settings so that the bot re-creates its cron job at every start, and the biweekly spacing of scheduled runs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from community.members.timezones import checked_zone
from storage.crud import buddies as crud

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CADENCES = ("weekly", "biweekly")
BIWEEKLY_GAP = timedelta(days=10)  # the weekly trigger fires; a biweekly plan runs when the last run is older


@dataclass(frozen=True)
class RoundPlan:
    cadence: str  # weekly | biweekly
    day: str  # mon … sun
    time: str  # "10:00" (local time in `tz`)
    tz: str = "UTC"
    last_run: datetime | None = None

    @property
    def hour(self) -> int:
        return int(self.time.split(":")[0])

    @property
    def minute(self) -> int:
        return int(self.time.split(":")[1])

    def as_dict(self) -> dict[str, str]:
        out = {"cadence": self.cadence, "day": self.day, "time": self.time, "tz": self.tz}
        if self.last_run is not None:
            out["last_run"] = self.last_run.isoformat()
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RoundPlan:
        """A stored plan; KeyError or ValueError when it is unreadable."""
        cadence, day, time = str(raw["cadence"]), str(raw["day"]), str(raw["time"])
        if cadence not in CADENCES or day not in DAYS:
            raise ValueError(f"not a round plan: {dict(raw)!r}")
        hour, minute = (int(x) for x in time.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError(f"not a time of day: {time!r}")
        last = raw.get("last_run")
        tz = checked_zone(str(raw.get("tz") or "UTC"), what="a buddy round plan")
        return cls(cadence, day, time, tz, datetime.fromisoformat(last) if last else None)


def get_plan(s: Session, *, group_id: int) -> RoundPlan | None:
    """The group's plan; None when rounds are not scheduled (or the stored plan is unreadable)."""
    raw = crud.round_plan(s, group_id=group_id)
    if not raw:
        return None
    try:
        return RoundPlan.from_dict(raw)
    except (KeyError, ValueError):
        log.warning("group %s has an unreadable buddy round plan", group_id)
        return None


def set_plan(s: Session, *, group_id: int, plan: RoundPlan | None) -> None:
    """Store the group's plan (None: scheduled rounds off)."""
    crud.set_round_plan(s, group_id=group_id, plan=plan.as_dict() if plan is not None else None)


def all_plans(s: Session) -> list[tuple[int, RoundPlan]]:
    """(group id, plan) of every group with scheduled rounds; unreadable plans are logged and left out."""
    out: list[tuple[int, RoundPlan]] = []
    for group_id, raw in crud.round_plans(s):
        try:
            out.append((group_id, RoundPlan.from_dict(raw)))
        except (KeyError, ValueError):
            log.warning("group %s has an unreadable buddy round plan; not scheduled", group_id)
    return out


def claim_scheduled_run(s: Session, *, group_id: int, now: datetime) -> bool:
    """Whether the group's scheduled round runs now (it records the run); False when no plan is stored or a
    biweekly plan ran less than `BIWEEKLY_GAP` ago (the weekly trigger skips every other week)."""
    plan = get_plan(s, group_id=group_id)
    if plan is None:
        return False
    if plan.cadence == "biweekly" and plan.last_run is not None and now - plan.last_run < BIWEEKLY_GAP:
        return False
    set_plan(s, group_id=group_id, plan=replace(plan, last_run=now))
    return True
