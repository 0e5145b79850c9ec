"""Repeat rules (RFC 5545 RRULE bodies): the subset events accept, checked when an owner types one and again
before every expansion, and expansion bounded in count and in time.

dateutil expands a rule by walking its periods one by one and yields only on a match, so a rule that never matches
(`FREQ=DAILY;BYWEEKNO=60`, `BYMONTH=2;BYMONTHDAY=30`) walks day by day to the year 9999 without yielding (seconds of
CPU), and `INTERVAL=0` never advances at all. Hence three layers:

- `check_rule`: the text, part by part: known parts, each once, values in range, `INTERVAL` from 1, DAILY or
  rarer, and at most one BYHOUR / BYMINUTE / BYSECOND value (so at most one occurrence a day);
- `check_series`: from the first start, a first occurrence within a year and at most one occurrence a day;
- `expand`: re-checks the stored rule (a row may predate these checks or be written by hand), stops after
  `limit` occurrences, and stops after `EXPANSION_BUDGET_SECONDS` of the thread's CPU time even inside dateutil's
  own loop (a profile hook on this thread only, removed afterwards). A rule that found nothing in its budget has
  no occurrence for decades after its start; it is remembered (bounded), so it costs its budget once per process.

Expansion runs on naive wall-clock times in the event's zone (see `recurrence.py`); callers run it off the event
loop, in the store's worker threads.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from dateutil.rrule import rrule, rrulestr

from common.numbers import NumberError, parse_int, shown

log = logging.getLogger(__name__)

MAX_RULE_LENGTH = 200
MAX_INTERVAL = 1000
MAX_COUNT = 10_000
FIRST_WITHIN = timedelta(days=366)  # a series must have a first occurrence this soon after its start
PROBE_OCCURRENCES = 60  # occurrences looked at for "at most one a day" when a rule is checked
EXPANSION_BUDGET_SECONDS = 0.1  # CPU time one expansion may take (a valid rule needs about a millisecond)
MAX_REMEMBERED = 1024  # series known to have no occurrence within the budget

ALLOWED_FREQ = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# part -> highest absolute value (negative values count from the end); part -> (lowest, highest)
_SIGNED_RANGES = {"BYMONTHDAY": 31, "BYYEARDAY": 366, "BYWEEKNO": 53, "BYSETPOS": 366}
_PLAIN_RANGES = {"BYMONTH": (1, 12), "BYHOUR": (0, 23), "BYMINUTE": (0, 59), "BYSECOND": (0, 59)}
_ONE_A_DAY = ("BYHOUR", "BYMINUTE", "BYSECOND")
_KNOWN = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST", *_SIGNED_RANGES, *_PLAIN_RANGES})
_BYDAY = re.compile(r"([+-]?)([0-9]{1,2})?([A-Z]{2})")
_UNTIL = re.compile(r"[0-9]{8}(?:T[0-9]{6})?")
TOO_OFTEN = "Repeats can be daily, weekly, every other week, monthly or yearly — not more often."


class RuleError(ValueError):
    """Why a repeat rule is refused, in words for the member."""


# ---- the rule's text ------------------------------------------------------------------------------------------
def check_rule(raw: str) -> str:
    """The normalised RRULE body (upper case, no `RRULE:` prefix) when every part is acceptable; else RuleError."""
    body = raw.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    body = body.upper()
    if len(body) > MAX_RULE_LENGTH or not re.fullmatch(r"[A-Z0-9=;,+\-]+", body):
        raise RuleError("That RRULE has characters or a length I can't accept.")
    parts: dict[str, str] = {}
    for item in body.split(";"):
        name, eq, value = item.partition("=")
        if name == "DTSTART":
            raise RuleError("Leave DTSTART out of the RRULE: the event's time is the start.")
        if not eq or not value:
            raise RuleError(f"That RRULE is not valid: {shown(item, 30)} has no value.")
        if name not in _KNOWN:
            raise RuleError(f"That RRULE is not valid: I don't know the part {shown(name, 20)}.")
        if name in parts:
            raise RuleError(f"That RRULE is not valid: {name} is given twice.")
        parts[name] = value
    if parts.get("FREQ") not in ALLOWED_FREQ:
        raise RuleError(TOO_OFTEN)
    if "INTERVAL" in parts:
        _number(parts["INTERVAL"], "INTERVAL", 1, MAX_INTERVAL)
    if "COUNT" in parts:
        _number(parts["COUNT"], "COUNT", 1, MAX_COUNT)
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("That RRULE is not valid: give COUNT or UNTIL, not both.")
    if "UNTIL" in parts and not _UNTIL.fullmatch(parts["UNTIL"]):
        raise RuleError("That RRULE is not valid: write UNTIL as 20271231 or 20271231T235900.")
    for name in _ONE_A_DAY:
        if name in parts and "," in parts[name]:
            raise RuleError(
                f"That repeat fires more than once a day ({name} has several values). " + TOO_OFTEN
            )
    for name, high in _SIGNED_RANGES.items():
        for value in parts[name].split(",") if name in parts else ():
            _number(value.removeprefix("-"), name, 1, high, shown_as=value)
    for name, (low, high) in _PLAIN_RANGES.items():
        for value in parts[name].split(",") if name in parts else ():
            _number(value, name, low, high)
    if "BYDAY" in parts:
        for value in parts["BYDAY"].split(","):
            _check_day(value, parts["FREQ"])
    if "WKST" in parts and parts["WKST"] not in _DAYS:
        raise RuleError(f"That RRULE is not valid: WKST={shown(parts['WKST'], 8)} is not a day (MO to SU).")
    try:
        rrulestr(body, dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise RuleError(f"That RRULE is not valid ({shown(str(e), 80)}).") from None
    return body


def _number(raw: str, name: str, low: int, high: int, *, shown_as: str | None = None) -> int:
    try:
        return parse_int(raw, low=low, high=high)
    except NumberError:
        span = f"{low} to {high}" if name not in _SIGNED_RANGES else f"1 to {high}, or -{high} to -1"
        raise RuleError(
            f"That RRULE is not valid: {name}={shown(shown_as or raw, 12)} is out of range ({span})."
        ) from None


def _check_day(value: str, freq: str) -> None:
    m = _BYDAY.fullmatch(value)
    if not m or m.group(3) not in _DAYS:
        raise RuleError(f"That RRULE is not valid: BYDAY={shown(value, 12)} is not a day (MO to SU).")
    if m.group(2) is not None:
        high = 5 if freq == "MONTHLY" else 53
        if freq not in ("MONTHLY", "YEARLY"):
            raise RuleError(
                f"That RRULE is not valid: a numbered day ({shown(value, 12)}) needs FREQ=MONTHLY or YEARLY."
            )
        _number(m.group(2), "BYDAY", 1, high, shown_as=value)


# ---- a series from its start ----------------------------------------------------------------------------------
def check_series(body: str, first_local: datetime) -> None:
    """From the first start (naive, the event's wall clock): a first occurrence within a year, at most one a day."""
    rule = _rule(check_rule(body), first_local)
    found, complete = _walk(rule, first_local, first_local + FIRST_WITHIN, PROBE_OCCURRENCES)
    if not found:
        raise RuleError(
            "That repeat never happens in the year after the first session"
            + (" (or takes too long to work out)" if not complete else "")
            + ". Check BYMONTH, BYMONTHDAY, BYWEEKNO and UNTIL."
        )
    days = [at.date() for at in found]
    if len(set(days)) != len(days):
        raise RuleError("That repeat fires more than once a day. " + TOO_OFTEN)


def expand(
    body: str, first_local: datetime, *, after: datetime, before: datetime, limit: int
) -> list[datetime]:
    """Occurrences (naive wall clock) in [after, before], at most `limit`, within the CPU budget.

    A stored rule that fails `check_rule` is not expanded at all (logged); one that runs out of time gives what it
    found so far (logged)."""
    try:
        rule = _rule(check_rule(body), first_local)
    except RuleError as e:
        log.warning("repeat rule %s not expanded: %s", shown(body, 60), e)
        return []
    if _barren.known(body, first_local):
        return []
    found, complete = _walk(rule, after, before, limit)
    if not complete:
        log.warning(
            "repeat rule %s from %s: expansion stopped after %.2f s of CPU",
            shown(body, 60),
            first_local.isoformat(),
            EXPANSION_BUDGET_SECONDS,
        )
        if not found:
            _barren.add(body, first_local)
    return found


class _Barren:
    """Series (rule, first start) whose expansion found nothing within its budget: bounded, thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._seen: OrderedDict[tuple[str, datetime], None] = OrderedDict()
        self._lock = threading.Lock()

    def known(self, body: str, first_local: datetime) -> bool:
        with self._lock:
            return (body, first_local) in self._seen

    def add(self, body: str, first_local: datetime) -> None:
        with self._lock:
            self._seen[(body, first_local)] = None
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)


_barren = _Barren(MAX_REMEMBERED)


def _rule(body: str, first_local: datetime) -> rrule:
    try:
        parsed = rrulestr(body, dtstart=first_local)
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise RuleError(f"That RRULE is not valid ({shown(str(e), 80)}).") from None
    assert isinstance(parsed, rrule)
    return parsed


def _walk(rule: rrule, after: datetime, before: datetime, limit: int) -> tuple[list[datetime], bool]:
    """Occurrences in [after, before], at most `limit`; False when the CPU budget ran out first."""
    found: list[datetime] = []
    try:
        with cpu_budget(EXPANSION_BUDGET_SECONDS):
            for at in rule.xafter(after, inc=True):
                if at > before:
                    break
                found.append(at)
                if len(found) >= limit:
                    break
    except OutOfTime:
        return found, False
    return found, True


class OutOfTime(Exception):
    """A bounded computation used up its CPU budget."""


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise `OutOfTime` inside the block once this thread has used `seconds` of CPU time in it.

    A profile hook on the current thread sees every Python call, including each step of a generator such as
    dateutil's period walk, so the limit holds even where the library never yields back. The previous hook is
    restored on exit."""
    deadline = time.thread_time() + seconds
    previous = sys.getprofile()

    def guard(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and time.thread_time() > deadline:
            raise OutOfTime

    hook: Callable[[FrameType, str, Any], object] = guard
    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(previous)
