"""Reasons are faithful: hours only when every member wrote here, a topic two of a trio share is named (with who
shares it), and one topic is never named twice."""

from __future__ import annotations

from datetime import UTC, datetime

from community.buddies.features import MemberInfo, _Loaded, _member_info
from community.buddies.reasons import reason_for, reason_text

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def infos(*members: tuple[list[str], list[str]]) -> list[MemberInfo]:
    """MemberInfo of members m1, m2, ... from (declared topics, messages written at NOW's hour)."""
    ids = list(range(1, len(members) + 1))
    data = _Loaded(
        topics={i: list(t) for i, (t, _) in zip(ids, members, strict=True)},
        names={i: f"m{i}" for i in ids},
        timezones={i: None for i in ids},
        messages={i: [(NOW, x) for x in msgs] for i, (_, msgs) in zip(ids, members, strict=True)},
        liked={i: [] for i in ids},
        reliability={},
    )
    return [_member_info(i, data, default_tz="UTC", now=NOW) for i in ids]


def why(*members: tuple[list[str], list[str]]) -> str:
    return reason_text(reason_for(infos(*members), NOW))


def test_hours_are_claimed_only_when_every_member_wrote_here() -> None:
    assert why((["SQL"], []), (["sql"], [])) == "you both study SQL, both UTC"
    assert why((["SQL"], ["joins are fun"]), (["sql"], [])) == "you both study SQL, both UTC"
    talked = why((["SQL"], ["joins are fun"]), (["sql"], ["window functions today"]))
    assert talked.startswith("you both study SQL and are active in the ") and talked.endswith(", both UTC")
    assert why(([], []), ([], [])) == "you both joined buddy matching, both UTC"
    assert why(([], ["hi"]), ([], ["hello"])).startswith("you are active in the ")


def test_a_topic_two_of_a_trio_share_is_named_with_who_shares_it() -> None:
    assert (
        why((["knitting"], []), (["python"], []), (["Python"], [])) == "m2 and m3 both study python, all UTC"
    )
    assert why((["python"], []), (["python"], []), (["python"], [])) == "you all study python, all UTC"
    assert (
        why((["knitting"], []), (["python"], []), (["chess"], [])) == "you all joined buddy matching, all UTC"
    )


def test_one_topic_is_named_once() -> None:
    assert why((["数据分析"], []), (["数据分析"], [])) == "you both study 数据分析, both UTC"
    assert (
        why((["Statistics 101"], []), (["statistics 101"], [])) == "you both study Statistics 101, both UTC"
    )
    assert why((["machine learning"], []), (["机器学习"], [])) == "you both study machine learning, both UTC"
    two = why((["SQL", "pandas"], []), (["pandas", "SQL"], []))
    assert two == "you both study pandas and SQL, both UTC"
