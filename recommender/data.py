"""Interaction data for the recommender: id maps, weighted COO arrays, optional texts and features.

Plain records ``(user_id, item_id, kind, value, timestamp)`` are turned into one weight per (user, item)
pair by :func:`interaction_weight` and :func:`aggregate_records`. Weights of evidence kinds:

==========================  ===============================  ===============================================
kind                        value                            weight before time decay
==========================  ===============================  ===============================================
``rating``                  explicit rating (e.g. 1..5)      ``r >= min_rating``: ``1.0 + 0.5 (r - min_rating)``
                                                             (4 -> 1.0, 5 -> 1.5 with the default 4);
                                                             below: ``-min(1, 0.5 (min_rating - r))``
                                                             (3 -> -0.5, 2 and 1 -> -1.0). Only the latest
                                                             rating of a pair counts.
``mention``                 sentiment in [-1, 1]             ``0.6 s`` for ``s >= 0``; ``s`` for ``s < 0``
``reaction``                ignored                          ``0.3``
``rsvp``                    ignored                          ``0.5``
``buddy_shared``            ignored                          ``0.4``
``feedback_interested``     ignored                          ``0.8``
``feedback_not_for_me``     ignored                          ``-1.0``
==========================  ===============================  ===============================================

Each weight is multiplied by ``0.5 ** (age_days / half_life_days)`` (exponential time decay; ``age`` is
measured from ``now``, by default the newest record; ``half_life_days=None`` disables decay). Non-rating
weights of one pair are summed with the rating weight and the sum is clipped to ``[-1.5, 2.5]``.

Negative evidence stays in the data as a negative weight: a pair with weight <= 0 is never a positive
(not in :meth:`InteractionData.positive_matrix`), but it is "seen" (in :meth:`InteractionData.seen_matrix`),
so ``exclude_seen`` keeps "not for me" courses out of recommendations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

KINDS = (
    "rating",
    "mention",
    "reaction",
    "rsvp",
    "buddy_shared",
    "feedback_interested",
    "feedback_not_for_me",
)
FIXED_WEIGHTS = {
    "reaction": 0.3,
    "rsvp": 0.5,
    "buddy_shared": 0.4,
    "feedback_interested": 0.8,
    "feedback_not_for_me": -1.0,
}
WEIGHT_CLIP = (-1.5, 2.5)
SECONDS_PER_DAY = 86_400.0

Record = tuple[Hashable, Hashable, str, float, float]
"""``(user_id, item_id, kind, value, timestamp_seconds)``."""


def rating_weight(rating: float, *, min_rating: float = 4.0) -> float:
    """Weight of an explicit rating: positive from ``min_rating`` up, negative below it."""
    if rating >= min_rating:
        return 1.0 + 0.5 * (rating - min_rating)
    return -min(1.0, 0.5 * (min_rating - rating))


def interaction_weight(kind: str, value: float, *, min_rating: float = 4.0) -> float:
    """Weight of one piece of evidence before time decay (see the module table)."""
    if kind == "rating":
        return rating_weight(value, min_rating=min_rating)
    if kind == "mention":
        s = float(np.clip(value, -1.0, 1.0))
        return 0.6 * s if s >= 0 else s
    if kind in FIXED_WEIGHTS:
        return FIXED_WEIGHTS[kind]
    raise ValueError(f"unknown evidence kind {kind!r}; expected one of {', '.join(KINDS)}")


def time_decay(age_seconds: np.ndarray, half_life_days: float | None) -> np.ndarray:
    """Decay factor ``0.5 ** (age / half_life)``; ages below zero count as zero. Shape as ``age_seconds``."""
    if half_life_days is None:
        return np.ones_like(age_seconds, dtype=np.float64)
    age_days = np.maximum(age_seconds, 0.0) / SECONDS_PER_DAY
    return np.power(0.5, age_days / float(half_life_days))


def aggregate_records(
    records: Iterable[Record],
    *,
    min_rating: float = 4.0,
    half_life_days: float | None = 180.0,
    now: float | None = None,
) -> list[tuple[Hashable, Hashable, float, float]]:
    """Combine records into one ``(user_id, item_id, weight, last_timestamp)`` per pair."""
    rows = list(records)
    if not rows:
        return []
    stamps = np.array([float(r[4]) for r in rows], dtype=np.float64)
    ref = float(stamps.max()) if now is None else float(now)
    decay = time_decay(ref - stamps, half_life_days)
    latest_rating: dict[tuple[Hashable, Hashable], tuple[float, float]] = {}
    other: dict[tuple[Hashable, Hashable], float] = {}
    last_ts: dict[tuple[Hashable, Hashable], float] = {}
    for (user, item, kind, value, ts), factor in zip(rows, decay, strict=True):
        key = (user, item)
        w = interaction_weight(kind, float(value), min_rating=min_rating) * float(factor)
        if kind == "rating":
            prev = latest_rating.get(key)
            if prev is None or float(ts) >= prev[0]:
                latest_rating[key] = (float(ts), w)
        else:
            other[key] = other.get(key, 0.0) + w
        last_ts[key] = max(last_ts.get(key, -np.inf), float(ts))
    out = []
    for key, ts in last_ts.items():
        w = latest_rating.get(key, (0.0, 0.0))[1] + other.get(key, 0.0)
        out.append((key[0], key[1], float(np.clip(w, *WEIGHT_CLIP)), ts))
    return out


def _index(ids: Sequence[Hashable]) -> dict[Hashable, int]:
    index = {x: i for i, x in enumerate(ids)}
    if len(index) != len(ids):
        raise ValueError("duplicate ids in id list")
    return index


@dataclass(frozen=True)
class InteractionData:
    """Users x items interactions in COO form with external <-> internal id maps.

    ``users``, ``items``: int64 ``[nnz]`` internal indices; ``weights``: float32 ``[nnz]`` (negative =
    negative evidence); ``timestamps``: float64 ``[nnz]`` seconds. Optional side information:
    ``item_texts`` (``n_items`` strings), ``item_features`` ``[n_items, f_i]``, ``user_texts``
    (``n_users`` strings, "" when unknown), ``user_features`` ``[n_users, f_u]``.
    """

    user_ids: tuple[Hashable, ...]
    item_ids: tuple[Hashable, ...]
    users: np.ndarray
    items: np.ndarray
    weights: np.ndarray
    timestamps: np.ndarray
    item_texts: tuple[str, ...] | None = None
    item_features: np.ndarray | None = None
    user_texts: tuple[str, ...] | None = None
    user_features: np.ndarray | None = None
    user_index: dict[Hashable, int] = field(init=False, repr=False, compare=False)
    item_index: dict[Hashable, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_index", _index(self.user_ids))
        object.__setattr__(self, "item_index", _index(self.item_ids))
        n = len(self.users)
        if not (len(self.items) == len(self.weights) == len(self.timestamps) == n):
            raise ValueError("users, items, weights and timestamps must have the same length")
        if n and (self.users.max() >= self.n_users or self.items.max() >= self.n_items):
            raise ValueError("interaction index out of range of the id maps")
        if self.item_texts is not None and len(self.item_texts) != self.n_items:
            raise ValueError("item_texts must have one text per item")
        if self.user_texts is not None and len(self.user_texts) != self.n_users:
            raise ValueError("user_texts must have one text per user")
        if self.user_features is not None and (
            np.ndim(self.user_features) != 2 or len(self.user_features) != self.n_users
        ):
            raise ValueError("user_features must be [n_users, f_u]")

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def nnz(self) -> int:
        return len(self.users)

    @classmethod
    def from_arrays(
        cls,
        user_ids: Sequence[Hashable],
        item_ids: Sequence[Hashable],
        users: np.ndarray,
        items: np.ndarray,
        weights: np.ndarray,
        timestamps: np.ndarray | None = None,
        **side: Any,
    ) -> InteractionData:
        """Build from internal index arrays (``[nnz]`` each); ``side`` takes the optional fields."""
        n = len(users)
        ts = np.zeros(n) if timestamps is None else np.asarray(timestamps, dtype=np.float64)
        return cls(
            tuple(user_ids),
            tuple(item_ids),
            np.asarray(users, dtype=np.int64),
            np.asarray(items, dtype=np.int64),
            np.asarray(weights, dtype=np.float32),
            ts,
            **side,
        )

    @classmethod
    def from_records(
        cls,
        records: Iterable[Record],
        *,
        item_ids: Sequence[Hashable] | None = None,
        item_texts: Sequence[str] | None = None,
        user_texts: dict[Hashable, str] | None = None,
        user_features: Mapping[Hashable, Sequence[float] | np.ndarray] | None = None,
        min_rating: float = 4.0,
        half_life_days: float | None = 180.0,
        now: float | None = None,
    ) -> InteractionData:
        """Build from plain ``(user_id, item_id, kind, value, timestamp)`` records.

        ``item_ids``/``item_texts`` list the catalogue (items without interactions included); items seen
        only in records are appended with empty text. ``user_texts`` maps a user id to what they wrote.
        ``user_features`` maps a user id to a feature vector ``[f_u]`` (same length for all); users missing
        from it get zeros, and ids that are not users of the data (no records, no text) are ignored.
        """
        pairs = aggregate_records(records, min_rating=min_rating, half_life_days=half_life_days, now=now)
        catalogue = list(item_ids) if item_ids is not None else []
        texts = list(item_texts) if item_texts is not None else None
        known = set(catalogue)
        users: list[Hashable] = []
        user_pos: dict[Hashable, int] = {}
        for u, i, _, _ in pairs:
            if u not in user_pos:
                user_pos[u] = len(users)
                users.append(u)
            if i not in known:
                known.add(i)
                catalogue.append(i)
                if texts is not None:
                    texts.append("")
        for u in user_texts or {}:
            if u not in user_pos:
                user_pos[u] = len(users)
                users.append(u)
        item_pos = {x: k for k, x in enumerate(catalogue)}
        u_arr = np.array([user_pos[p[0]] for p in pairs], dtype=np.int64)
        i_arr = np.array([item_pos[p[1]] for p in pairs], dtype=np.int64)
        w_arr = np.array([p[2] for p in pairs], dtype=np.float32)
        t_arr = np.array([p[3] for p in pairs], dtype=np.float64)
        utexts = tuple((user_texts or {}).get(u, "") for u in users) if user_texts else None
        ufeats = None
        if user_features:
            dims = {len(np.asarray(v).reshape(-1)) for v in user_features.values()}
            if len(dims) != 1:
                raise ValueError(f"user_features vectors differ in length: {sorted(dims)}")
            ufeats = np.zeros((len(users), dims.pop()), dtype=np.float32)
            for k, u in enumerate(users):
                if u in user_features:
                    ufeats[k] = np.asarray(user_features[u], dtype=np.float32).reshape(-1)
        return cls(
            tuple(users),
            tuple(catalogue),
            u_arr,
            i_arr,
            w_arr,
            t_arr,
            item_texts=tuple(texts) if texts is not None else None,
            user_texts=utexts,
            user_features=ufeats,
        )

    def with_interactions(self, mask: np.ndarray) -> InteractionData:
        """Same id maps and side information, only the interactions where ``mask`` ``[nnz]`` is true."""
        return replace(
            self,
            users=self.users[mask],
            items=self.items[mask],
            weights=self.weights[mask],
            timestamps=self.timestamps[mask],
        )

    def _csr(self, values: np.ndarray, mask: np.ndarray) -> sp.csr_matrix:
        m = sp.csr_matrix(
            (values[mask], (self.users[mask], self.items[mask])),
            shape=(self.n_users, self.n_items),
            dtype=np.float32,
        )
        m.sum_duplicates()
        return m

    def positive_matrix(self) -> sp.csr_matrix:
        """CSR ``[n_users, n_items]`` of positive weights (negative evidence left out)."""
        return self._csr(self.weights, self.weights > 0)

    def seen_matrix(self) -> sp.csr_matrix:
        """CSR ``[n_users, n_items]`` of ones for every interacted pair, negative ones included."""
        return self._csr(np.ones_like(self.weights), np.ones(self.nnz, dtype=bool))

    def fingerprint(self) -> str:
        """SHA-256 over ids and interactions, to tell which data a model was trained on.

        Side information about users (texts, features) is left out on purpose: member features drift with
        time (30-day windows) and would make every nightly run look like new data; served members get their
        current features by fold-in anyway."""
        h = hashlib.sha256()
        h.update(repr(self.user_ids).encode())
        h.update(repr(self.item_ids).encode())
        for arr in (self.users, self.items, self.weights, self.timestamps):
            h.update(np.ascontiguousarray(arr).tobytes())
        if self.item_texts is not None:
            h.update("\x1f".join(self.item_texts).encode())
        return h.hexdigest()
