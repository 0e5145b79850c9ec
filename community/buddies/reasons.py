"""Why members were matched, as data: the topics they share and, per member, their part of the day at the best
shared hour and their UTC offset. `reason_text` words it (the sentence stored with the match and shown to them).

Reasons are faithful: hours are claimed only when every member wrote here lately (else they are only a guess
from the time zone), and a topic shared by two of a group of three is named with who shares it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

import numpy as np

from community.buddies.features import MemberInfo
from community.buddies.glossary import CJK, GLOSSARY_PREFIX
from community.buddies.interests import WORD
from community.buddies.profiles import MAX_TOPIC_CHARS
from community.members.timezones import offset_label, utc_offset_hours


@dataclass(frozen=True)
class MemberHours:
    """One member's side of the shared hours: their part of the day then, and their zone's offset."""

    name: str
    period: str  # mornings | afternoons | evenings | nights (local, at the middle of the best shared hours)
    offset: str  # "UTC+8", "UTC"


@dataclass(frozen=True)
class MatchReason:
    topics: tuple[str, ...]  # shared topics, best first, as the first member wrote them (at most 2)
    members: tuple[MemberHours, ...]
    hours_known: bool = True  # every member wrote here lately: their active hours are seen, not guessed
    sharers: tuple[str, ...] = ()  # names of the two of a trio who share `topics` (empty: all members do)


def period_of(local_hour: int) -> str:
    if 5 <= local_hour < 12:
        return "mornings"
    if 12 <= local_hour < 17:
        return "afternoons"
    if 17 <= local_hour < 23:
        return "evenings"
    return "nights"


def _covers(a: str, b: str) -> bool:
    """Whether one topic names the other: "machine learning" covers "learning", 数据分析 covers 数据."""
    a, b = a.removeprefix(GLOSSARY_PREFIX).lower(), b.removeprefix(GLOSSARY_PREFIX).lower()
    if CJK.search(a) or CJK.search(b):
        return a in b or b in a
    wa, wb = set(WORD.findall(a)), set(WORD.findall(b))
    return bool(wa and wb) and (wa <= wb or wb <= wa)


def shared_terms(infos: Sequence[MemberInfo], limit: int = 2) -> list[str]:
    """What the members have in common, best first, as the first member wrote it."""
    common = set(infos[0].terms)
    for info in infos[1:]:
        common &= set(info.terms)
    ranked = sorted(common, key=lambda t: (-min(i.terms[t] for i in infos), -len(t), t))
    out: list[str] = []
    seen: list[str] = []  # terms and spellings already named
    for t in ranked:
        if out and min(i.terms[t] for i in infos) < 2:
            break  # a second topic only when it is more than a passing word
        shown = infos[0].display.get(t, t)[:MAX_TOPIC_CHARS]
        if any(_covers(t, o) or _covers(shown, o) for o in seen):
            continue  # "machine learning" already covers "learning"; one topic in two spellings is one
        out.append(shown)
        seen += [t, shown]
        if len(out) >= limit:
            break
    return out


def shared_topics(infos: Sequence[MemberInfo]) -> tuple[list[str], tuple[MemberInfo, ...]]:
    """(topics, who shares them): what all members share; in a group of three that shares nothing, what the two
    with the strongest shared term share, and those two (else nothing, and no one)."""
    topics = shared_terms(infos)
    if topics or len(infos) < 3:
        return topics, ()
    best: tuple[float, tuple[MemberInfo, ...]] = (0.0, ())
    for a, b in combinations(infos, 2):
        common = set(a.terms) & set(b.terms)
        strength = max((min(a.terms[t], b.terms[t]) for t in common), default=0.0)
        if strength > best[0]:
            best = (strength, (a, b))
    return (shared_terms(best[1]), best[1]) if best[1] else ([], ())


def best_shared_hour(infos: Sequence[MemberInfo]) -> int:
    """The UTC hour in the middle of the best 4-hour overlap of the members' active hours."""
    joint = np.ones(24, dtype=np.float64)
    for i in infos:
        joint *= np.asarray(i.hours if i.hours is not None else np.ones(24), dtype=np.float64)
    window = np.array([joint[(h + np.arange(4)) % 24].sum() for h in range(24)])
    return (int(np.argmax(window)) + 2) % 24


def reason_for(infos: Sequence[MemberInfo], now: datetime) -> MatchReason:
    """The shared topics and each member's local part of the day at the best shared hour."""
    centre = best_shared_hour(infos)
    topics, sharers = shared_topics(infos)
    members = tuple(
        MemberHours(
            name=i.name,
            period=period_of(int((centre + utc_offset_hours(i.timezone, now)) % 24)),
            offset=offset_label(i.timezone, now),
        )
        for i in infos
    )
    return MatchReason(
        tuple(topics),
        members,
        hours_known=all(i.posted > 0 for i in infos),
        sharers=tuple(i.name for i in sharers),
    )


def reason_text(reason: MatchReason) -> str:
    """ "you both study SQL and are active in the evenings, UTC+8 and UTC+9"; hours only when they are known,
    "ann and ben both study SQL" when two of three share the topic."""
    periods = [m.period for m in reason.members]
    offsets = [m.offset for m in reason.members]
    both = "both" if len(reason.members) == 2 else "all"
    parts: list[str] = []
    if reason.topics:
        who = f"you {both}" if not reason.sharers else " and ".join(n[:40] for n in reason.sharers) + " both"
        parts.append(f"{who} study {' and '.join(reason.topics)}")
    if reason.hours_known:
        if len(set(periods)) == 1:
            when = f"are active in the {periods[0]}"
        else:
            when = (
                "share active hours ("
                + ", ".join(f"{m.period} for {m.name[:40]}" for m in reason.members)
                + ")"
            )
        parts.append(when if reason.topics and not reason.sharers else f"you {when}")
    if not parts:
        parts.append(f"you {both} joined buddy matching")
    zones = (
        f"{both} {offsets[0]}" if len(set(offsets)) == 1 else ", ".join(offsets[:-1]) + " and " + offsets[-1]
    )
    return " and ".join(parts) + ", " + zones
