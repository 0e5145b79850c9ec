"""Why members were matched, as data: the topics they share and, per member, their part of the day at the best
shared hour and their UTC offset. `reason_text` words it (the sentence stored with the match and shown to them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from community.buddies.features import MemberInfo
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


def period_of(local_hour: int) -> str:
    if 5 <= local_hour < 12:
        return "mornings"
    if 12 <= local_hour < 17:
        return "afternoons"
    if 17 <= local_hour < 23:
        return "evenings"
    return "nights"


def shared_terms(infos: Sequence[MemberInfo], limit: int = 2) -> list[str]:
    """What the members have in common, best first, as the first member wrote it."""
    common = set(infos[0].terms)
    for info in infos[1:]:
        common &= set(info.terms)
    ranked = sorted(common, key=lambda t: (-min(i.terms[t] for i in infos), -len(t), t))
    out: list[str] = []
    for t in ranked:
        if out and min(i.terms[t] for i in infos) < 2:
            break  # a second topic only when it is more than a passing word
        if any(t in o.lower() or o.lower() in t for o in out):
            continue  # "machine learning" already covers "learning"
        out.append(infos[0].display.get(t, t)[:MAX_TOPIC_CHARS])
        if len(out) >= limit:
            break
    return out


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
    members = tuple(
        MemberHours(
            name=i.name,
            period=period_of(int((centre + utc_offset_hours(i.timezone, now)) % 24)),
            offset=offset_label(i.timezone, now),
        )
        for i in infos
    )
    return MatchReason(tuple(shared_terms(infos)), members)


def reason_text(reason: MatchReason) -> str:
    """ "you both study SQL and are active in the evenings, UTC+8 and UTC+9"."""
    periods = [m.period for m in reason.members]
    offsets = [m.offset for m in reason.members]
    both = "both" if len(reason.members) == 2 else "all"
    parts: list[str] = []
    if reason.topics:
        parts.append(f"you {both} study {' and '.join(reason.topics)}")
    if len(set(periods)) == 1:
        when = f"are active in the {periods[0]}"
    else:
        when = (
            "share active hours (" + ", ".join(f"{m.period} for {m.name[:40]}" for m in reason.members) + ")"
        )
    parts.append(when if reason.topics else f"you {when}")
    zones = (
        f"{both} {offsets[0]}" if len(set(offsets)) == 1 else ", ".join(offsets[:-1]) + " and " + offsets[-1]
    )
    return " and ".join(parts) + ", " + zones
