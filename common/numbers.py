"""One parser for every number a member types or a button carries: ASCII digits only, a bounded range.

`str.isdigit()` accepts superscripts ("²") and other scripts' digits that `int()` then refuses or reads in ways a
member never meant, and an unbounded number overflows the database's integer columns. Everything that reads a
number from chat text or a button payload goes through `parse_int`.
"""

from __future__ import annotations

import re

# Row ids are 32-bit INTEGER columns on PostgreSQL: a larger number in a lookup is an error there, not "not found".
DB_INT_MAX = 2**31 - 1
_ASCII_INT = re.compile(r"[+]?[0-9]+")
MAX_DIGITS = 19  # longer than any number a member or a payload may mean; stops int() on megabyte inputs


class NumberError(ValueError):
    """Not a number in range; `reason` is "format" (not ASCII digits) or "range" (outside [low, high])."""

    def __init__(self, raw: str, reason: str, low: int, high: int) -> None:
        super().__init__(f"{reason}: {raw[:20]!r} not in [{low}, {high}]")
        self.raw, self.reason, self.low, self.high = raw, reason, low, high


def parse_int(raw: str, *, low: int = 0, high: int = DB_INT_MAX, strip_hash: bool = False) -> int:
    """The integer `raw` spells in ASCII digits, within [low, high]; raises NumberError otherwise.

    Leading zeros are fine ("0003" is 3); `strip_hash` accepts "#3" for ids shown with a hash.
    """
    text = raw.strip()
    if strip_hash and text.startswith("#"):
        text = text[1:]
    if not _ASCII_INT.fullmatch(text):
        raise NumberError(raw, "format", low, high)
    digits = text.lstrip("+").lstrip("0") or "0"
    if len(digits) > MAX_DIGITS:
        raise NumberError(raw, "range", low, high)
    value = int(digits)
    if not low <= value <= high:
        raise NumberError(raw, "range", low, high)
    return value


def is_ascii_int(raw: str) -> bool:
    """Whether `raw` is a plain number (ASCII digits, nothing else), whatever its size."""
    return bool(_ASCII_INT.fullmatch(raw.strip())) and not raw.strip().startswith("+")


def shown(raw: str, limit: int = 20) -> str:
    """A member's input as it may be echoed in a reply: printable, bounded, never a Python escape sequence."""
    out = "".join(
        ch if ch.isprintable() and not ch.isspace() or ch == " " else "\N{REPLACEMENT CHARACTER}"
        for ch in raw[:limit]
    )
    return out + ("…" if len(raw) > limit else "")
