"""What the recommender service returns: picks with their reasons, similar courses, the outcome of a training run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from community.courses.views import CourseLine
from community.recommendations.reasons import Reason


@dataclass(frozen=True)
class Pick:
    """A recommended course, its score, and why (a :data:`Reason`)."""

    course: CourseLine
    score: float
    reason: Reason


@dataclass(frozen=True)
class Recommendation:
    """Picks for one member: `personal` when the model chose them; else the group's popular courses, and
    `untrained` says why when the member has given signals: no model is trained yet to learn from them."""

    picks: list[Pick]
    personal: bool
    untrained: bool = False


@dataclass(frozen=True)
class SimilarCourse:
    course: CourseLine
    score: float


@dataclass(frozen=True)
class TrainOutcome:
    """A training run: `status` says whether a model was trained, or why not; counts describe the data."""

    status: Literal["trained", "no_data", "unchanged"]
    interactions: int = 0
    members: int = 0
    courses: int = 0
    path: Path | None = None
    metrics: dict[str, float] | None = None
    removed: int = 0  # saved model versions deleted (older than the kept ones, or of data that is gone)

    @property
    def trained(self) -> bool:
        return self.status == "trained"

    @property
    def message(self) -> str:
        """One line for logs and the `cohort train` command."""
        if self.status == "no_data":
            line = "Nothing to learn from yet: no ratings or other signals in the store."
        elif self.status == "unchanged":
            line = "Skipped: the data has not changed since the last model."
        else:
            line = (
                f"Trained on {_count(self.interactions, 'interaction')} of {_count(self.members, 'member')} "
                f"and {_count(self.courses, 'course')}."
            )
        if self.removed:
            kind = "older" if self.trained else "saved"
            line += f" Deleted {_count(self.removed, f'{kind} model version')}."
        return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
