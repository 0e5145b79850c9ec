"""Fixtures of the recommender tests (data built in ``rec_synthetic``)."""

from __future__ import annotations

import numpy as np
import pytest
from rec_synthetic import cluster_records

from recommender.data import InteractionData


@pytest.fixture(scope="session")
def clusters() -> InteractionData:
    records, item_ids, texts = cluster_records()
    return InteractionData.from_records(records, item_ids=item_ids, item_texts=texts, half_life_days=None)


@pytest.fixture(scope="session")
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
