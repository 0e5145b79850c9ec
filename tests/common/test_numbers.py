"""The one number parser: ASCII digits only, bounded, clear failure reasons."""

from __future__ import annotations

import pytest

from common.numbers import DB_INT_MAX, NumberError, is_ascii_int, parse_int, shown


@pytest.mark.parametrize(
    "raw", ["²", "٣", "３", "1²", "", " ", "-1", "1.5", "1e3", "0x10", "\u2060", "1\u20602"]
)
def test_non_ascii_or_non_integer_is_a_format_error(raw: str) -> None:
    with pytest.raises(NumberError) as e:
        parse_int(raw)
    assert e.value.reason == "format"


def test_leading_zeros_hash_and_range() -> None:
    assert parse_int("0000003") == 3
    assert parse_int("#12", strip_hash=True) == 12
    with pytest.raises(NumberError):
        parse_int("#12")
    with pytest.raises(NumberError) as e:
        parse_int("99999999999", low=1, high=10)
    assert e.value.reason == "range" and (e.value.low, e.value.high) == (1, 10)
    with pytest.raises(NumberError) as e:
        parse_int("1" * 40)
    assert e.value.reason == "range"
    assert parse_int(str(DB_INT_MAX)) == DB_INT_MAX
    with pytest.raises(NumberError) as e:
        parse_int(str(DB_INT_MAX + 1))  # beyond PostgreSQL's INTEGER ids: refused, not a database error
    assert e.value.reason == "range"


def test_is_ascii_int_and_shown() -> None:
    assert is_ascii_int("42") and not is_ascii_int("²") and not is_ascii_int("+4")
    assert shown("\u2060x") == "\N{REPLACEMENT CHARACTER}x"
    assert "\\u" not in shown("\u2060") and shown("a" * 30).endswith("…")
