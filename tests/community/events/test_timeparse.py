"""Time phrases in English and Chinese, durations, repeats and reminder offsets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from community.events.timeparse import (
    TimeParseError,
    format_when,
    parse_duration,
    parse_offsets,
    parse_repeat,
    parse_when,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # Friday; 20:00 in Shanghai


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 8pm", "Sat 28 Nov 2026, 20:00"),
        ("next Tue 19:30", "Tue 1 Dec 2026, 19:30"),
        ("2026-12-03 18:00", "Thu 3 Dec 2026, 18:00"),
        ("Dec 3 8pm", "Thu 3 Dec 2026, 20:00"),
        ("明天晚上8点", "Sat 28 Nov 2026, 20:00"),
        ("明天下午3点半", "Sat 28 Nov 2026, 15:30"),
        ("下周二 19:30", "Tue 1 Dec 2026, 19:30"),
        ("12月3日下午3点", "Thu 3 Dec 2026, 15:00"),
        ("周五 19:00", "Fri 4 Dec 2026, 19:00"),  # said on Friday at 20:00: next Friday
        ("明晚", "Sat 28 Nov 2026, 20:00"),
    ],
)
def test_when_in_group_zone(text: str, expected: str) -> None:
    assert format_when(parse_when(text, "Asia/Shanghai", NOW), "Asia/Shanghai") == expected + " Asia/Shanghai"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-02-31 18:00", "no 31 February"),
        ("February 30", "no 30 February"),
        ("2月30日", "no 30 February"),
        ("2026-13-01", "no month 13"),
        ("the day after never", "couldn't read"),
        ("", "Say when"),
        ("x" * 200, "too long"),
    ],
)
def test_when_refusals(text: str, message: str) -> None:
    with pytest.raises(TimeParseError, match=message):
        parse_when(text, "UTC", NOW)


def test_spring_forward_gap_moves_forward() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026; it becomes 03:30 CEST (01:30 UTC)
    at = parse_when("2026-03-29 02:30", "Europe/Berlin", NOW)
    assert at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_duration_repeat_offsets() -> None:
    assert [parse_duration(x) for x in ("90m", "1h30m", "2 hours", "1.5h", "weekly")] == [
        90,
        90,
        120,
        90,
        None,
    ]
    with pytest.raises(TimeParseError):
        parse_duration("0m")
    assert parse_repeat("every other week") == "FREQ=WEEKLY;INTERVAL=2"
    assert parse_repeat("RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=5") == "FREQ=WEEKLY;BYDAY=TU;COUNT=5"
    assert parse_repeat("每周") == "FREQ=WEEKLY" and parse_repeat("90m") is None
    for bad in (
        "FREQ=HOURLY",
        "FREQ=WEEKLY;DTSTART=20260101T000000",
        "FREQ=WEEKLY;BYDAY=ZZ",
        "FREQ=DAILY;<b>",
    ):
        with pytest.raises(TimeParseError):
            parse_repeat(bad)
    assert parse_offsets("1440,15") == [1440, 15] and parse_offsets("24h, 15m") == [1440, 15]
    assert parse_offsets("1m") == [1] and parse_offsets("1d") == [1440]
    for bad in ("soon", "1,2,3,4,5,6", "30d"):
        with pytest.raises(TimeParseError):
            parse_offsets(bad)


# ---- issue 11: a zone in the text, impossible clock times -------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-28 20:00 UTC", datetime(2026, 11, 28, 20, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 utc", datetime(2026, 11, 28, 20, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 GMT", datetime(2026, 11, 28, 20, 0, tzinfo=UTC)),
        ("2026-11-28 20:00Z", datetime(2026, 11, 28, 20, 0, tzinfo=UTC)),
        ("2026-11-28T20:00Z", datetime(2026, 11, 28, 20, 0, tzinfo=UTC)),
        ("2026-11-28T20:00+09:00", datetime(2026, 11, 28, 11, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 +14:00", datetime(2026, 11, 28, 6, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 +0500", datetime(2026, 11, 28, 15, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 -03", datetime(2026, 11, 28, 23, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 UTC+5:30", datetime(2026, 11, 28, 14, 30, tzinfo=UTC)),
        ("2026-11-28 20:00 GMT-3", datetime(2026, 11, 28, 23, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 EST", datetime(2026, 11, 29, 1, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 CET", datetime(2026, 11, 28, 19, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 Europe/Berlin", datetime(2026, 11, 28, 19, 0, tzinfo=UTC)),
        ("2026-11-28 20:00 america/new_york", datetime(2026, 11, 29, 1, 0, tzinfo=UTC)),
        ("Nov 28 8pm UTC", datetime(2026, 11, 28, 20, 0, tzinfo=UTC)),
        ("tomorrow 8pm UTC", datetime(2026, 11, 28, 20, 0, tzinfo=UTC)),  # "tomorrow" in UTC too
        ("tomorrow 19.30 UTC", datetime(2026, 11, 28, 19, 30, tzinfo=UTC)),  # was read as 12:00
        ("tomorrow 7.30pm UTC", datetime(2026, 11, 28, 19, 30, tzinfo=UTC)),
        ("2026-11-28 20:00", datetime(2026, 11, 28, 11, 0, tzinfo=UTC)),  # none named: the group's (Tokyo)
    ],
)
def test_a_zone_in_the_text_is_honoured(text: str, utc: datetime) -> None:
    assert parse_when(text, "Asia/Tokyo", NOW) == utc


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomorrow 25pm", "25pm is not a time of day"),
        ("tomorrow 13pm", "13pm is not a time of day"),
        ("tomorrow 0 am", "0 am is not a time of day"),
        ("tomorrow 7:75pm", "7:75pm is not a time of day"),
        ("tomorrow 24:61", "24:61 is not a time of day"),
        ("tomorrow 24:00", "24:00 is not a time of day"),
        ("2026-12-03 25:00", "25:00 is not a time of day"),
        ("明天晚上25点", "25:00 is not a time of day"),
        ("13月1日", "There is no month 13"),
        ("2月30日", "There is no 30 February"),
        ("tomorrow 8pm IST", "IST means different zones"),
        ("tomorrow 8pm CST", "CST means different zones"),
        ("tomorrow 8pm +15:00", "not an offset any place uses"),
        ("tomorrow 8pm UTC+15", "not an offset any place uses"),
        ("tomorrow 8pm UTC-13", "not an offset any place uses"),
        ("tomorrow 8pm +05:75", "not an offset any place uses"),
        ("tomorrow 8pm Mars/Olympus", "I don't know the time zone 'Mars/Olympus'"),
        ("tomorrow 8pm right/UTC", "I don't know the time zone"),
        ("UTC", "couldn.t read .UTC. as a time"),
    ],
)
def test_impossible_clock_times_and_zones_are_refused(text: str, message: str) -> None:
    with pytest.raises(TimeParseError, match=message) as e:
        parse_when(text, "Asia/Tokyo", NOW)
    assert "\\u" not in str(e.value)


def test_refusals_echo_input_without_python_escapes() -> None:
    with pytest.raises(TimeParseError) as e:
        parse_when("never\u2060ever", "UTC", NOW)
    assert "\\u2060" not in str(e.value) and "couldn't read" in str(e.value)
    with pytest.raises(TimeParseError) as e:
        parse_offsets("soon\u2060")
    assert "\\u2060" not in str(e.value)


def test_times_are_shown_with_a_readable_zone() -> None:
    at = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert format_when(at, "Etc/GMT-5") == "Sun 29 Nov 2026, 01:00 UTC+5"
    assert format_when(at, "Not/AZone") == "Sat 28 Nov 2026, 20:00 UTC"
