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

    @property
    def trained(self) -> bool:
        return self.status == "trained"

    @property
    def message(self) -> str:
        """One line for logs and the `cohort train` command."""
        if self.status == "no_data":
            return "Nothing to learn from yet: no ratings or other signals in the store."
        if self.status == "unchanged":
            return "Skipped: the data has not changed since the last model."
        return f"Trained on {self.interactions} interactions of {self.members} members and {self.courses} courses."
