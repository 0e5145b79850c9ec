"""Baseline recommenders behind the same :class:`~recommender.base.Recommender` interface.

* :class:`MostPopular`: item score = summed positive weight over members.
* :class:`ItemKNN`: cosine item-item similarity of interaction columns, top-``k`` neighbours kept.
* :class:`EASE`: Steck's closed-form item-item model, ``B = I - P / diag(P)``, ``P = (X^T X + l2 I)^-1``.
* :class:`ContentKNN`: item-item cosine of item text embeddings or item features (scores items with no
  interactions, the cold-start reference).
* :class:`ImplicitALS`, :class:`ImplicitBPR`: wrappers of the ``implicit`` library (CPU), imported lazily
  so the package works without it.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from recommender.base import Recommender, Scored, top_n
from recommender.data import InteractionData

UNSCORED = -1e30  # finite "cannot score" value, below every real score


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


class MostPopular(Recommender):
    """Same ranking for everyone: items by summed positive weight."""

    name = "most popular"

    def _fit(self, data: InteractionData, *, progress: bool) -> None:
        self.popularity = np.asarray(self._fd.positives.sum(axis=0)).ravel().astype(np.float32)  # [n_items]

    def _scores(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.popularity, (len(users), len(self.popularity))).copy()

    def _config(self) -> dict[str, Any]:
        return {}

    def _state(self) -> dict[str, torch.Tensor]:
        return {"popularity": _t(self.popularity)}

    def _set_state(self, state: dict[str, torch.Tensor], device: str) -> None:
        self.popularity = state["popularity"].cpu().numpy()


class _ItemItem(Recommender):
    """Scores = ``X @ S`` with a learned item-item matrix ``S`` ``[n_items, n_items]``."""

    def __init__(self) -> None:
        super().__init__()
        self.sim = np.zeros((0, 0), dtype=np.float32)

    def _scores(self, users: np.ndarray) -> np.ndarray:
        x = self._fd.positives[users]
        return np.asarray(x @ self.sim)

    def similar_items(self, course_id: Hashable, *, n: int = 10) -> list[Scored]:
        """Courses ranked by the learned item-item weight ``S[course, :]``."""
        i = self._item(course_id)
        row = self.sim[i].astype(np.float64).copy()
        row[i] = -np.inf
        idx = top_n(row[None, :], n)[0]
        return self._to_scored(idx, row, self._fd.item_ids)

    def _state(self) -> dict[str, torch.Tensor]:
        return {"sim": _t(self.sim)}

    def _set_state(self, state: dict[str, torch.Tensor], device: str) -> None:
        self.sim = state["sim"].cpu().numpy()


def _keep_top_k(sim: np.ndarray, k: int) -> np.ndarray:
    """Keep the ``k`` largest entries of each column of ``[n, n]`` (zero the rest)."""
    if k >= sim.shape[0]:
        return sim
    kth = np.partition(sim, sim.shape[0] - k, axis=0)[sim.shape[0] - k]
    return np.where(sim >= kth[None, :], sim, 0.0).astype(np.float32)


class ItemKNN(_ItemItem):
    """Cosine item-kNN on binarised interactions, ``k`` neighbours per item."""

    name = "item-kNN"

    def __init__(self, k: int = 100, shrink: float = 0.0) -> None:
        super().__init__()
        self.k = k
        self.shrink = shrink

    def _fit(self, data: InteractionData, *, progress: bool) -> None:
        x = self._fd.positives.copy()
        x.data[:] = 1.0
        co = np.asarray((x.T @ x).todense(), dtype=np.float32)  # [n_items, n_items]
        norms = np.sqrt(np.diag(co))
        sim = co / (np.outer(norms, norms) + self.shrink + 1e-9)
        np.fill_diagonal(sim, 0.0)
        self.sim = _keep_top_k(sim, self.k)

    def _config(self) -> dict[str, Any]:
        return {"k": self.k, "shrink": self.shrink}


def ease_matrix(x: sp.csr_matrix, l2: float) -> np.ndarray:
    """EASE weights ``[n_items, n_items]`` from ``x`` ``[n_users, n_items]`` (zero diagonal)."""
    g = torch.from_numpy(np.asarray((x.T @ x).todense(), dtype=np.float64))
    g += l2 * torch.eye(g.shape[0], dtype=torch.float64)
    p = torch.linalg.inv(g)
    b = -p / torch.diag(p)[None, :]
    b.fill_diagonal_(0.0)
    # torch.linalg.inv returns column-major memory; scipy's sparse @ dense would copy it on every call
    return np.ascontiguousarray(b.to(torch.float32).numpy())


class EASE(_ItemItem):
    """Embarrassingly shallow autoencoder (Steck 2019) on binarised positives."""

    name = "EASE"

    def __init__(self, l2: float = 100.0) -> None:
        super().__init__()
        self.l2 = l2

    def _fit(self, data: InteractionData, *, progress: bool) -> None:
        x = self._fd.positives.copy()
        x.data[:] = 1.0
        self.sim = ease_matrix(x, self.l2)

    def _scores(self, users: np.ndarray) -> np.ndarray:
        x = self._fd.positives[users].copy()
        x.data[:] = 1.0
        return np.asarray(x @ self.sim)

    def _config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class ContentKNN(_ItemItem):
    """Item-item cosine of content vectors; ``features`` ``[n_items, f]`` or, by default, the item texts
    embedded with ``encoder`` (a name for :func:`recommender.features.make_encoder`)."""

    name = "content-kNN"

    def __init__(self, encoder: str = "hashing", use_features: bool = False, k: int = 100) -> None:
        super().__init__()
        self.encoder = encoder
        self.use_features = use_features
        self.k = k

    def _fit(self, data: InteractionData, *, progress: bool) -> None:
        from recommender.features import make_encoder

        if self.use_features:
            if data.item_features is None:
                raise ValueError("ContentKNN(use_features=True) needs item_features")
            vec = np.asarray(data.item_features, dtype=np.float32)
        else:
            texts = data.item_texts or tuple("" for _ in range(data.n_items))
            vec = make_encoder(self.encoder).encode(list(texts))
        norm = np.linalg.norm(vec, axis=1, keepdims=True)
        unit = (vec / np.where(norm > 0, norm, 1.0)).astype(np.float32)
        sim = unit @ unit.T
        np.fill_diagonal(sim, 0.0)
        self.sim = _keep_top_k(sim, self.k)

    def _config(self) -> dict[str, Any]:
        return {"encoder": self.encoder, "use_features": self.use_features, "k": self.k}


class _ImplicitMF(Recommender):
    """Shared wrapper of an ``implicit`` CPU factorisation model."""

    def __init__(
        self, factors: int = 64, regularization: float = 0.01, iterations: int = 15, seed: int = 0
    ) -> None:
        super().__init__()
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.seed = seed
        self.user_factors = np.zeros((0, factors), dtype=np.float32)
        self.item_factors = np.zeros((0, factors), dtype=np.float32)

    def _make(self) -> Any:
        raise NotImplementedError

    def _fit(self, data: InteractionData, *, progress: bool) -> None:
        from threadpoolctl import threadpool_limits

        # implicit advises single-threaded BLAS; limit it, and silence the advice where a second BLAS
        # copy (numpy's and scipy's) escapes the limit
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*OpenBLAS is configured.*", category=RuntimeWarning)
            model = self._make()
            model.fit(self._fd.positives.astype(np.float32), show_progress=progress)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)  # [n_users, f(+1)]
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)  # [n_items, f(+1)]

    def _scores(self, users: np.ndarray) -> np.ndarray:
        scores = self.user_factors[users] @ self.item_factors.T
        # items without training interactions have untrained factors: rank them last
        known = np.diff(self._fd.positives.tocsc().indptr) > 0
        scores[:, ~known] = UNSCORED
        return scores

    def _item_vectors(self) -> np.ndarray:
        return self.item_factors

    def _user_vectors(self) -> np.ndarray:
        return self.user_factors

    def _keep_user_rows(self, keep: np.ndarray, n_users: int) -> None:
        self.user_factors = self.user_factors[keep]

    def _state(self) -> dict[str, torch.Tensor]:
        return {"user_factors": _t(self.user_factors), "item_factors": _t(self.item_factors)}

    def _set_state(self, state: dict[str, torch.Tensor], device: str) -> None:
        self.user_factors = state["user_factors"].cpu().numpy()
        self.item_factors = state["item_factors"].cpu().numpy()


class ImplicitALS(_ImplicitMF):
    """implicit's weighted ALS; confidence ``1 + alpha * weight``."""

    name = "implicit ALS"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.01,
        iterations: int = 15,
        alpha: float = 1.0,
        seed: int = 0,
    ) -> None:
        super().__init__(factors, regularization, iterations, seed)
        self.alpha = alpha

    def _make(self) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.seed,
            num_threads=1,
        )

    def _config(self) -> dict[str, Any]:
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "iterations": self.iterations,
            "alpha": self.alpha,
            "seed": self.seed,
        }


class ImplicitBPR(_ImplicitMF):
    """implicit's BPR (SGD on sampled triples)."""

    name = "implicit BPR"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.01,
        iterations: int = 100,
        learning_rate: float = 0.01,
        seed: int = 0,
    ) -> None:
        super().__init__(factors, regularization, iterations, seed)
        self.learning_rate = learning_rate

    def _make(self) -> Any:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking(
            factors=self.factors,
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            iterations=self.iterations,
            random_state=self.seed,
            num_threads=1,
        )

    def _config(self) -> dict[str, Any]:
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "iterations": self.iterations,
            "learning_rate": self.learning_rate,
            "seed": self.seed,
        }
