"""Time zones: resolve what a member typed (an IANA name, a city, "UTC+8"), validate a zone, show times locally.

Unknown input gets suggestions from a fuzzy match (rapidfuzz) over every IANA zone name and the city part of it,
plus a few large cities that are not zone names themselves (Beijing is Asia/Shanghai).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

from common.numbers import NumberError, parse_int, shown

log = logging.getLogger(__name__)

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

# "UTC+8", "GMT-3", "utc +5:00", "UTC+0530": a fixed offset (only whole hours have an IANA zone: Etc/GMT-8).
_OFFSET = re.compile(r"^(?:utc|gmt)([+-])([0-9]{1,2})(?::?([0-9]{2}))?$", re.I)
# Offsets in use on Earth, and so the range of the IANA Etc/GMT zones.
MIN_OFFSET, MAX_OFFSET = -12, 14
# Files of a zoneinfo directory that are not zones a person lives in.
_NOT_ZONES = frozenset({"factory", "localtime", "posixrules"})
_NOT_ZONE_PREFIXES = ("posix/", "right/", "systemv/")
_ETC_GMT = re.compile(r"^Etc/GMT([+-])(\d{1,2})$")
_UTC_NAMES = frozenset(
    {"utc", "etc/utc", "etc/uct", "uct", "etc/universal", "universal", "etc/zulu", "zulu", "gmt", "etc/gmt",
     "gmt0", "gmt+0", "gmt-0", "etc/gmt0", "etc/gmt+0", "etc/gmt-0", "greenwich", "etc/greenwich"}
)  # fmt: skip


# Why an offset the member typed has no zone: beyond UTC-12..UTC+14, or not a whole hour (UTC+5:30).
ZoneProblem = Literal["offset_range", "offset_minutes"]


@dataclass(frozen=True)
class TimezoneMatch:
    """`name` (a real IANA zone) when the input resolved; otherwise `suggestions` (possibly empty) and, when the
    input is an offset that no zone has, `problem`."""

    name: str | None
    suggestions: tuple[str, ...] = ()
    problem: ZoneProblem | None = None


@lru_cache(maxsize=1)
def known_zones() -> dict[str, str]:
    """Lower-case name -> IANA name of every real zone (`zoneinfo.available_timezones()` less the files of a
    zoneinfo directory that are not zones: Factory, localtime, posixrules, posix/..., right/...)."""
    return {
        name.lower(): name
        for name in available_timezones()
        if name.lower() not in _NOT_ZONES and not name.lower().startswith(_NOT_ZONE_PREFIXES)
    }


@lru_cache(maxsize=1)
def _choices() -> dict[str, str]:
    """Lower-case key -> IANA name for fuzzy matching: full names, their city part ("berlin"), and the aliases."""
    out: dict[str, str] = {}
    for name in sorted(known_zones().values()):
        if name.startswith("Etc/"):
            continue
        out[name.lower()] = name
        city = name.rsplit("/", 1)[-1].replace("_", " ").lower()
        out.setdefault(city, name)
    for key, name in CITY_ALIASES.items():
        out.setdefault(key, name)
    return out


def _offset_zone(sign: str, raw_hours: str, raw_minutes: str | None) -> TimezoneMatch:
    """ "UTC+8" -> Etc/GMT-8 (only whole hours from UTC-12 to UTC+14 are zones)."""
    try:
        hours = parse_int(raw_hours, high=99)
        minutes = parse_int(raw_minutes or "0", high=99)
    except NumberError:
        return TimezoneMatch(None)
    signed = (hours * 60 + minutes) * (-1 if sign == "-" else 1)
    if minutes >= 60 or not MIN_OFFSET * 60 <= signed <= MAX_OFFSET * 60:
        return TimezoneMatch(None, problem="offset_range")
    if minutes:
        return TimezoneMatch(None, problem="offset_minutes")
    # POSIX-style Etc zones have inverted signs: UTC+8 is Etc/GMT-8.
    name = "UTC" if hours == 0 else f"Etc/GMT{'+' if sign == '-' else '-'}{hours}"
    return TimezoneMatch(known_zones().get(name.lower()))


def resolve_timezone(raw: str, *, limit: int = 3) -> TimezoneMatch:
    """The one zone parser (`/timezone` and `/settings timezone`): "Europe/Berlin", "berlin", "New York", "UTC+8"
    resolve to a real IANA zone; anything else gets up to `limit` suggestions (and a reason when it is an offset
    that no zone has, like UTC-13)."""
    text = " ".join(raw.strip().split())[:MAX_INPUT]
    if not text:
        return TimezoneMatch(None)
    m = _OFFSET.match(text.replace(" ", ""))
    if m:
        return _offset_zone(m.group(1), m.group(2), m.group(3))
    key = text.lower()
    exact = known_zones().get(key) or known_zones().get(key.replace(" ", "_"))
    if exact is not None:
        return TimezoneMatch(exact)
    choices = _choices()
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
    """The IANA name of a real zone typed exactly (any case), else None."""
    name = name.strip()
    if not name or len(name) > MAX_INPUT:
        return None
    return known_zones().get(name.lower())


def checked_zone(name: str | None, *, default: str = "UTC", what: str = "a stored zone") -> str:
    """A zone name read from the store, if it is a real zone; else `default` (then UTC), with a log line.

    Zones are validated when they are set, but a store may hold one written before that (Etc/GMT+13 from
    "/timezone UTC-13"): readers use this so that such a row can't crash a status or a scheduled round."""
    if not name:
        return default if valid_timezone(default) else "UTC"
    found = valid_timezone(name)
    if found is not None:
        return found
    fallback = default if valid_timezone(default) else "UTC"
    log.warning("%s is not a time zone (%s); using %s", shown(name), what, fallback)
    return fallback


def zone_label(name: str | None) -> str:
    """How a zone is shown to a person: "UTC+5" for Etc/GMT-5, "UTC" for UTC and its aliases, else the name."""
    if not name or name.lower() in _UTC_NAMES:
        return "UTC"
    m = _ETC_GMT.match(name)
    if m:
        hours = int(m.group(2))
        return "UTC" if hours == 0 else f"UTC{'-' if m.group(1) == '+' else '+'}{hours}"
    return name


def describe_zone(name: str | None, at: datetime) -> str:
    """ "Europe/Berlin (UTC+1)", "UTC+5", "UTC": the zone and its offset at `at`, each said once."""
    label, offset = zone_label(name), offset_label(name, at)
    return label if label == offset else f"{label} ({offset})"


@lru_cache(maxsize=1024)
def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """A ZoneInfo for a stored name; an unknown or empty name falls back to `default` (then UTC)."""
    for candidate in (name, default):
        found = valid_timezone(candidate) if candidate else None
        if found is not None:
            try:
                return ZoneInfo(found)
            except (ZoneInfoNotFoundError, ValueError, OSError):
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
