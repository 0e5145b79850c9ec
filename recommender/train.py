"""Training of :class:`~recommender.model.HybridRecommender`: device choice, seeded loop, early stopping.

CUDA is used when available (``device="auto"``) with bf16 autocast; otherwise CPU, where a fixed seed
gives identical models run to run. Early stopping watches NDCG@10 on validation (given, or carved from the
training data per user by time); with a carved slice the model is then refitted on all data for the best
epoch count (``HybridConfig.refit``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from tqdm.auto import tqdm

from recommender.baselines import ease_matrix
from recommender.data import InteractionData, Record
from recommender.evaluate import ndcg_at_k
from recommender.features import make_encoder
from recommender.model import (
    HybridConfig,
    HybridNet,
    HybridRecommender,
    activity_features,
    input_matrix,
    zscore,
)
from recommender.split import temporal_split


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without CUDA raises ``ValueError``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but CUDA is not available")
    return torch.device(name)


@dataclass
class Inputs:
    """Dense tensors on the training device."""

    item_text: torch.Tensor  # [n_items, t]
    item_feats: torch.Tensor | None  # [n_items, f]
    user_text: torch.Tensor | None  # [n_users, t_u]
    activity: torch.Tensor  # [n_users, 2]
    warm: torch.Tensor  # [n_items] float 0/1
    user_feats: torch.Tensor | None = None  # [n_users, f_u] member features


def user_feature_matrix(data: InteractionData, cfg: HybridConfig) -> np.ndarray | None:
    """``data.user_features`` as float32 ``[n_users, f_u]``, or None (none given, empty, or disabled)."""
    if not cfg.use_user_features or data.user_features is None:
        return None
    m = np.asarray(data.user_features, dtype=np.float32)
    if m.ndim != 2 or m.shape[0] != data.n_users:
        raise ValueError(f"user_features must be [n_users={data.n_users}, f_u], got {m.shape}")
    if m.shape[1] == 0:
        return None
    if not np.all(np.isfinite(m)):
        raise ValueError("user_features must be finite")
    return m


def _encode_side(data: InteractionData, cfg: HybridConfig) -> tuple[np.ndarray, np.ndarray | None]:
    """(item text ``[n_items, t]``, user text ``[n_users, t]`` or None); no text at all: zeros ``[n_items, 1]``."""
    has_item_text = data.item_texts is not None and any(t.strip() for t in data.item_texts)
    has_user_text = data.user_texts is not None and any(t.strip() for t in data.user_texts)
    if not (has_item_text or has_user_text):
        return np.zeros((data.n_items, 1), dtype=np.float32), None
    enc = make_encoder(cfg.encoder)
    item_text = enc.encode(list(data.item_texts or [""] * data.n_items))
    user_text = enc.encode(list(data.user_texts)) if has_user_text and data.user_texts else None
    return item_text, user_text


def _inputs(
    data: InteractionData,
    item_text: np.ndarray,
    user_text: np.ndarray | None,
    dev: torch.device,
    user_feats: np.ndarray | None = None,
) -> Inputs:
    pos = data.positive_matrix()
    seen = data.seen_matrix()
    n_pos = np.diff(pos.indptr)
    act = activity_features(n_pos, np.diff(seen.indptr) - n_pos)
    warm = (np.diff(pos.tocsc().indptr) > 0).astype(np.float32)
    feats = (
        None
        if data.item_features is None
        else torch.as_tensor(data.item_features, dtype=torch.float32, device=dev)
    )
    return Inputs(
        torch.as_tensor(item_text, device=dev),
        feats,
        None if user_text is None else torch.as_tensor(user_text, device=dev),
        torch.as_tensor(act, device=dev),
        torch.as_tensor(warm, device=dev),
        None if user_feats is None else torch.as_tensor(user_feats, device=dev),
    )


def _dense_rows(m: sp.csr_matrix, rows: np.ndarray, dev: torch.device) -> torch.Tensor:
    return torch.as_tensor(m[rows].toarray(), dtype=torch.float32, device=dev)


def _sparse_rows(
    m: sp.csr_matrix,
    rows: np.ndarray,
    dev: torch.device,
    keep_prob: float = 1.0,
    gen: torch.Generator | None = None,
) -> torch.Tensor:
    """Rows of ``m`` as an L2-row-normalised sparse COO tensor ``[len(rows), n_cols]``, entries kept with
    probability ``keep_prob`` (input dropout)."""
    sub = m[rows].tocoo()
    r = torch.as_tensor(sub.row, dtype=torch.int64, device=dev)
    c = torch.as_tensor(sub.col, dtype=torch.int64, device=dev)
    v = torch.as_tensor(sub.data, dtype=torch.float32, device=dev)
    if keep_prob < 1.0:
        v = v * (torch.rand(v.shape, generator=gen, device=dev) < keep_prob)
    norm = torch.zeros(len(rows), device=dev).index_add_(0, r, v * v).sqrt().clamp_min(1e-8)
    shape = (len(rows), m.shape[1])
    return torch.sparse_coo_tensor(torch.stack([r, c]), v / norm[r], shape, check_invariants=False).coalesce()


def _user_vectors(
    net: HybridNet, x: sp.csr_matrix, users: np.ndarray, inp: Inputs, dev: torch.device
) -> torch.Tensor:
    """Eval-mode member vectors ``[len(users), d+1]``."""
    out = []
    for s in range(0, len(users), 2048):
        rows = users[s : s + 2048]
        idx = torch.as_tensor(rows, device=dev)
        ut = None if inp.user_text is None else inp.user_text[idx]
        uf = None if inp.user_feats is None else inp.user_feats[idx]
        out.append(
            net.users(
                _sparse_rows(x, rows, dev),
                inp.item_text,
                inp.item_feats,
                inp.warm,
                ut,
                inp.activity[idx],
                uf,
            ).float()
        )
    return torch.cat(out) if out else torch.zeros(0, net.users.out.out_features + 1, device=dev)


@torch.no_grad()
def _validation_scores(
    net: HybridNet,
    x: sp.csr_matrix,
    seen_all: sp.csr_matrix,
    users: np.ndarray,
    inp: Inputs,
    dev: torch.device,
) -> np.ndarray:
    """Tower scores ``[len(users), n_items]`` from inputs ``x`` with seen items set to ``-inf``."""
    net.eval()
    u = _user_vectors(net, x, users, inp, dev)
    v = net.items(inp.item_text, inp.item_feats, inp.warm).float()
    scores = (u @ v.T).cpu().numpy().astype(np.float64)
    seen = seen_all[users]
    scores[np.repeat(np.arange(len(users)), np.diff(seen.indptr)), seen.indices] = -np.inf
    return scores


def _ndcg(scores: np.ndarray, truth: sp.csr_matrix) -> float:
    from recommender.base import top_n

    return ndcg_at_k(top_n(scores, 10), truth, 10)


def train_net(
    data: InteractionData,
    cfg: HybridConfig,
    item_text: np.ndarray,
    user_text: np.ndarray | None,
    *,
    epochs: int,
    valid: InteractionData | None,
    progress: bool,
) -> tuple[HybridNet, Inputs, dict[str, Any]]:
    """Train the towers for up to ``epochs``; with ``valid``, keep the best epoch by NDCG@10."""
    dev = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator(device=dev).manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    user_feats = user_feature_matrix(data, cfg)
    inp = _inputs(data, item_text, user_text, dev, user_feats)
    feat_dim = 0 if inp.item_feats is None else inp.item_feats.shape[1]
    net = HybridNet(
        data.n_items,
        item_text.shape[1],
        feat_dim,
        0 if user_text is None else user_text.shape[1],
        cfg,
        0 if user_feats is None else user_feats.shape[1],
    ).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    x = data.positive_matrix()
    x_in = input_matrix(data, cfg.recency_half_life)
    seen_all = data.seen_matrix()
    train_users = np.flatnonzero(np.diff(x.indptr) > 0)
    v_truth = valid.positive_matrix() if valid is not None else None
    v_users = (
        np.flatnonzero(np.diff(v_truth.indptr) > 0) if v_truth is not None else np.zeros(0, dtype=np.int64)
    )
    if len(v_users) > cfg.max_validation_users:  # per-epoch validation cost bounded on large data
        v_users = np.sort(rng.choice(v_users, cfg.max_validation_users, replace=False))
    batch = max(cfg.batch_size, -(-len(train_users) // cfg.max_steps_per_epoch))
    best: dict[str, Any] = {"epoch": epochs, "ndcg": -1.0, "state": None}
    history: list[float] = []
    samples, t_train, bad = 0, 0.0, 0
    bar = tqdm(range(1, epochs + 1), desc="hybrid", disable=not progress, leave=False)
    for epoch in bar:
        net.train()
        t0 = time.perf_counter()
        order = rng.permutation(train_users)
        for s in range(0, len(order), batch):
            samples += _step(net, opt, x, x_in, order[s : s + batch], inp, cfg, gen, dev)
        t_train += time.perf_counter() - t0
        if len(v_users):
            assert v_truth is not None
            score = _ndcg(_validation_scores(net, x_in, seen_all, v_users, inp, dev), v_truth[v_users])
            history.append(score)
            bar.set_postfix(val_ndcg=f"{score:.4f}")
            if score > best["ndcg"]:
                best = {"epoch": epoch, "ndcg": score, "state": copy.deepcopy(net.state_dict())}
                bad = 0
            else:
                bad += 1
                if bad >= cfg.patience:
                    break
    if best["state"] is not None:
        net.load_state_dict(best["state"])
    net.eval()
    info = {
        "best_epoch": int(best["epoch"]),
        "val_ndcg_tower": float(best["ndcg"]),
        "val_history": [float(h) for h in history],
        "train_seconds": t_train,
        "train_samples_per_s": samples / t_train if t_train > 0 else 0.0,
        "device": str(dev),
    }
    return net, inp, info


def _step(
    net: HybridNet,
    opt: torch.optim.Optimizer,
    x: sp.csr_matrix,
    x_in: sp.csr_matrix,
    rows: np.ndarray,
    inp: Inputs,
    cfg: HybridConfig,
    gen: torch.Generator,
    dev: torch.device,
) -> int:
    """One optimisation step on members ``rows``; returns the number of positives processed."""
    target = _dense_rows(x, rows, dev)  # [b, n_items]
    given = _sparse_rows(x_in, rows, dev, 1.0 - cfg.input_dropout, gen)
    id_keep = (torch.rand(target.shape[1], generator=gen, device=dev) >= cfg.cold_item_dropout).float()
    mask = inp.warm * id_keep
    idx = torch.as_tensor(rows, device=dev)
    ut = None if inp.user_text is None else inp.user_text[idx]
    uf = None if inp.user_feats is None else inp.user_feats[idx]
    with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
        logits = net(given, inp.item_text, inp.item_feats, mask, ut, inp.activity[idx], uf)
    loss = -(torch.log_softmax(logits.float(), dim=1) * target).sum(1).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return int(x[rows].nnz)


def _finalise(
    model: HybridRecommender,
    net: HybridNet,
    inp: Inputs,
    data: InteractionData,
    item_text: np.ndarray,
    user_text: np.ndarray | None,
) -> None:
    """Precompute serving matrices on CPU."""
    dev = inp.item_text.device
    with torch.no_grad():
        model.item_matrix = net.items(inp.item_text, inp.item_feats, inp.warm).float().cpu().numpy()
        model.inputs = input_matrix(data, model.config.recency_half_life)
        model.user_matrix = _user_vectors(net, model.inputs, np.arange(data.n_users), inp, dev).cpu().numpy()
    model.net = net.cpu().eval()
    model.item_text = item_text
    model.user_text = user_text if user_text is not None else np.zeros((data.n_users, 0), dtype=np.float32)
    model.item_feats = (
        None if data.item_features is None else np.asarray(data.item_features, dtype=np.float32)
    )
    model.warm = inp.warm.cpu().numpy().astype(bool)
    model.user_feats = None if inp.user_feats is None else inp.user_feats.float().cpu().numpy()
    model.config.user_feature_dim = 0 if inp.user_feats is None else int(inp.user_feats.shape[1])


def _binary(x: sp.csr_matrix) -> sp.csr_matrix:
    b = x.copy()
    b.data[:] = 1.0
    return b


def _use_item_item(cfg: HybridConfig, n_items: int) -> bool:
    return n_items <= cfg.item_item_max_items and cfg.item_item_weight != 0.0


def choose_blend(model: HybridRecommender, data: InteractionData, valid: InteractionData) -> dict[str, float]:
    """Pick the EASE blend weight on validation; returns NDCG@10 per grid value."""
    cfg = model.config
    truth = valid.positive_matrix()
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    if not len(users) or model.item_item is None:
        return {}
    tower = model.user_matrix[users] @ model.item_matrix.T
    ease = np.asarray(model.inputs[users] @ model.item_item)
    seen = data.seen_matrix()[users]
    rows = np.repeat(np.arange(len(users)), np.diff(seen.indptr))
    grid = cfg.blend_grid if cfg.item_item_weight is None else (cfg.item_item_weight,)
    results = {}
    zt, ze = zscore(tower.astype(np.float64)), zscore(ease.astype(np.float64))
    for w in grid:
        s = zt + w * ze
        s[rows, seen.indices] = -np.inf
        results[str(w)] = _ndcg(s, truth[users])
    model.blend_weight = float(max(grid, key=lambda w: results[str(w)]))
    return results


def fit_hybrid(
    model: HybridRecommender, data: InteractionData, *, valid: InteractionData | None, progress: bool
) -> None:
    """Fit ``model`` in place (see the module docstring)."""
    from recommender.base import FittedData

    cfg = model.config
    item_text, user_text = _encode_side(data, cfg)
    carved = False
    train_part = data
    if valid is None and cfg.validation_fraction > 0:
        train_part, valid = temporal_split(data, test_fraction=cfg.validation_fraction, min_positives=5)
        carved = valid.nnz > 0
        if not carved:
            train_part, valid = data, None
    if valid is not None and valid.nnz == 0:
        valid = None
    start = time.perf_counter()
    net, inp, info = train_net(
        train_part, cfg, item_text, user_text, epochs=cfg.epochs, valid=valid, progress=progress
    )
    model.fitted = FittedData.of(train_part)
    _finalise(model, net, inp, train_part, item_text, user_text)
    blend: dict[str, float] = {}
    if _use_item_item(cfg, data.n_items):
        model.item_item = ease_matrix(_binary(train_part.positive_matrix()), cfg.item_item_l2)
        model.blend_weight = cfg.item_item_weight if cfg.item_item_weight is not None else 1.0
        if valid is not None:
            blend = choose_blend(model, train_part, valid)
    if carved and cfg.refit:
        net, inp, refit_info = train_net(
            data, cfg, item_text, user_text, epochs=info["best_epoch"], valid=None, progress=progress
        )
        info["train_samples_per_s"] = refit_info["train_samples_per_s"]
        model.fitted = FittedData.of(data)
        _finalise(model, net, inp, data, item_text, user_text)
        if model.item_item is not None:
            model.item_item = ease_matrix(_binary(data.positive_matrix()), cfg.item_item_l2)
    info["fit_seconds"] = time.perf_counter() - start
    info["blend_weight"] = model.blend_weight
    info["blend_validation"] = blend
    model.metrics = info


def train_from_records(
    records: Iterable[Record],
    *,
    item_ids: Sequence[Hashable] | None = None,
    item_texts: Sequence[str] | None = None,
    user_texts: Mapping[Hashable, str] | None = None,
    user_features: Mapping[Hashable, Sequence[float] | np.ndarray] | None = None,
    config: HybridConfig | None = None,
    min_rating: float = 4.0,
    half_life_days: float | None = 180.0,
    now: float | None = None,
    progress: bool = False,
) -> HybridRecommender:
    """Training entry point on plain ``(user_id, item_id, kind, value, timestamp)`` records; ``user_features``
    maps a user id to its feature vector ``[f_u]`` (see :meth:`InteractionData.from_records`)."""
    data = InteractionData.from_records(
        records,
        item_ids=item_ids,
        item_texts=item_texts,
        user_texts=dict(user_texts) if user_texts else None,
        user_features=dict(user_features) if user_features else None,
        min_rating=min_rating,
        half_life_days=half_life_days,
        now=now,
    )
    return HybridRecommender(config).fit(data, progress=progress)
