"""Plain-text hygiene for untrusted chat text: normalise, drop control characters, bound the length."""

from __future__ import annotations

import re
import unicodedata

MAX_STORED_TEXT = 16_000
MAX_ECHO = 200

# Lone surrogates (JSON "\udcff" escapes from a platform) cannot be encoded as UTF-8 and would crash the store.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def sanitize(text: str, *, limit: int = MAX_STORED_TEXT) -> str:
    """Drop control and bidi-override characters, normalise, and bound the length (marks a cut with …)."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    return clip(text, limit)


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + "…"


def clip_words(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary and marked with … (mid-word only when the last
    word would take more than half of `limit`, or in scripts written without spaces)."""
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - 1)]
    if not text[len(head)].isspace():
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if space >= limit // 2:
            head = head[:space]
    return head.rstrip() + "…"
