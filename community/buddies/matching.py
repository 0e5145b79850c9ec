"""Study-buddy matching: pair weights and a maximum-weight matching over all opted-in members of a group.

Plain data in, plain data out (no store, no chat): `match_members(candidates, recent=...)` returns the groups of
a round. The store side (who is a candidate and their features) lives in `features.py`, rounds in `rounds.py`.

Weight of a pair, each part in [0, 1]:
  interest  sqrt of the cosine of interest embeddings (declared topics, own messages, well-rated courses) after
            removing the group's common direction, clipped at 0
  hours     Bhattacharyya overlap of the two members' active-hour distributions in UTC (time zones applied)
  activity  exp(-|log1p(msgs a) - log1p(msgs b)|): similar activity level
  follow    1 - |reliability a - reliability b|: members who answer "met" to check-ins are paired together
Recent partners (the last `REPEAT_WINDOW` of either member) lose a large constant tier, so a round repeats such
a pair only when no matching of the same size avoids it; older partners lose one whole pair weight.

Algorithm: the blossom algorithm (rustworkx's native `max_weight_matching` when installed, else networkx)
with maximum cardinality. Up to `EXACT_LIMIT` members it runs on the complete graph: the exact global optimum.
Above, it runs on a candidate graph of each member's `k` best partners (k-nearest neighbours by weight): the
optimum over those candidates, an approximation of the global one. Members the matching leaves over are paired
among themselves, and an odd member joins the pair it fits best as a group of three: nobody is left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

REPEAT_WINDOW = 3
HOURS = 24
SCALE = 1000  # scores become integers for the blossom algorithm (rustworkx needs integer weights)


@dataclass(frozen=True)
class Weights:
    interest: float = 0.65
    hours: float = 0.2
    activity: float = 0.08
    follow: float = 0.07

    def total(self) -> float:
        return self.interest + self.hours + self.activity + self.follow


@dataclass
class Candidate:
    """One opted-in member as the matcher sees them.

    `interest` [d] L2-normalised (zeros when nothing is known); `hours` [24] active-hour distribution in UTC
    (sums to 1); `activity` messages in the recent window; `reliability` share of check-ins answered "met"
    (0.5 when unknown).
    """

    member_id: int
    interest: np.ndarray
    hours: np.ndarray
    activity: float = 0.0
    reliability: float = 0.5


@dataclass(frozen=True)
class MatchGroup:
    member_ids: tuple[int, ...]
    score: float  # mean pair weight in [0, 1]
    repeat: bool = False  # holds a pair of recent partners (only when no alternative existed)


@dataclass
class MatchResult:
    groups: list[MatchGroup] = field(default_factory=list)
    algorithm: str = "none"

    @property
    def matched_ids(self) -> set[int]:
        return {m for g in self.groups for m in g.member_ids}


@dataclass
class _Features:
    """Candidates stacked as matrices so weights compute blockwise with numpy."""

    ids: list[int]
    emb: np.ndarray  # [n, d]
    sqrt_hours: np.ndarray  # [n, 24]
    act: np.ndarray  # [n]
    rel: np.ndarray  # [n]

    @classmethod
    def of(cls, cands: Sequence[Candidate]) -> _Features:
        dims = {c.interest.shape[0] for c in cands}
        if len(dims) > 1:
            raise ValueError(f"interest embeddings of different sizes: {sorted(dims)}")
        emb = _centre(np.stack([np.asarray(c.interest, dtype=np.float32) for c in cands]))
        hours = np.stack([_normalise_hours(c.hours) for c in cands])
        return cls(
            ids=[c.member_id for c in cands],
            emb=emb,
            sqrt_hours=np.sqrt(hours).astype(np.float32),
            act=np.log1p(np.maximum(0.0, np.array([c.activity for c in cands], dtype=np.float32))),
            rel=np.clip(np.array([c.reliability for c in cands], dtype=np.float32), 0.0, 1.0),
        )


def _centre(emb: np.ndarray, prior: float = 20.0) -> np.ndarray:
    """Subtract (a shrunk) group mean before cosine: what everyone shares (the language's common letters and
    words, under the n-gram encoder) then stops making everyone look alike. Shrinking by n / (n + prior) keeps
    tiny groups (an on-demand pair) close to plain cosine."""
    known = np.linalg.norm(emb, axis=1) > 0
    n = int(known.sum())
    if n < 2:
        return emb
    shift = emb[known].mean(axis=0) * (n / (n + prior))
    out = np.where(known[:, None], emb - shift, 0.0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.maximum(norms, 1e-9)).astype(np.float32)


def _normalise_hours(h: np.ndarray) -> np.ndarray:
    h = np.clip(np.asarray(h, dtype=np.float32).reshape(HOURS), 0.0, None)
    total = float(h.sum())
    return h / total if total > 0 else np.full(HOURS, 1.0 / HOURS, dtype=np.float32)


def _block_scores(f: _Features, rows: np.ndarray, cols: np.ndarray | None, w: Weights) -> np.ndarray:
    """Pair weights [len(rows), len(cols)] in [0, 1] (cols=None: all members)."""
    sel = slice(None) if cols is None else cols
    # sqrt spreads the low end where text similarities live (0.1-0.4 within a topic) and keeps 0 and 1 fixed.
    interest = np.sqrt(np.clip(f.emb[rows] @ f.emb[sel].T, 0.0, 1.0))
    hours = np.clip(f.sqrt_hours[rows] @ f.sqrt_hours[sel].T, 0.0, 1.0)
    activity = np.exp(-np.abs(f.act[rows, None] - f.act[None, sel]))
    follow = 1.0 - np.abs(f.rel[rows, None] - f.rel[None, sel])
    total = w.interest * interest + w.hours * hours + w.activity * activity + w.follow * follow
    return (total / w.total()).astype(np.float32)


def pair_score(a: Candidate, b: Candidate, weights: Weights | None = None) -> float:
    """The weight of one pair in [0, 1] (for reasons and reports)."""
    f = _Features.of([a, b])
    return float(_block_scores(f, np.array([0]), np.array([1]), weights or Weights())[0, 0])


def _recent_pairs(
    ids: Sequence[int], recent: Mapping[int, Sequence[int]]
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """(pairs within the last REPEAT_WINDOW partners of either side, older partner pairs) as index pairs."""
    index = {m: i for i, m in enumerate(ids)}
    hard: set[tuple[int, int]] = set()
    soft: set[tuple[int, int]] = set()
    for m, partners in recent.items():
        if m not in index:
            continue
        for rank, p in enumerate(partners):
            if p in index and p != m:
                i, j = index[m], index[p]
                (hard if rank < REPEAT_WINDOW else soft).add((min(i, j), max(i, j)))
    return hard, soft - hard


def _blossom(n: int, edges: list[tuple[int, int, int]]) -> tuple[set[tuple[int, int]], str]:
    """Maximum-cardinality maximum-weight matching; (pairs of node indices, library name)."""
    try:
        import rustworkx as rx

        g = rx.PyGraph()
        g.add_nodes_from(range(n))
        g.add_edges_from(edges)
        pairs = rx.max_weight_matching(g, max_cardinality=True, weight_fn=int)
        return {(min(a, b), max(a, b)) for a, b in pairs}, "rustworkx"
    except ImportError:
        import networkx as nx

        gx = nx.Graph()
        gx.add_nodes_from(range(n))
        gx.add_weighted_edges_from(edges)
        found = nx.max_weight_matching(gx, maxcardinality=True)
        return {(min(a, b), max(a, b)) for a, b in found}, "networkx"


def exact_limit() -> int:
    """Largest group matched on the complete graph (native blossom: ~0.2 s at 400, ~10 s at 1,000)."""
    try:
        import rustworkx  # noqa: F401

        return 600
    except ImportError:
        return 150  # networkx is pure Python: ~3 s at 200 members on the complete graph


def match_members(
    candidates: Sequence[Candidate],
    *,
    recent: Mapping[int, Sequence[int]] | None = None,
    weights: Weights | None = None,
    k: int | None = None,
    exact_up_to: int | None = None,
    block: int = 1024,
) -> MatchResult:
    """Pair all candidates (a group of three for an odd one) maximising the total weight.

    `recent` maps a member id to their partners, most recent first; pairs among the last `REPEAT_WINDOW` of
    either side are avoided whenever a matching of the same size exists without them, and older partners are
    paired again only for a gain worth more than one whole pair.
    """
    w = weights or Weights()
    n = len(candidates)
    if n < 2:
        return MatchResult([], "none")
    if len({c.member_id for c in candidates}) != n:
        raise ValueError("a member appears twice among the candidates")
    f = _Features.of(candidates)
    repeat, older = _recent_pairs(f.ids, recent or {})
    limit = exact_limit() if exact_up_to is None else exact_up_to
    base = SCALE * (n // 2 + 2)  # one avoided repeat outweighs any sum of pair weights

    def weight(i: int, j: int, s: float) -> int:
        # Older partners (beyond the window) cost one whole pair weight: allowed, but only for a clear gain.
        return int(round(s * SCALE)) + (0 if (i, j) in repeat else base) - (SCALE if (i, j) in older else 0)

    edges: list[tuple[int, int, int]] = []
    if n <= limit:
        scores = _block_scores(f, np.arange(n), None, w)
        iu, ju = np.triu_indices(n, 1)
        for i, j, s in zip(iu.tolist(), ju.tolist(), scores[iu, ju].tolist(), strict=True):
            edges.append((i, j, weight(i, j, s)))
        mode = "exact"
    else:
        # 30 candidates each up to 5,000 members; 10 above, where the blossom's time grows fastest.
        k = k or (30 if n <= 5000 else 10)
        edges = _candidate_edges(f, w, repeat | older, k=min(k, n - 1), block=block, weight=weight)
        mode = f"knn{k}"
    pairs, lib = _blossom(n, edges)
    groups = _complete(f, w, repeat, pairs)
    return MatchResult(groups, f"blossom-{mode}-{lib}")


def _candidate_edges(
    f: _Features, w: Weights, repeat: set[tuple[int, int]], *, k: int, block: int, weight: object
) -> list[tuple[int, int, int]]:
    """Each member's k best partners (recent partners rank last), as a deduplicated edge list."""
    n = len(f.ids)
    rep_by_row: dict[int, list[int]] = {}
    for i, j in repeat:
        rep_by_row.setdefault(i, []).append(j)
        rep_by_row.setdefault(j, []).append(i)
    seen: dict[tuple[int, int], float] = {}
    for start in range(0, n, block):
        rows = np.arange(start, min(n, start + block))
        s = _block_scores(f, rows, None, w)
        s[np.arange(len(rows)), rows] = -np.inf
        for r, i in enumerate(rows.tolist()):
            for j in rep_by_row.get(i, ()):
                s[r, j] -= 2.0  # still a candidate, but after every fresh partner
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(s, top, axis=1)
        for r, i in enumerate(rows.tolist()):
            for j, v in zip(top[r].tolist(), vals[r].tolist(), strict=True):
                if v == -np.inf:
                    continue
                key = (min(i, j), max(i, j))
                if key not in seen:
                    seen[key] = v + 2.0 if key in repeat else v
    fn = weight  # typed loosely above to keep the signature short
    return [(i, j, fn(i, j, float(v))) for (i, j), v in seen.items()]  # type: ignore[operator]


def _complete(
    f: _Features, w: Weights, repeat: set[tuple[int, int]], pairs: set[tuple[int, int]]
) -> list[MatchGroup]:
    """Turn matched index pairs into groups; pair anyone left over, and put an odd one into a trio."""
    n = len(f.ids)
    matched = {i for p in pairs for i in p}
    left = [i for i in range(n) if i not in matched]
    pairs = set(pairs)
    # The candidate graph may lack a perfect matching: pair the leftovers greedily by weight (few of them).
    while len(left) >= 2:
        i = left.pop(0)
        s = _block_scores(f, np.array([i]), np.array(left), w)[0]
        penal = np.array([-2.0 if (min(i, j), max(i, j)) in repeat else 0.0 for j in left], dtype=np.float32)
        j = left.pop(int(np.argmax(s + penal)))
        key = (min(i, j), max(i, j))
        if key in repeat and pairs:
            key = _swap_out_repeat(f, w, repeat, pairs, i, j) or key
        pairs.add(key)
    trio: dict[tuple[int, int], int] = {}
    if left:
        odd = left[0]
        ordered = sorted(pairs)
        s = _block_scores(f, np.array([odd]), None, w)[0]
        best, best_val = ordered[0], -math.inf
        for a, b in ordered:
            val = float(s[a] + s[b])
            val -= 2.0 * sum((min(odd, x), max(odd, x)) in repeat for x in (a, b))
            if val > best_val:
                best, best_val = (a, b), val
        trio[best] = odd
    ordered = sorted(pairs)
    a_idx = np.array([a for a, _ in ordered])
    b_idx = np.array([b for _, b in ordered])
    pair_s = _pairwise(f, a_idx, b_idx, w)  # one vectorised pass: rounds of thousands of pairs stay fast
    groups: list[MatchGroup] = []
    for (a, b), s_ab in zip(ordered, pair_s.tolist(), strict=True):
        members = [a, b] + ([trio[(a, b)]] if (a, b) in trio else [])
        score = s_ab
        if len(members) == 3:
            idx = np.array(members)
            s3 = _block_scores(f, idx, idx, w)
            score = float(s3[np.triu_indices(3, 1)].mean())
        is_repeat = any((min(x, y), max(x, y)) in repeat for x in members for y in members if x < y)
        groups.append(MatchGroup(tuple(f.ids[m] for m in members), float(score), is_repeat))
    return groups


def _swap_out_repeat(
    f: _Features, w: Weights, repeat: set[tuple[int, int]], pairs: set[tuple[int, int]], i: int, j: int
) -> tuple[int, int] | None:
    """Leftovers i and j were recent partners: exchange them into the best matched pair (a, b) as (i, a) and
    (j, b) when neither is a repeat. Returns the pair to add (pairs is updated), or None when no swap exists."""
    ordered = sorted(pairs)
    a = np.array([x for x, _ in ordered])
    b = np.array([y for _, y in ordered])
    s = _block_scores(f, np.array([i, j]), None, w)
    keep = _pairwise(f, a, b, w)
    gains = np.stack([s[0, a] + s[1, b], s[0, b] + s[1, a]]) - keep  # [2 orientations, pairs]

    def bad(x: int, y: int) -> bool:
        return (min(x, y), max(x, y)) in repeat

    for flat in np.argsort(-gains, axis=None).tolist():
        side, k = divmod(int(flat), len(ordered))
        pa, pb = ordered[k]
        x, y = (pa, pb) if side == 0 else (pb, pa)  # i goes with x, j with y
        if not bad(i, x) and not bad(j, y):
            pairs.discard((pa, pb))
            pairs.add((min(i, x), max(i, x)))
            return (min(j, y), max(j, y))
    return None


def _pairwise(f: _Features, a: np.ndarray, b: np.ndarray, w: Weights) -> np.ndarray:
    """Weights of the pairs (a[i], b[i]) [len(a)]: the diagonal of `_block_scores`, without the matrix."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.float32)
    interest = np.sqrt(np.clip(np.einsum("ij,ij->i", f.emb[a], f.emb[b]), 0.0, 1.0))
    hours = np.clip(np.einsum("ij,ij->i", f.sqrt_hours[a], f.sqrt_hours[b]), 0.0, 1.0)
    activity = np.exp(-np.abs(f.act[a] - f.act[b]))
    follow = 1.0 - np.abs(f.rel[a] - f.rel[b])
    total = w.interest * interest + w.hours * hours + w.activity * activity + w.follow * follow
    return (total / w.total()).astype(np.float32)


def hours_from_timezone(offset_hours: float, *, start: int = 8, end: int = 23) -> np.ndarray:
    """A prior active-hour distribution in UTC for someone awake from `start` to `end` local time."""
    h = np.full(HOURS, 0.05, dtype=np.float32)
    for local in range(start, end):
        h[int(round(local - offset_hours)) % HOURS] = 1.0
    for local in range(18, 23):  # evenings weigh a little more: when most learners study
        h[int(round(local - offset_hours)) % HOURS] += 0.5
    return h / h.sum()


def hours_from_messages(
    utc_hours: Sequence[int], offset_hours: float, *, prior_weight: float = 5.0
) -> np.ndarray:
    """Active-hour distribution in UTC from the hours members wrote at, smoothed towards the time-zone prior."""
    counts = np.zeros(HOURS, dtype=np.float32)
    for h in utc_hours:
        counts[int(h) % HOURS] += 1.0
    # Spread each message over neighbouring hours: one message at 19:05 says little about 19:00 only.
    smooth = counts + 0.5 * (np.roll(counts, 1) + np.roll(counts, -1))
    prior = hours_from_timezone(offset_hours)
    total = smooth.sum()
    mixed = prior * prior_weight + (smooth / total * len(utc_hours) if total > 0 else 0.0)
    return (mixed / mixed.sum()).astype(np.float32)
