"""Reading what owners type for event times, durations, repeats and reminder offsets.

English (and most other languages) goes to `dateparser`; a small reader handles the common Chinese forms
("明天晚上8点", "下周二 19:30", "12月3日下午3点半") that dateparser does not understand. A time is read as wall-clock
time in the group's zone, unless the text names its own zone ("20:00 UTC", "20:00Z", "+05:30", "UTC-3", "EST",
"Europe/Berlin"): then in that one. It is returned as an aware UTC datetime. Impossible dates (31 February, month
13) and clock times (25pm, 24:61) get their own message instead of a vague "could not read" or a wrong time.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import dateparser
from dateparser.timezone_parser import pop_tz_offset_from_string

from common.numbers import shown
from community.events.rules import RuleError, check_rule
from community.members.timezones import valid_timezone, zone_label

MAX_DURATION_MINUTES = 24 * 60
MAX_OFFSET_MINUTES = 14 * 24 * 60
MAX_OFFSETS = 5


class TimeParseError(ValueError):
    """A message for the member: why the text is not a usable time."""


# ---- when -----------------------------------------------------------------------------------------------------
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?\s*$")
_DAY_MONTH = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\b|\b([A-Za-z]{3,9})\s+(\d{1,2})(?:st|nd|rd|th)?\b"
)
EXAMPLES = "Try 'tomorrow 8pm', 'next Tue 19:30' or '2026-12-03 18:00'."


def parse_when(text: str, tz: str, now: datetime) -> datetime:
    """The UTC instant that `text` names, read in zone `tz` unless it names its own, relative to `now` (aware).
    Raises TimeParseError."""
    text = text.strip()
    if not text:
        raise TimeParseError("Say when, e.g. 'tomorrow 8pm', 'next Tue 19:30' or '2026-12-03 18:00'.")
    if len(text) > 80:
        raise TimeParseError("That time is too long to read; write it like 'next Tue 19:30'.")
    rest, named = split_zone(text)
    rest = _DOTTED_CLOCK.sub(r"\1:\2", rest)  # "19.30" and "7.30pm" (dateparser would drop them silently)
    zone = named or ZoneInfo(tz)
    if not rest:
        raise TimeParseError(f"Say when as well as the zone. {EXAMPLES}")
    local_now = now.astimezone(zone).replace(tzinfo=None)
    _check_impossible_date(rest)
    _check_clock(rest)
    local: datetime | None = None
    if re.search(r"[\u4e00-\u9fff]", rest):
        local = parse_chinese(rest, local_now)
    if local is None:
        iso = _ISO.match(rest)
        if iso:
            y, mo, d, h, mi = (int(x) if x else 0 for x in iso.groups())
            local = datetime(y, mo, d, h, mi)
    if local is None:
        parsed = dateparser.parse(
            rest,
            languages=["en", "zh", "de", "fr", "es"],
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": local_now,
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
        local = parsed
    if local is None:
        raise TimeParseError(f"I couldn't read '{shown(text, 80)}' as a time. {EXAMPLES}")
    return localize(local.replace(tzinfo=None, microsecond=0), zone)


def localize(local: datetime, zone: tzinfo) -> datetime:
    """A naive wall-clock time in `zone` as UTC (PEP 495 fold=0): a time inside a spring-forward gap moves forward
    by the gap (02:30 becomes 03:30), a repeated autumn time means its first occurrence."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


# ---- an explicit zone in the text -----------------------------------------------------------------------------
MIN_UTC_OFFSET, MAX_UTC_OFFSET = timedelta(hours=-12), timedelta(hours=14)
# Abbreviations that name different zones in different places (IST: India, Ireland or Israel; CST: Central
# America or China): refused rather than guessed.
AMBIGUOUS_ABBREVIATIONS = frozenset(
    {"IST", "CST", "CDT", "BST", "AST", "ADT", "GST", "SST", "ECT", "AMT", "AMST"}
)
_IANA = re.compile(r"(?<![\w/])[A-Za-z][\w+\-]*(?:/[\w+\-]+)+")
_UTC_OFFSET = re.compile(r"\b(?:UTC|GMT)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?(?!\d)", re.I)
# "+05:30", "+0500", "-03" after a clock time or a space, at the end of the text
_BARE_OFFSET = re.compile(r"(?:(?<=\s)|(?<=\d:\d\d)|(?<=[ap]m))([+-])(\d{2})(?::?(\d{2}))?\s*$", re.I)
_ZULU = re.compile(r"(?:(?<=\d)|(?<=\s))Z\s*$", re.I)


def split_zone(text: str) -> tuple[str, tzinfo | None]:
    """The text without the zone it names, and that zone (None when it names none). A zone that is unknown,
    ambiguous or out of range raises TimeParseError: it is never silently ignored."""
    m = _IANA.search(text)
    if m:
        name = valid_timezone(m.group(0))
        if name is None:
            raise TimeParseError(
                f"I don't know the time zone '{shown(m.group(0), 40)}'. Use a name like Europe/Berlin, "
                "or an offset like +05:30."
            )
        return _without(text, m), ZoneInfo(name)
    for pattern in (_UTC_OFFSET, _BARE_OFFSET):
        m = pattern.search(text)
        if m:
            return _without(text, m), _fixed(m.group(0), m.group(1), m.group(2), m.group(3))
    m = _ZULU.search(text)
    if m:
        return _without(text, m), ZoneInfo("UTC")
    rest, found = pop_tz_offset_from_string(text)
    if found is None:
        return text, None
    name = str(found.tzname(None)).upper()
    if name in AMBIGUOUS_ABBREVIATIONS:
        raise TimeParseError(
            f"{name} means different zones in different places; write an offset like +05:30 or a zone name "
            "like Asia/Kolkata."
        )
    if name in ("UTC", "GMT", "Z"):
        return " ".join(rest.split()), ZoneInfo("UTC")
    offset = found.utcoffset(None)
    if offset is None or not MIN_UTC_OFFSET <= offset <= MAX_UTC_OFFSET:
        raise TimeParseError(f"I can't use the time zone {shown(name, 12)}; write an offset like +05:30.")
    return " ".join(rest.split()), timezone(offset)


def _without(text: str, m: re.Match[str]) -> str:
    return " ".join((text[: m.start()] + " " + text[m.end() :]).split())


def _fixed(raw: str, sign: str, hours: str, minutes: str | None) -> tzinfo:
    h, mi = int(hours), int(minutes or 0)
    offset = timedelta(hours=h, minutes=mi) * (-1 if sign == "-" else 1)
    if mi >= 60 or not MIN_UTC_OFFSET <= offset <= MAX_UTC_OFFSET:
        raise TimeParseError(
            f"'{shown(raw.strip(), 12)}' is not an offset any place uses: they go from -12:00 to +14:00."
        )
    return ZoneInfo("UTC") if not offset else timezone(offset)


# ---- impossible dates and clock times -------------------------------------------------------------------------
_DOTTED_CLOCK = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?![\d.])")  # not a date such as 3.12.2026
_TWELVE_HOUR = re.compile(r"(?<![\d:.])(\d{1,3})(?::(\d{1,3}))?\s*([ap])\.?\s?m\b\.?", re.I)
_TWENTY_FOUR_HOUR = re.compile(r"(?<![\d:])(\d{1,3}):(\d{1,3})(?![\d:])")


def _check_clock(text: str) -> None:
    """Refuse clock times no day has (25pm, 0am, 24:61), which dateparser would read as some other time."""
    for m in _TWELVE_HOUR.finditer(text):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59 or (m.group(2) is not None and len(m.group(2)) != 2):
            raise TimeParseError(f"{shown(m.group(0).strip(), 12)} is not a time of day. {EXAMPLES}")
    for m in _TWENTY_FOUR_HOUR.finditer(text):
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59 or len(m.group(2)) != 2:
            raise TimeParseError(f"{shown(m.group(0), 12)} is not a time of day. {EXAMPLES}")


def _check_impossible_date(text: str) -> None:
    def check(year: int, month: int, day: int) -> None:
        if not 1 <= month <= 12:
            raise TimeParseError(f"There is no month {month}: check the date.")
        if not 1 <= day <= calendar.monthrange(year, month)[1]:
            raise TimeParseError(f"There is no {day} {calendar.month_name[month]}: check the date.")

    iso = _ISO.match(text)
    if iso:
        check(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        return
    for m in _DAY_MONTH.finditer(text):
        day_s, month_s = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        found = _MONTHS.get(month_s.lower())
        if found:
            check(2024 if found == 2 else 2026, found, int(day_s))  # a leap year: 29 February can exist
    cn = re.search(r"(\d{1,2})月(\d{1,2})[日号]", text)
    if cn:
        check(2024, int(cn.group(1)), int(cn.group(2)))


# ---- Chinese --------------------------------------------------------------------------------------------------
_CN_NUM = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_CN_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CN_DAY_WORDS = {"今天": 0, "今晚": 0, "明天": 1, "明晚": 1, "后天": 2, "大后天": 3}
_CN = re.compile(
    r"^(?:(?P<y>\d{4})年)?(?:(?P<mo>\d{1,2})月(?P<d>\d{1,2})[日号])?"
    r"(?P<rel>大后天|今天|今晚|明天|明晚|后天)?"
    r"(?:(?P<next>下个?|这个?|本)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天]))?"
    r"\s*(?P<period>早上|上午|中午|下午|傍晚|晚上|凌晨)?"
    r"\s*(?:(?P<h>\d{1,2}|[零一二两三四五六七八九十]{1,3})(?:[点时:：](?P<mi>\d{1,2}|半|一刻|三刻)?分?)?)?\s*$"
)


def _cn_int(s: str) -> int:
    if s.isdigit():
        return int(s)
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN_NUM[s[1]]
    if "十" in s:
        tens, _, ones = s.partition("十")
        return _CN_NUM[tens] * 10 + (_CN_NUM[ones] if ones else 0)
    return _CN_NUM[s]


def parse_chinese(text: str, local_now: datetime) -> datetime | None:
    """Common Chinese date/time phrases as a naive local datetime, or None when the text has another shape."""
    m = _CN.match(text.replace(" ", "") if not re.search(r"\d\s+\d", text) else text)
    if not m or not any(m.group(k) for k in ("y", "mo", "rel", "wd", "h")):
        return None
    day: date = local_now.date()
    if m.group("mo"):
        year = int(m.group("y") or local_now.year)
        month, dom = int(m.group("mo")), int(m.group("d"))
        if not 1 <= month <= 12:
            raise TimeParseError(f"There is no month {month}: check the date.")
        if not 1 <= dom <= calendar.monthrange(year, month)[1]:
            raise TimeParseError(f"There is no {dom} {calendar.month_name[month]}: check the date.")
        day = date(year, month, dom)
        if not m.group("y") and day < local_now.date():
            day = date(year + 1, month, dom)
    elif m.group("rel"):
        day = local_now.date() + timedelta(days=_CN_DAY_WORDS[m.group("rel")])
    elif m.group("wd"):
        target = _CN_WEEKDAY[m.group("wd")]
        today = local_now.weekday()
        if m.group("next") and m.group("next").startswith("下"):
            monday_next = local_now.date() + timedelta(days=7 - today)
            day = monday_next + timedelta(days=target)
        else:
            day = local_now.date() + timedelta(days=(target - today) % 7)
    hour, minute = 9, 0
    if m.group("h"):
        hour = _cn_int(m.group("h"))
        mi = m.group("mi")
        minute = {"半": 30, "一刻": 15, "三刻": 45}.get(mi or "", int(mi) if mi and mi.isdigit() else 0)
    elif m.group("rel") in ("今晚", "明晚"):
        hour = 20
    period = m.group("period") or ("晚上" if m.group("rel") in ("今晚", "明晚") else None)
    if period in ("下午", "傍晚", "晚上") and hour < 12 or period == "中午" and hour < 11:
        hour += 12
    elif period == "凌晨" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise TimeParseError(f"{hour}:{minute:02d} is not a time of day.")
    result = datetime.combine(day, time(hour, minute))
    if not m.group("mo") and not m.group("rel") and result <= local_now:
        # a bare "晚上8点" means the next one; "周五 19:00" said on Friday evening means next Friday
        result += timedelta(days=7 if m.group("wd") else 1)
    return result


# ---- duration, repeat, offsets --------------------------------------------------------------------------------
_DUR = re.compile(
    r"^\s*(?:(\d{1,3})\s*(?:h|hr|hrs|hours?|小时))?\s*(?:(\d{1,4})\s*(?:m|min|mins|minutes?|分钟?))?\s*$",
    re.I,
)


def parse_duration(text: str) -> int | None:
    """Minutes for '90m', '1h30m', '2 hours', '45 min', '1.5h'; None when it is not a duration."""
    t = text.strip().lower()
    if not t:
        return None
    frac = re.fullmatch(r"(\d{1,2})\.(\d)\s*(?:h|hours?)", t)
    if frac:
        minutes = int(frac.group(1)) * 60 + int(frac.group(2)) * 6
    else:
        m = _DUR.match(t)
        if not m or not (m.group(1) or m.group(2)):
            return None
        minutes = int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
    if not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise TimeParseError("A session lasts from 1 minute to 24 hours.")
    return minutes


_REPEATS = {
    "daily": "FREQ=DAILY",
    "every day": "FREQ=DAILY",
    "每天": "FREQ=DAILY",
    "weekly": "FREQ=WEEKLY",
    "every week": "FREQ=WEEKLY",
    "每周": "FREQ=WEEKLY",
    "every other week": "FREQ=WEEKLY;INTERVAL=2",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2",
    "fortnightly": "FREQ=WEEKLY;INTERVAL=2",
    "every 2 weeks": "FREQ=WEEKLY;INTERVAL=2",
    "隔周": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
    "every month": "FREQ=MONTHLY",
    "每月": "FREQ=MONTHLY",
}


def parse_repeat(text: str) -> str | None:
    """An RRULE body ('FREQ=WEEKLY;INTERVAL=2') for a repeat phrase or RRULE; None when it is not a repeat."""
    t = " ".join(text.strip().lower().split())
    if t.startswith("repeat "):
        t = t[len("repeat ") :]
    if t in _REPEATS:
        return _REPEATS[t]
    raw = text.strip()
    if raw.upper().startswith("RRULE:"):
        raw = raw[6:]
    if not raw.upper().startswith("FREQ="):
        return None
    return validate_rrule(raw)


def validate_rrule(raw: str) -> str:
    """The rule's text checked part by part (`rules.check_rule`: at most daily, INTERVAL from 1, values in
    range). Whether it ever happens depends on the start: `rules.check_series` when the event is saved."""
    try:
        return check_rule(raw)
    except RuleError as e:
        raise TimeParseError(str(e)) from None


_OFFSET = re.compile(r"^(\d{1,5})\s*(m|min|mins|minutes?|h|hr|hours?|d|days?)?$", re.I)


def parse_offsets(text: str) -> list[int]:
    """Reminder offsets in minutes before start from '1440,15', '24h, 15m', '1m', '1d'. Sorted, largest first."""
    items = [x.strip() for x in re.split(r"[,\s]+", text.strip()) if x.strip()]
    if not items:
        raise TimeParseError("Give reminder times before the start, e.g. '24h,15m' or '1440,15' (minutes).")
    if len(items) > MAX_OFFSETS:
        raise TimeParseError(f"At most {MAX_OFFSETS} reminders per event.")
    out: set[int] = set()
    for item in items:
        m = _OFFSET.match(item)
        if not m:
            raise TimeParseError(
                f"'{shown(item, 20)}' is not a reminder time; use minutes like 15, or 15m, 2h, 1d."
            )
        n, unit = int(m.group(1)), (m.group(2) or "m").lower()
        minutes = n * (1440 if unit.startswith("d") else 60 if unit.startswith("h") else 1)
        if not 0 <= minutes <= MAX_OFFSET_MINUTES:
            raise TimeParseError("A reminder can be at most 14 days before the start.")
        out.add(minutes)
    return sorted(out, reverse=True)


# ---- display --------------------------------------------------------------------------------------------------
def format_when(at: datetime, tz: str) -> str:
    """'Thu 3 Dec 2026, 20:00 Asia/Shanghai' ('UTC+5' for Etc/GMT-5; a zone that is not one reads as UTC)."""
    name = valid_timezone(tz) or "UTC"
    local = at.astimezone(ZoneInfo(name))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {zone_label(name)}"


def format_offset(minutes: int) -> str:
    if minutes and minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes and minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def describe_rrule(rrule: str | None) -> str:
    """A short human label for the stored rule."""
    if not rrule:
        return "once"
    for label in ("daily", "weekly", "every other week", "monthly"):
        if _REPEATS[label] == rrule:
            return label
    return "repeats " + rrule[:80]


def reader_zone(member_tz: str | None, fallback: str) -> str:
    """The zone a person reads times in: their own (set with /timezone) when it is a real zone, else `fallback`
    (the group's)."""
    return (valid_timezone(member_tz) if member_tz else None) or fallback
