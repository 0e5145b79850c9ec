"""The matcher on plain data: exact optimum against brute force, no repeats while alternatives exist, trios,
the candidate-graph mode for large groups, and the time-zone helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from community.buddies.matching import (
    Candidate,
    Weights,
    _block_scores,
    _Features,
    hours_from_timezone,
    match_members,
)
from community.members.timezones import offset_label, resolve_timezone


def _random(n: int, seed: int = 0, dim: int = 16) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        v = rng.normal(size=dim).astype(np.float32)
        out.append(
            Candidate(
                i + 1,
                v / np.linalg.norm(v),
                hours_from_timezone(float(rng.integers(-8, 10))),
                activity=float(rng.integers(0, 50)),
                reliability=float(rng.random()),
            )
        )
    return out


def _best_by_brute_force(cands: list[Candidate]) -> float:
    f = _Features.of(cands)
    s = _block_scores(f, np.arange(len(cands)), None, Weights())

    def best(rest: tuple[int, ...]) -> float:
        if not rest:
            return 0.0
        a = rest[0]
        return max(s[a, b] + best(tuple(x for x in rest[1:] if x != b)) for b in rest[1:])

    return best(tuple(range(len(cands))))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_mode_is_the_global_optimum(seed: int) -> None:
    cands = _random(10, seed)
    result = match_members(cands)
    assert result.algorithm.startswith("blossom-exact")
    total = sum(g.score for g in result.groups)
    assert total == pytest.approx(_best_by_brute_force(cands), abs=1e-3 * len(cands))
    greedy_like = match_members(cands, k=1, exact_up_to=0)  # one candidate each: a much poorer graph
    assert sorted(result.matched_ids) == sorted(greedy_like.matched_ids) == list(range(1, 11))


def test_no_repeat_of_last_three_partners_while_alternatives_exist() -> None:
    cands = _random(8, 3)
    recent: dict[int, list[int]] = {}
    seen: set[frozenset[int]] = set()
    for _ in range(6):
        result = match_members(cands, recent=recent)
        pairs = {frozenset(g.member_ids) for g in result.groups}
        assert not any(g.repeat for g in result.groups)
        assert not pairs & seen  # 8 members have 7 partners each: six rounds need no repeat at all
        for p in pairs:
            a, b = tuple(p)
            assert b not in recent.get(a, [])[:3]
            recent[a] = [b, *recent.get(a, [])]
            recent[b] = [a, *recent.get(b, [])]
        seen |= pairs


def test_repeat_only_when_nothing_else_exists() -> None:
    cands = _random(2)
    result = match_members(cands, recent={1: [2], 2: [1]})
    assert [g.member_ids for g in result.groups] == [(1, 2)] and result.groups[0].repeat


def test_odd_member_joins_a_group_of_three_and_nobody_is_left_out() -> None:
    for n in (3, 5, 9, 51):
        result = match_members(_random(n, n))
        assert sorted(result.matched_ids) == list(range(1, n + 1))
        sizes = sorted(len(g.member_ids) for g in result.groups)
        assert sizes.count(3) == 1 and all(x == 2 for x in sizes[:-1])


def test_candidate_graph_mode_matches_everyone_and_prefers_clusters() -> None:
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(4, 32))
    cands = []
    for i in range(400):
        v = centres[i % 4] + 0.3 * rng.normal(size=32)
        cands.append(Candidate(i, (v / np.linalg.norm(v)).astype(np.float32), hours_from_timezone(0)))
    result = match_members(cands, exact_up_to=100, k=10)
    assert result.algorithm.startswith("blossom-knn10")
    assert len(result.matched_ids) == 400
    inside = sum(len({m % 4 for m in g.member_ids}) == 1 for g in result.groups)
    assert inside / len(result.groups) >= 0.95


def test_fewer_than_two_and_duplicates() -> None:
    assert match_members([]).groups == [] and match_members(_random(1)).groups == []
    c = _random(2)
    with pytest.raises(ValueError):
        match_members([c[0], c[0]])


def test_timezone_overlap_counts() -> None:
    near = _Features.of(
        [
            Candidate(1, np.zeros(4, np.float32), hours_from_timezone(8)),
            Candidate(2, np.zeros(4, np.float32), hours_from_timezone(9)),
            Candidate(3, np.zeros(4, np.float32), hours_from_timezone(-5)),
        ]
    )
    s = _block_scores(near, np.arange(3), None, Weights())
    assert s[0, 1] > s[0, 2]


def test_resolve_timezone() -> None:
    assert resolve_timezone("Europe/Berlin").name == "Europe/Berlin"
    assert resolve_timezone("europe/berlin").name == "Europe/Berlin"
    assert resolve_timezone("tokyo").name == "Asia/Tokyo"
    assert resolve_timezone("北京").name == "Asia/Shanghai"
    assert resolve_timezone("UTC-3").name == "Etc/GMT+3"
    assert resolve_timezone("UTC+15").name is None
    miss = resolve_timezone("Amsterdm")
    assert miss.name is None and "Europe/Amsterdam" in miss.suggestions
    assert resolve_timezone("").name is None and resolve_timezone("").suggestions == ()
    assert resolve_timezone("zzzzqqqq").suggestions == () or resolve_timezone("zzzzqqqq").name is None
    at = datetime(2026, 7, 1, tzinfo=UTC)
    assert offset_label("Asia/Kolkata", at) == "UTC+5:30" and offset_label("Europe/Berlin", at) == "UTC+2"


def test_pairwise_equals_block_scores() -> None:
    from community.buddies.matching import _pairwise

    cands = _random(12, 9)
    f = _Features.of(cands)
    full = _block_scores(f, np.arange(12), None, Weights())
    a, b = np.array([0, 3, 5]), np.array([1, 7, 11])
    assert np.allclose(_pairwise(f, a, b, Weights()), full[a, b], atol=1e-5)


def test_leftovers_who_were_recent_partners_swap_into_another_pair() -> None:
    # the candidate graph left members 4 and 5 unmatched, and they were partners last round: rather than repeat
    # them, one matched pair is split so that nobody repeats
    from community.buddies.matching import _complete

    f = _Features.of(_random(6, 4))
    groups = _complete(f, Weights(), {(4, 5)}, {(0, 1), (2, 3)})
    assert sorted(m for g in groups for m in g.member_ids) == [1, 2, 3, 4, 5, 6]
    assert not any(g.repeat for g in groups)
    assert {5, 6} not in [set(g.member_ids) for g in groups]
    # with nobody to swap with, the repeat stays (nobody is left out)
    only = _complete(_Features.of(_random(2, 4)), Weights(), {(0, 1)}, set())
    assert [g.member_ids for g in only] == [(1, 2)] and only[0].repeat
