"""The ``Recommender`` interface shared by the hybrid model and every baseline, plus save/load plumbing.

Models are saved with ``torch.save`` as a plain dict (tensors, lists, strings, numbers: never a pickled
module) and loaded with ``torch.load(weights_only=True, map_location=device)``, so a file trained on a GPU
loads on a CPU-only machine. Each file carries ``FORMAT_VERSION``; any other version raises
:class:`ModelFormatError` asking the user to retrain.
"""

from __future__ import annotations

import copy
import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Self

import numpy as np
import scipy.sparse as sp
import torch

from recommender.data import InteractionData

FORMAT_VERSION = 2  # 2: optional member-feature term in the user tower (issue 4)


def _plain(x: Any) -> Any:
    """numpy scalars -> Python scalars, so ids survive ``torch.load(weights_only=True)``."""
    return x.item() if isinstance(x, np.generic) else x


class Scored(NamedTuple):
    """An external id and its score (higher is better)."""

    id: Hashable
    score: float


class ModelFormatError(RuntimeError):
    """A saved model has an unknown or outdated format version, or is not a model file of this kind."""


class UnknownIdError(KeyError):
    """A member or course id the model has never seen."""


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` best columns per row, best first: ``[b, n_items]`` -> ``[b, min(n, n_items)]``.

    ``-inf`` marks excluded items; they are returned only when fewer than ``n`` others remain, and callers
    drop them by checking the score.
    """
    n = min(n, scores.shape[1])
    if n <= 0:
        return np.zeros((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def cosine_rows(m: np.ndarray) -> np.ndarray:
    """Row-normalise ``[n, d]`` for cosine similarity (zero rows stay zero)."""
    norm = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norm > 0, norm, 1.0)


def csr_to_state(prefix: str, m: sp.csr_matrix) -> dict[str, Any]:
    """Flatten a CSR matrix into tensors for a state dict."""
    return {
        f"{prefix}.indptr": torch.from_numpy(m.indptr.astype(np.int64)),
        f"{prefix}.indices": torch.from_numpy(m.indices.astype(np.int64)),
        f"{prefix}.data": torch.from_numpy(m.data.astype(np.float32)),
        f"{prefix}.shape": torch.tensor(m.shape, dtype=torch.int64),
    }


def csr_from_state(prefix: str, state: dict[str, Any]) -> sp.csr_matrix:
    shape = tuple(int(x) for x in state[f"{prefix}.shape"].tolist())
    return sp.csr_matrix(
        (
            state[f"{prefix}.data"].numpy(),
            state[f"{prefix}.indices"].numpy(),
            state[f"{prefix}.indptr"].numpy(),
        ),
        shape=shape,
    )


@dataclass
class FittedData:
    """What a fitted model keeps of its training data: id maps and the seen / positive matrices."""

    user_ids: tuple[Hashable, ...]
    item_ids: tuple[Hashable, ...]
    positives: sp.csr_matrix  # [n_users, n_items] positive weights
    seen: sp.csr_matrix  # [n_users, n_items] 1 for any interaction, negative evidence included
    fingerprint: str

    def __post_init__(self) -> None:
        self.user_index = {u: i for i, u in enumerate(self.user_ids)}
        self.item_index = {x: i for i, x in enumerate(self.item_ids)}

    @classmethod
    def of(cls, data: InteractionData) -> FittedData:
        return cls(
            data.user_ids, data.item_ids, data.positive_matrix(), data.seen_matrix(), data.fingerprint()
        )


class Recommender(ABC):
    """Fit on :class:`InteractionData`, then answer with external ids only.

    Subclasses implement ``_fit``, ``_scores`` (``[b]`` user indices -> ``[b, n_items]``), ``_config``,
    ``_state``/``_set_state``; item and member similarity default to co-occurrence cosine.
    """

    name: str = "recommender"

    def __init__(self) -> None:
        self.fitted: FittedData | None = None
        self.metrics: dict[str, Any] = {}

    # ----- training -----
    def fit(self, data: InteractionData, *, progress: bool = True) -> Self:
        """Fit on ``data``; returns ``self``."""
        if data.n_users == 0 or data.n_items == 0:
            raise ValueError("cannot fit a recommender on empty data")
        self.fitted = FittedData.of(data)
        self._fit(data, progress=progress)
        return self

    @abstractmethod
    def _fit(self, data: InteractionData, *, progress: bool) -> None: ...

    @abstractmethod
    def _scores(self, users: np.ndarray) -> np.ndarray:
        """Scores ``[len(users), n_items]`` for internal user indices ``users`` ``[b]``."""

    # ----- helpers -----
    @property
    def _fd(self) -> FittedData:
        if self.fitted is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted")
        return self.fitted

    def _user(self, member_id: Hashable) -> int:
        try:
            return self._fd.user_index[member_id]
        except KeyError:
            raise UnknownIdError(f"unknown member {member_id!r}") from None

    def _item(self, course_id: Hashable) -> int:
        try:
            return self._fd.item_index[course_id]
        except KeyError:
            raise UnknownIdError(f"unknown course {course_id!r}") from None

    def _candidate_mask(self, candidates: Sequence[Hashable] | None) -> np.ndarray | None:
        if candidates is None:
            return None
        mask = np.zeros(len(self._fd.item_ids), dtype=bool)
        for c in candidates:
            if c in self._fd.item_index:
                mask[self._fd.item_index[c]] = True
        return mask

    def _to_scored(self, idx: np.ndarray, scores: np.ndarray, ids: Sequence[Hashable]) -> list[Scored]:
        return [Scored(ids[int(i)], float(scores[int(i)])) for i in idx if np.isfinite(scores[int(i)])]

    # ----- ranking -----
    def top_n_indices(
        self,
        users: np.ndarray,
        *,
        n: int = 10,
        exclude_seen: bool = True,
        candidates: np.ndarray | None = None,
    ) -> np.ndarray:
        """Vectorised top-n for evaluation: internal user indices ``[b]`` -> item indices ``[b, n]``.

        ``candidates`` is an optional boolean item mask ``[n_items]``; excluded slots are ``-1``.
        """
        scores = self._masked_scores(np.asarray(users, dtype=np.int64), exclude_seen, candidates)
        top = top_n(scores, n)
        return np.where(np.isfinite(np.take_along_axis(scores, top, axis=1)), top, -1)

    def _masked_scores(
        self, users: np.ndarray, exclude_seen: bool, candidates: np.ndarray | None
    ) -> np.ndarray:
        scores = np.asarray(self._scores(users), dtype=np.float64)
        if exclude_seen:
            seen = self._fd.seen[users]
            rows = np.repeat(np.arange(len(users)), np.diff(seen.indptr))
            scores[rows, seen.indices] = -np.inf
        if candidates is not None:
            scores[:, ~candidates] = -np.inf
        return scores

    def recommend(
        self,
        member_id: Hashable,
        *,
        n: int = 10,
        exclude_seen: bool = True,
        candidates: Sequence[Hashable] | None = None,
    ) -> list[Scored]:
        """Best ``n`` courses for a known member, external ids, best first."""
        u = self._user(member_id)
        scores = self._masked_scores(np.array([u]), exclude_seen, self._candidate_mask(candidates))[0]
        idx = top_n(scores[None, :], n)[0]
        return self._to_scored(idx, scores, self._fd.item_ids)

    def recommend_all(
        self, user_ids: Sequence[Hashable], *, n: int = 10, exclude_seen: bool = True, batch_size: int = 1024
    ) -> list[list[Scored]]:
        """Top-``n`` lists for many known members, scored in batches."""
        users = np.array([self._user(u) for u in user_ids], dtype=np.int64)
        out: list[list[Scored]] = []
        for start in range(0, len(users), batch_size):
            chunk = users[start : start + batch_size]
            scores = self._masked_scores(chunk, exclude_seen, None)
            for row, idx in zip(scores, top_n(scores, n), strict=True):
                out.append(self._to_scored(idx, row, self._fd.item_ids))
        return out

    # ----- similarity -----
    def _item_vectors(self) -> np.ndarray:
        """Item representation ``[n_items, d]`` for cosine item similarity (default: interaction columns)."""
        return np.asarray(self._fd.positives.T.toarray(), dtype=np.float32)

    def _user_vectors(self) -> np.ndarray:
        """User representation ``[n_users, d]`` for cosine member similarity (default: interaction rows)."""
        return np.asarray(self._fd.positives.toarray(), dtype=np.float32)

    @staticmethod
    def _similar(
        vectors: np.ndarray, row: int, ids: Sequence[Hashable], n: int, mask: np.ndarray | None
    ) -> list[Scored]:
        v = cosine_rows(vectors)
        sims = (v @ v[row]).astype(np.float64)
        sims[row] = -np.inf
        if mask is not None:
            sims[~mask] = -np.inf
        idx = top_n(sims[None, :], n)[0]
        return [Scored(ids[int(i)], float(sims[int(i)])) for i in idx if np.isfinite(sims[int(i)])]

    def similar_items(self, course_id: Hashable, *, n: int = 10) -> list[Scored]:
        """Courses most similar to ``course_id`` (cosine of item representations)."""
        return self._similar(self._item_vectors(), self._item(course_id), self._fd.item_ids, n, None)

    def similar_members(
        self, member_id: Hashable, *, n: int = 10, candidates: Sequence[Hashable] | None = None
    ) -> list[Scored]:
        """Members most similar to ``member_id``, optionally only among ``candidates``."""
        mask = None
        if candidates is not None:
            mask = np.zeros(len(self._fd.user_ids), dtype=bool)
            for c in candidates:
                if c in self._fd.user_index:
                    mask[self._fd.user_index[c]] = True
        return self._similar(self._user_vectors(), self._user(member_id), self._fd.user_ids, n, mask)

    # ----- forgetting members -----
    def without_users(self, user_ids: Iterable[Hashable]) -> Self:
        """A copy that no longer holds these members: their id, interaction rows and every per-member array
        (vectors, text embeddings, features) are gone; item-side state and weights are shared with ``self``.

        Weights learnt from the members' data stay until the next fit. Unknown ids are ignored; with none
        known, ``self`` is returned unchanged."""
        fd = self._fd
        drop = {fd.user_index[u] for u in user_ids if u in fd.user_index}
        if not drop:
            return self
        keep = np.array([i for i in range(len(fd.user_ids)) if i not in drop], dtype=np.int64)
        clone = copy.copy(self)
        clone.fitted = FittedData(
            tuple(fd.user_ids[int(i)] for i in keep),
            fd.item_ids,
            fd.positives[keep],
            fd.seen[keep],
            fd.fingerprint,
        )
        clone.metrics = dict(self.metrics)
        clone._keep_user_rows(keep, len(fd.user_ids))
        return clone

    def _keep_user_rows(self, keep: np.ndarray, n_users: int) -> None:
        """Keep only rows ``keep`` ``[n_kept]`` of every per-member array (of ``n_users`` rows) this model holds.

        Called on a shallow copy: assign new arrays, never change the shared ones in place. The base keeps no
        per-member arrays besides ``fitted`` (done by :meth:`without_users`)."""
        return None

    # ----- persistence -----
    @abstractmethod
    def _config(self) -> dict[str, Any]: ...

    @abstractmethod
    def _state(self) -> dict[str, torch.Tensor]: ...

    @abstractmethod
    def _set_state(self, state: dict[str, torch.Tensor], device: str) -> None: ...

    @classmethod
    def _from_config(cls, config: dict[str, Any]) -> Self:
        return cls(**config)

    def save(self, path: str | Path) -> None:
        """Write state dict + id maps + config + metrics + data fingerprint + format version (atomically)."""
        fd = self._fd
        state = {k: v.detach().cpu() for k, v in self._state().items()}
        state.update(csr_to_state("_positives", fd.positives))
        state.update(csr_to_state("_seen", fd.seen))
        payload = {
            "format_version": FORMAT_VERSION,
            "kind": type(self).__name__,
            "config": self._config(),
            "user_ids": [_plain(x) for x in fd.user_ids],
            "item_ids": [_plain(x) for x in fd.item_ids],
            "fingerprint": fd.fingerprint,
            "metrics": self.metrics,
            "state": state,
        }
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed over it: a reader never sees half a file.
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            torch.save(payload, str(tmp))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: str | Path, *, device: str = "cpu") -> Self:
        """Load a model saved by :meth:`save`; refuses other format versions with :class:`ModelFormatError`."""
        try:
            payload = torch.load(str(path), map_location=device, weights_only=True)
        except Exception as exc:  # unpickling errors of foreign files come in many types
            raise ModelFormatError(
                f"{path} is not a readable Cohort model file ({exc}); retrain the model"
            ) from exc
        if not isinstance(payload, dict) or "format_version" not in payload:
            raise ModelFormatError(f"{path} is not a Cohort model file; retrain the model")
        version = payload["format_version"]
        if version != FORMAT_VERSION:
            raise ModelFormatError(
                f"{path} has model format version {version}, this code reads version {FORMAT_VERSION}: "
                "retrain the model (e.g. run the nightly training again)"
            )
        if payload["kind"] != cls.__name__:
            raise ModelFormatError(f"{path} holds a {payload['kind']}, not a {cls.__name__}")
        model = cls._from_config(payload["config"])
        state = payload["state"]
        model.fitted = FittedData(
            tuple(payload["user_ids"]),
            tuple(payload["item_ids"]),
            csr_from_state("_positives", state),
            csr_from_state("_seen", state),
            payload["fingerprint"],
        )
        model.metrics = dict(payload["metrics"])
        model._set_state({k: v for k, v in state.items() if not k.startswith("_")}, device)
        return model
