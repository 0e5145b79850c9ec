"""What the model learns a member and a course from: course text, a member's recent text, member activity features.

Member features (``InteractionData.user_features``, the user tower's ``f_u``), from
:func:`community.signals.activity.member_activity` of a group, :func:`member_features`, ``[6]`` float32::

    0  log1p(messages in the last 30 days) / 5
    1  active days in the last 30 days / 30
    2  min(current streak, 30) / 30
    3  log1p(helpful answers in the last 30 days) / 3
    4  log1p(reactions received in the last 30 days) / 5
    5  mean sentiment of the member's messages (all time, in [-1, 1]; 0 when none is scored)

Members with no activity, and members who opted out of signals in that group, get zeros (= "unknown").
Training (all groups): a member active in several groups gets the features of the group where they wrote
most in the last 30 days (ties: most messages all time, then the lower group id), not an average, so a
member who is busy in one group and silent in another is not averaged into a lukewarm one. Serving uses the
features of the member in the group asking (cached by the service, see `service.py`).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlmodel import Session

from community.signals.activity import ActivitySignals, member_activity
from storage.crud import recommendations as crud
from storage.models import Course

N_MEMBER_FEATURES = 6
MEMBER_TEXT_MESSAGES = 50
MEMBER_TEXT_CHARS = 4_000


def course_text(c: Course) -> str:
    return " ".join(p for p in (c.title, c.description, " ".join(c.tags)) if p)


def member_texts(s: Session, *, group_id: int | None, member_id: int | None = None) -> dict[int, str]:
    """Each member's last `MEMBER_TEXT_MESSAGES` messages (oldest first, clipped to `MEMBER_TEXT_CHARS`).

    `group_id=None` reads every group (training only); `member_id` restricts it to one member."""
    limit = MEMBER_TEXT_MESSAGES if member_id is not None else None
    out: dict[int, list[str]] = {}
    for mid, text in crud.message_texts(s, group_id=group_id, member_id=member_id, limit=limit):
        parts = out.setdefault(mid, [])
        if len(parts) < MEMBER_TEXT_MESSAGES:
            parts.append(text)
    return {mid: " ".join(reversed(parts))[:MEMBER_TEXT_CHARS] for mid, parts in out.items()}


def member_features(a: ActivitySignals | None) -> np.ndarray:
    """The member feature vector ``[N_MEMBER_FEATURES]`` of the module docstring (zeros: none / opted out)."""
    if a is None or a.opted_out:
        return np.zeros(N_MEMBER_FEATURES, dtype=np.float32)
    m = a.month
    return np.array(
        [
            np.log1p(m.messages) / 5.0,
            min(m.active_days, 30) / 30.0,
            min(a.streak, 30) / 30.0,
            np.log1p(m.helpful_answers) / 3.0,
            np.log1p(m.reactions_received) / 5.0,
            float(np.clip(a.sentiment_written or 0.0, -1.0, 1.0)),
        ],
        dtype=np.float32,
    )


def activity_rank(a: ActivitySignals, group_id: int) -> tuple[int, int, int]:
    """Order of a member's groups for training features: most 30-day messages, then all-time, then lower id."""
    return (a.month.messages, a.all_time.messages, -group_id)


def group_features(s: Session, *, group_id: int, now: datetime) -> dict[int, np.ndarray]:
    """``{member_id: [N_MEMBER_FEATURES]}`` of one group's members, as serving uses them."""
    return {mid: member_features(a) for mid, a in member_activity(s, group_id=group_id, now=now).items()}


def training_features(s: Session, *, group_id: int | None, now: datetime) -> dict[int, np.ndarray]:
    """Member features ``{member_id: [N_MEMBER_FEATURES]}`` for training: one group's, or for all groups
    the features from each member's most active group (see the module docstring)."""
    group_ids = [group_id] if group_id is not None else crud.group_ids(s)
    best: dict[int, tuple[tuple[int, int, int], ActivitySignals]] = {}
    for gid in group_ids:
        for mid, a in member_activity(s, group_id=gid, now=now).items():
            rank = activity_rank(a, gid)
            if mid not in best or rank > best[mid][0]:
                best[mid] = (rank, a)
    return {mid: member_features(a) for mid, (_, a) in best.items()}
