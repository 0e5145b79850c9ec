"""The training set read from the store: interactions, course texts, member texts and member features."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime

import numpy as np
from sqlmodel import Session

from community.recommendations.features import course_text, member_texts, training_features
from community.signals.records import interaction_records
from recommender import InteractionData
from storage.crud import courses as course_crud


def training_data(s: Session, *, group_id: int | None, now: datetime) -> InteractionData:
    """Everything the model learns from, of all groups (`group_id=None`) or of one (no member texts or features
    when there are no interactions: nothing could be learnt from them)."""
    courses = course_crud.list_courses(s)
    records = interaction_records(s, group_id=group_id)
    texts: dict[Hashable, str] = {}
    feats: dict[Hashable, np.ndarray] = {}
    if records:  # without interactions there is nothing to learn: skip the pass over every message
        texts = {k: v for k, v in member_texts(s, group_id=group_id).items()}
        feats = {k: v for k, v in training_features(s, group_id=group_id, now=now).items()}
    return InteractionData.from_records(
        records,
        item_ids=[c.id for c in courses],
        item_texts=[course_text(c) for c in courses],
        user_texts=texts,
        user_features=feats or None,
    )
