"""Reading what owners type for event times, durations, repeats and reminder offsets.

English (and most other languages) goes to `dateparser`; a small reader handles the common Chinese forms
("明天晚上8点", "下周二 19:30", "12月3日下午3点半") that dateparser does not understand. Everything is read as wall-clock
time in the group's zone and returned as an aware UTC datetime. Impossible dates (31 February) get their own
message instead of a vague "could not read".
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser
from dateutil.rrule import rrulestr

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


def parse_when(text: str, tz: str, now: datetime) -> datetime:
    """The UTC instant that `text` names in zone `tz`, relative to `now` (aware). Raises TimeParseError."""
    text = text.strip()
    if not text:
        raise TimeParseError("Say when, e.g. 'tomorrow 8pm', 'next Tue 19:30' or '2026-12-03 18:00'.")
    if len(text) > 80:
        raise TimeParseError("That time is too long to read; write it like 'next Tue 19:30'.")
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone).replace(tzinfo=None)
    _check_impossible_date(text)
    local: datetime | None = None
    if re.search(r"[\u4e00-\u9fff]", text):
        local = parse_chinese(text, local_now)
    if local is None:
        iso = _ISO.match(text)
        if iso:
            y, mo, d, h, mi = (int(x) if x else 0 for x in iso.groups())
            local = datetime(y, mo, d, h, mi)
    if local is None:
        parsed = dateparser.parse(
            text,
            languages=["en", "zh", "de", "fr", "es"],
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": local_now,
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
        local = parsed
    if local is None:
        raise TimeParseError(
            f"I couldn't read {text[:80]!r} as a time. Try 'tomorrow 8pm', 'next Tue 19:30' or "
            "'2026-12-03 18:00'."
        )
    return localize(local.replace(tzinfo=None, microsecond=0), zone)


def localize(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in `zone` as UTC (PEP 495 fold=0): a time inside a spring-forward gap moves forward
    by the gap (02:30 becomes 03:30), a repeated autumn time means its first occurrence."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _check_impossible_date(text: str) -> None:
    def check(year: int, month: int, day: int) -> None:
        if 1 <= month <= 12 and day > calendar.monthrange(year, month)[1]:
            raise TimeParseError(f"There is no {day} {calendar.month_name[month]}: check the date.")

    iso = _ISO.match(text)
    if iso:
        year, month, day = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
        if not 1 <= month <= 12:
            raise TimeParseError(f"There is no month {month}.")
        check(year, month, day)
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
        if not 1 <= month <= 12 or dom > calendar.monthrange(year, month)[1]:
            raise TimeParseError(
                f"There is no {dom} {calendar.month_name[month] if 1 <= month <= 12 else month}."
            )
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
_ALLOWED_FREQ = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


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
    """Check an RRULE body with dateutil; refuse rules that fire more often than daily."""
    if len(raw) > 200 or not re.fullmatch(r"[A-Za-z0-9=;,+\-:]+", raw):
        raise TimeParseError("That RRULE has characters or a length I can't accept.")
    body = raw.upper()
    parts = dict(p.split("=", 1) for p in body.split(";") if "=" in p)
    if parts.get("FREQ") not in _ALLOWED_FREQ:
        raise TimeParseError(
            "Repeats can be daily, weekly, every other week, monthly or yearly — not more often."
        )
    if "DTSTART" in body:
        raise TimeParseError("Leave DTSTART out of the RRULE: the event's time is the start.")
    try:
        rrulestr(body, dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as e:
        raise TimeParseError(f"That RRULE is not valid ({str(e)[:80]}).") from None
    return body


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
                f"{item[:20]!r} is not a reminder time; use minutes like 15, or 15m, 2h, 1d."
            )
        n, unit = int(m.group(1)), (m.group(2) or "m").lower()
        minutes = n * (1440 if unit.startswith("d") else 60 if unit.startswith("h") else 1)
        if not 0 <= minutes <= MAX_OFFSET_MINUTES:
            raise TimeParseError("A reminder can be at most 14 days before the start.")
        out.add(minutes)
    return sorted(out, reverse=True)


# ---- display --------------------------------------------------------------------------------------------------
def format_when(at: datetime, tz: str) -> str:
    """'Thu 3 Dec 2026, 20:00 Asia/Shanghai'."""
    local = at.astimezone(ZoneInfo(tz))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {tz}"


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
    """The member's own zone when it is a valid one, else the fallback."""
    if member_tz:
        try:
            ZoneInfo(member_tz)
            return member_tz
        except (ValueError, KeyError, OSError):
            pass
    return fallback
