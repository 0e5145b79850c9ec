"""Time zones as chat text, for `/timezone` (a member's zone) and `/settings timezone` (a group's): one wording of
an unknown zone, its suggestions and why an offset is no zone (`zone_label` shows Etc/GMT-5 as UTC+5)."""

from __future__ import annotations

from datetime import datetime

from bot.text import RichText, T, bold, code
from common.text import clip
from community.members.timezones import MAX_OFFSET, MIN_OFFSET, TimezoneMatch, offset_label, zone_label


def zone_shown(name: str, at: datetime) -> RichText:
    """ "*Europe/Berlin* (UTC+1)", "*UTC+5*", "*UTC*": the zone in bold, its offset at `at` said once."""
    label, offset = zone_label(name), offset_label(name, at)
    return T(bold(label), "" if label == offset else f" ({offset})")


def unknown_zone(raw: str, found: TimezoneMatch) -> list[RichText | str]:
    """Why `raw` is not a zone, then the suggestions (lines; the caller adds what to try)."""
    typed = clip(" ".join(raw.split()), 40)
    if found.problem == "offset_range":
        first = T(bold(typed), f" is not a time zone: offsets run from UTC{MIN_OFFSET} to UTC+{MAX_OFFSET}.")
    elif found.problem == "offset_minutes":
        first = T(bold(typed), " is not a whole-hour offset: name a city in that zone instead.")
    else:
        first = T("I don't know the time zone ", bold(typed), ".")
    lines: list[RichText | str] = [first]
    if found.suggestions:
        names: list[RichText | str] = []
        for i, name in enumerate(found.suggestions):
            names += [", " if i else "", code(zone_label(name))]
        lines.append(T("Did you mean: ", *names, "?"))
    return lines
