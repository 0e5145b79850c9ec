"""Repeat rules: the accepted subset, the checks from a first start, and expansion bounded in count and in time
whatever the rule (`community/events/rules.py`), wherever it runs (`recurrence.occurrences`, the daily
roll-forward, the calendar file)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import Engine

from community.events import rules
from community.events.ics import event_ics
from community.events.recurrence import extend_all, next_occurrence, occurrences
from community.events.rules import RuleError, check_rule, check_series, cpu_budget, expand
from storage import db
from storage.models import Event, Group

START = datetime(2026, 11, 28, 20, 0)  # naive: the event's wall clock
NEVER = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"  # every part in range, and no date ever matches


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10", "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10"),
        ("freq=monthly;byday=-1fr", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=-1", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=-1"),
        ("FREQ=DAILY;INTERVAL=3;UNTIL=20271231", "FREQ=DAILY;INTERVAL=3;UNTIL=20271231"),
        ("FREQ=DAILY;BYHOUR=19;BYMINUTE=30", "FREQ=DAILY;BYHOUR=19;BYMINUTE=30"),  # one time a day
    ],
)
def test_acceptable_rules(raw: str, normalised: str) -> None:
    assert check_rule(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "word"),
    [
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL=0 is out of range (1 to 1000)"),
        ("FREQ=DAILY;INTERVAL=-1", "INTERVAL=-1 is out of range"),
        ("FREQ=DAILY;INTERVAL=²", "characters or a length"),
        ("FREQ=DAILY;INTERVAL=99999999999999999999999", "out of range (1 to 1000)"),
        ("FREQ=DAILY;COUNT=0", "COUNT=0 is out of range"),
        ("FREQ=DAILY;BYHOUR=0,12", "more than once a day"),
        ("FREQ=DAILY;BYMINUTE=0,1,2", "more than once a day"),
        ("FREQ=DAILY;BYSECOND=0,30", "more than once a day"),
        ("FREQ=HOURLY", "not more often"),
        ("FREQ=MINUTELY;INTERVAL=1", "not more often"),
        ("INTERVAL=2", "not more often"),
        ("FREQ=DAILY;BYWEEKNO=60", "BYWEEKNO=60 is out of range (1 to 53, or -53 to -1)"),
        ("FREQ=DAILY;BYYEARDAY=0", "BYYEARDAY=0 is out of range"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY=32 is out of range"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH=13 is out of range (1 to 12)"),
        ("FREQ=MONTHLY;BYDAY=+6MO", "BYDAY=+6MO is out of range (1 to 5)"),
        ("FREQ=MONTHLY;BYMONTHDAY=-40", "BYMONTHDAY=-40 is out of range (1 to 31, or -31 to -1)"),
        ("FREQ=WEEKLY;BYDAY=1MO", "needs FREQ=MONTHLY or YEARLY"),
        ("FREQ=WEEKLY;BYDAY=XX", "not valid"),
        ("FREQ=WEEKLY;WKST=XX", "WKST=XX is not a day"),
        ("FREQ=WEEKLY;BYEASTER=0", "I don't know the part BYEASTER"),
        ("FREQ=WEEKLY;FREQ=DAILY", "FREQ is given twice"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20271231", "COUNT or UNTIL, not both"),
        ("FREQ=WEEKLY;UNTIL=tomorrow", "write UNTIL as 20271231"),
        ("FREQ=WEEKLY;DTSTART=20261128T200000", "Leave DTSTART out"),
        ("FREQ=WEEKLY;BYDAY", "has no value"),
        ("FREQ=WEEKLY;" + "BYDAY=MO;" * 30, "length I can't accept"),
        ("FREQ=WEEKLY;BYDAY=MO\u2060", "characters or a length"),
    ],
)
def test_refused_rules_say_why(raw: str, word: str) -> None:
    with pytest.raises(RuleError, match=None) as e:
        check_rule(raw)
    assert word in str(e.value)
    assert "\\u" not in str(e.value) and "\\x" not in str(e.value)


@pytest.mark.parametrize(
    ("raw", "start"),
    [
        (NEVER, START),
        ("FREQ=DAILY;BYWEEKNO=53;BYMONTH=6", START),  # week 53 is never in June
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", START),  # the first is 29 Feb 2028: more than a year ahead
        ("FREQ=WEEKLY;UNTIL=20261101", START),  # over before it starts
        ("FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4", START),  # 31 April
    ],
)
def test_a_series_must_happen_within_a_year(raw: str, start: datetime) -> None:
    began = time.perf_counter()
    with pytest.raises(RuleError, match="never happens in the year after the first session"):
        check_series(raw, start)
    assert time.perf_counter() - began < 1.0


def test_a_leap_day_series_is_fine_when_its_first_is_near() -> None:
    check_series("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", datetime(2027, 3, 1, 20, 0))


@pytest.mark.parametrize(
    "raw", ["FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;BYHOUR=0,1,2", "FREQ=MINUTELY", "FREQ=DAILY;BYWEEKNO=60"]
)
def test_a_stored_rule_that_fails_the_checks_is_not_expanded(raw: str) -> None:
    began = time.perf_counter()
    assert expand(raw, START, after=START, before=START + timedelta(days=999), limit=30) == []
    assert time.perf_counter() - began < 0.1


def test_expansion_stops_at_its_count() -> None:
    found = expand("FREQ=DAILY", START, after=START, before=START + timedelta(days=999), limit=7)
    assert found == [START + timedelta(days=i) for i in range(7)]


def test_expansion_stops_at_its_cpu_budget_even_inside_dateutil(caplog: pytest.LogCaptureFixture) -> None:
    start = START + timedelta(minutes=1)  # a start of its own: not yet known to be barren
    began, cpu = time.perf_counter(), time.thread_time()
    assert expand(NEVER, start, after=start, before=start + timedelta(days=3 * 366), limit=30) == []
    # dateutil alone walks to the year 9999: many seconds
    assert time.thread_time() - cpu < 2 * rules.EXPANSION_BUDGET_SECONDS
    assert time.perf_counter() - began < 1.0
    assert "expansion stopped" in caplog.text
    began = time.perf_counter()
    assert expand(NEVER, start, after=start, before=start + timedelta(days=30), limit=1) == []
    assert time.perf_counter() - began < 0.01  # remembered: it costs its budget once


def test_the_budget_hook_is_removed_and_the_previous_one_restored() -> None:
    calls: list[str] = []

    def previous(frame: object, event: str, arg: object) -> None:
        calls.append(event)

    sys.setprofile(previous)
    try:
        with pytest.raises(rules.OutOfTime), cpu_budget(0.001):
            while True:
                sum(range(100))
                (lambda: None)()
        assert sys.getprofile() is previous
    finally:
        sys.setprofile(None)
    with cpu_budget(10):
        pass
    assert sys.getprofile() is None


# ---- where expansion runs ---------------------------------------------------------------------------------------
def crafted(rule: str, *, event_id: int = 1) -> Event:
    return Event(
        id=event_id,
        group_id=1,
        title="Crafted",
        starts_at=datetime(2026, 11, 28, 20, 0, tzinfo=UTC),
        timezone="Asia/Tokyo",
        rrule=rule,
        status="scheduled",
    )


@pytest.mark.parametrize("rule", ["FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;BYWEEKNO=60", NEVER + ";INTERVAL=1"])
def test_occurrences_of_a_crafted_rule_are_bounded(rule: str) -> None:
    event = crafted(rule)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    began = time.perf_counter()
    assert occurrences(event, now, now + timedelta(days=60)) == []
    assert next_occurrence(event, now) is None
    assert time.perf_counter() - began < 1.0


def test_the_calendar_file_leaves_out_a_rule_it_would_not_expand() -> None:
    data = event_ics(crafted("FREQ=DAILY;INTERVAL=0"), now=datetime.now(UTC))
    assert b"RRULE" not in data and len(icalendar.Calendar.from_ical(data).walk("VEVENT")) == 1
    assert b"RRULE:FREQ=WEEKLY;BYDAY=TU" in event_ics(crafted("FREQ=WEEKLY;BYDAY=TU"), now=datetime.now(UTC))


def test_the_daily_roll_forward_is_bounded(backend: str, engine: Engine) -> None:
    with db.session_scope(engine) as s:
        group = Group(platform="test", platform_chat_id="g1", title="g", timezone="Asia/Tokyo")
        s.add(group)
        s.flush()
        assert group.id is not None
        for i, rule in enumerate(["FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;BYWEEKNO=60", NEVER, "FREQ=WEEKLY"]):
            event = crafted(rule, event_id=100 + i)
            event.group_id = group.id
            s.add(event)
    began = time.thread_time()  # the CPU it takes (writing 18 reminders waits on the disk as well)
    with db.session_scope(engine) as s:
        made = extend_all(s, now=datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    assert time.thread_time() - began < 1.0
    assert made == 2 * 9  # only the weekly series: 9 sessions in 60 days, 2 reminders each
