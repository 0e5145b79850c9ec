"""Time zones: resolve what a member typed (an IANA name, a city, "UTC+8"), validate a zone, show times locally.

Unknown input gets suggestions from a fuzzy match (rapidfuzz) over every IANA zone name and the city part of it,
plus a few large cities that are not zone names themselves (Beijing is Asia/Shanghai).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

MAX_INPUT = 64

# Big cities whose zone carries another city's name.
# fmt: off
CITY_ALIASES: dict[str, str] = {
    "beijing": "Asia/Shanghai", "shenzhen": "Asia/Shanghai", "guangzhou": "Asia/Shanghai",
    "hangzhou": "Asia/Shanghai", "chengdu": "Asia/Shanghai", "wuhan": "Asia/Shanghai", "nanjing": "Asia/Shanghai",
    "北京": "Asia/Shanghai", "上海": "Asia/Shanghai", "深圳": "Asia/Shanghai", "广州": "Asia/Shanghai",
    "香港": "Asia/Hong_Kong", "台北": "Asia/Taipei", "东京": "Asia/Tokyo", "新加坡": "Asia/Singapore",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles", "boston": "America/New_York",
    "washington": "America/New_York", "miami": "America/New_York", "atlanta": "America/New_York",
    "dallas": "America/Chicago", "houston": "America/Chicago", "austin": "America/Chicago",
    "san diego": "America/Los_Angeles", "munich": "Europe/Berlin", "hamburg": "Europe/Berlin",
    "frankfurt": "Europe/Berlin", "cologne": "Europe/Berlin", "milan": "Europe/Rome", "barcelona": "Europe/Madrid",
    "geneva": "Europe/Zurich", "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata", "osaka": "Asia/Tokyo", "kyoto": "Asia/Tokyo",
    "saint petersburg": "Europe/Moscow", "st petersburg": "Europe/Moscow", "hanoi": "Asia/Bangkok",
    "rio de janeiro": "America/Sao_Paulo", "rio": "America/Sao_Paulo", "melbourne": "Australia/Melbourne",
    "canberra": "Australia/Sydney", "montreal": "America/Toronto", "ottawa": "America/Toronto",
    "london": "Europe/London", "utc": "UTC", "gmt": "UTC",
}
# fmt: on

_OFFSET = re.compile(r"^(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?(00))?$", re.I)


@dataclass(frozen=True)
class TimezoneMatch:
    """`name` when the input resolved; otherwise `suggestions` (possibly empty)."""

    name: str | None
    suggestions: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _choices() -> dict[str, str]:
    """Lower-case key -> IANA name: full names, their city part ("berlin"), and the aliases."""
    out: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or name in ("localtime", "Factory"):
            continue
        out[name.lower()] = name
        city = name.rsplit("/", 1)[-1].replace("_", " ").lower()
        out.setdefault(city, name)
    for key, name in CITY_ALIASES.items():
        out.setdefault(key, name)
    return out


def resolve_timezone(raw: str, *, limit: int = 3) -> TimezoneMatch:
    """Resolve "Europe/Berlin", "berlin", "New York", "UTC+8"; otherwise suggest up to `limit` zones."""
    text = " ".join(raw.strip().split())[:MAX_INPUT]
    if not text:
        return TimezoneMatch(None)
    m = _OFFSET.match(text.replace(" ", ""))
    if m:
        hours = int(m.group(2))
        if hours <= 14:
            # POSIX-style Etc zones have inverted signs: UTC+8 is Etc/GMT-8.
            return TimezoneMatch(
                "UTC" if hours == 0 else f"Etc/GMT{'-' if m.group(1) == '+' else '+'}{hours}"
            )
    choices = _choices()
    key = text.lower()
    if key in choices:
        return TimezoneMatch(choices[key])
    key_underscored = key.replace(" ", "_")
    if key_underscored in choices:
        return TimezoneMatch(choices[key_underscored])
    found = process.extract(key, list(choices), scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=60)
    names: list[str] = []
    for k, _score, _ in found:
        name = choices[k]
        if name not in names:
            names.append(name)
        if len(names) >= limit:
            break
    return TimezoneMatch(None, tuple(names))


def valid_timezone(name: str) -> str | None:
    """The IANA name as typed when it is a known zone (a group's `/settings timezone`), else None."""
    name = name.strip()
    if not name or len(name) > MAX_INPUT or ".." in name or name.startswith("/"):
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


@lru_cache(maxsize=1024)
def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """A ZoneInfo for a stored name; an unknown or empty name falls back to `default` (then UTC)."""
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def utc_offset_hours(name: str | None, at: datetime) -> float:
    off = at.astimezone(zone(name)).utcoffset()
    return off.total_seconds() / 3600 if off is not None else 0.0


def offset_label(name: str | None, at: datetime) -> str:
    """ "UTC+8", "UTC-3:30", "UTC"."""
    hours = utc_offset_hours(name, at)
    if hours == 0:
        return "UTC"
    sign = "+" if hours > 0 else "-"
    whole, frac = divmod(abs(hours) * 60, 60)
    minutes = int(round(frac))
    return f"UTC{sign}{int(whole)}" + (f":{minutes:02d}" if minutes else "")


def local_time(at: datetime, name: str | None) -> str:
    """ "Mon 27 Nov 18:00 (UTC+1)" in the zone `name`."""
    local = at.astimezone(zone(name))
    return f"{local:%a %d %b %H:%M} ({offset_label(name, at)})"
