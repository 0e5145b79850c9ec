"""The one zone parser: real IANA zones only, offsets mapped to zones that exist, labels, and stored-zone fallbacks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from community.members.timezones import (
    checked_zone,
    describe_zone,
    known_zones,
    resolve_timezone,
    valid_timezone,
    zone,
    zone_label,
)

WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize("hours", range(-12, 15))
def test_every_whole_hour_offset_resolves_to_a_zone_that_loads(hours: int) -> None:
    raw = f"UTC{'+' if hours >= 0 else '-'}{abs(hours)}"
    name = resolve_timezone(raw).name
    assert name is not None
    assert WINTER.astimezone(ZoneInfo(name)).utcoffset() == timedelta(hours=hours)
    assert zone_label(name) == ("UTC" if hours == 0 else raw)
    assert describe_zone(name, WINTER) == zone_label(name)


@pytest.mark.parametrize("raw", ["UTC-13", "UTC+15", "GMT-14", "UTC+99", "UTC-12:30", "UTC+14:01"])
def test_offsets_beyond_the_world_are_refused_with_a_reason(raw: str) -> None:
    found = resolve_timezone(raw)
    assert found.name is None and found.problem == "offset_range"


def test_half_hour_offsets_ask_for_a_city() -> None:
    found = resolve_timezone("UTC+5:30")
    assert found.name is None and found.problem == "offset_minutes"
    assert resolve_timezone("UTC+05:00").name == "Etc/GMT-5"
    assert resolve_timezone("utc + 8").name == "Etc/GMT-8"


@pytest.mark.parametrize(
    "raw",
    ["Factory", "factory", "posixrules", "localtime", "right/UTC", "posix/Europe/Berlin", "SystemV/EST5"],
)
def test_files_that_are_not_zones_are_refused(raw: str) -> None:
    assert resolve_timezone(raw).name is None
    assert valid_timezone(raw) is None
    assert raw.lower() not in known_zones()


def test_non_ascii_digits_are_not_offsets() -> None:
    assert resolve_timezone("UTC+٣").name is None
    assert resolve_timezone("UTC+²").name is None


def test_real_zones_resolve_exactly_and_in_any_case() -> None:
    assert resolve_timezone("Etc/GMT-14").name == "Etc/GMT-14"
    assert resolve_timezone("america/new york").name == "America/New_York"
    assert resolve_timezone("EST5EDT").name == "EST5EDT"
    assert resolve_timezone("berlin").name == "Europe/Berlin"
    assert all(ZoneInfo(name) for name in known_zones().values())


def test_labels_say_the_zone_and_its_offset_once() -> None:
    assert describe_zone("UTC", WINTER) == "UTC"
    assert describe_zone("Etc/UTC", WINTER) == "UTC"
    assert describe_zone("Europe/Berlin", WINTER) == "Europe/Berlin (UTC+1)"
    assert describe_zone("Europe/London", WINTER) == "Europe/London (UTC)"
    assert describe_zone("Etc/GMT-5", WINTER) == "UTC+5"
    assert zone_label("Etc/GMT+3") == "UTC-3"


def test_stored_bad_zones_fall_back_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert checked_zone("Etc/GMT+13", what="member 7") == "UTC"
        assert checked_zone("Mars/Olympus", default="Asia/Tokyo") == "Asia/Tokyo"
        assert checked_zone("Factory", default="also bad") == "UTC"
    assert "Etc/GMT+13" in caplog.text and "member 7" in caplog.text and "Mars/Olympus" in caplog.text
    assert checked_zone(None, default="Europe/Berlin") == "Europe/Berlin"
    assert checked_zone("europe/berlin") == "Europe/Berlin"
    assert zone("Etc/GMT+13") == ZoneInfo("UTC")
    assert zone("posixrules", "Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
