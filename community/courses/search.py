"""Catalogue search (title, tags, description; Chinese by character bigrams) and course mentions in messages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from storage.models import Course

_WORD = re.compile(r"[\w+#]+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def search_terms(query: str) -> list[str]:
    """The words a query searches by (at most 32); [] when it has none (only punctuation, symbols, spaces)."""
    terms: list[str] = []
    for w in _WORD.findall(query.lower()):
        if _CJK.search(w):
            # No spaces in Chinese: match character bigrams (and single characters for one-character words).
            chars = [c for c in w if _CJK.match(c)]
            terms.extend(["".join(chars[i : i + 2]) for i in range(len(chars) - 1)] or chars)
            rest = _CJK.sub(" ", w).split()
            terms.extend(rest)
        else:
            terms.append(w)
    return terms[:32]


def search_courses(courses: Iterable[Course], query: str) -> list[Course]:
    """Courses matching the query, best first: title hits weigh most, then tags, then description."""
    terms = search_terms(query)
    if not terms:
        return sorted(courses, key=lambda c: c.id or 0)
    scored: list[tuple[float, int, Course]] = []
    for c in courses:
        title, desc = c.title.lower(), c.description.lower()
        tags = " ".join(c.tags).lower()
        score = 0.0
        for t in terms:
            if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", title) or (_CJK.search(t) and t in title):
                score += 3
            elif t in title:
                score += 1.5
            if t in tags:
                score += 2
            if t in desc:
                score += 1
        if score > 0:
            scored.append((score, -(c.id or 0), c))
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    return [c for _, _, c in scored]


def mentioned_courses(text: str, courses: Sequence[Course]) -> list[Course]:
    """Courses named in a message: by full title (case-insensitive) or as #ID."""
    low = text.lower()
    ids = {int(m) for m in re.findall(r"(?<![\w&])#(\d{1,7})\b", text)}
    found = [c for c in courses if c.id in ids or (len(c.title) >= 4 and c.title.lower() in low)]
    return found
