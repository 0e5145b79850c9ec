"""Members as the matcher sees them: features from their topics, recent messages, liked courses, time zone and
check-in answers (`build_candidates`), plus what reasons need (`MemberInfo`: terms, spelling, active hours)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sqlmodel import Session

from common.clock import as_utc
from community.buddies.glossary import GLOSSARY_PREFIX, glossary_terms
from community.buddies.interests import (
    PART_SHARES,
    WORD,
    Encoder,
    encode_interests,
    term_vectors,
    topic_terms,
)
from community.buddies.matching import Candidate, hours_from_messages
from community.buddies.multilingual import multilingual_vectors
from community.members.timezones import checked_zone, utc_offset_hours
from storage.crud import buddies as crud
from storage.crud import courses as course_crud
from storage.models import Course

MESSAGE_WINDOW = timedelta(days=60)
ACTIVITY_WINDOW = timedelta(days=30)
MESSAGES_PER_MEMBER = 40


@dataclass
class MemberInfo:
    member_id: int
    name: str
    timezone: str
    topics: list[str]
    terms: Counter[str] = field(default_factory=Counter)
    display: dict[str, str] = field(default_factory=dict)  # term -> how the member wrote it
    hours: np.ndarray | None = None
    posted: int = 0  # messages written here in the last MESSAGE_WINDOW: 0 means `hours` is only a guess


@dataclass
class _Loaded:
    """What the store says about the members of one round (one query per kind, not per member)."""

    topics: dict[int, list[str]]
    names: dict[int, str]
    timezones: dict[int, str | None]
    messages: dict[int, list[tuple[datetime, str | None]]]  # newest first
    liked: dict[int, list[Course]]
    reliability: dict[int, float]


def _load(s: Session, *, group_id: int, ids: list[int], now: datetime) -> _Loaded:
    wanted = set(ids)
    topics = {
        p.member_id: list(p.topics) for p in crud.profiles(s, group_id=group_id) if p.member_id in wanted
    }
    msgs: dict[int, list[tuple[datetime, str | None]]] = {m: [] for m in ids}
    for m, at, text in crud.recent_messages(s, group_id=group_id, member_ids=ids, since=now - MESSAGE_WINDOW):
        msgs[m].append((as_utc(at), text))
    courses = {c.id: c for c in course_crud.list_courses(s)}
    liked: dict[int, list[Course]] = {m: [] for m in ids}
    for m, cid in crud.liked_course_ids(s, group_id=group_id, member_ids=ids):
        if cid in courses:
            liked[m].append(courses[cid])
    return _Loaded(
        topics=topics,
        names=crud.names(s, group_id=group_id, member_ids=ids),
        timezones=crud.timezones(s, group_id=group_id, member_ids=ids),
        messages=msgs,
        liked=liked,
        reliability=reliability(s, group_id=group_id),
    )


def _course_text(courses: Sequence[Course], sep: str) -> str:
    return sep.join(c.title + " " + " ".join(c.tags) for c in courses)


def _member_info(m: int, data: _Loaded, *, default_tz: str, now: datetime) -> MemberInfo:
    """One member's terms (topics weigh 3, then 2 as text; messages and liked courses 1), spelling and hours."""
    tz = checked_zone(data.timezones.get(m), default=default_tz, what=f"member {m}")
    topics = data.topics.get(m, [])
    texts = [t for _, t in data.messages[m][:MESSAGES_PER_MEMBER] if t]
    info = MemberInfo(m, data.names.get(m, f"member {m}"), tz, topics)
    for t in topics:
        info.terms[t.lower()] += 3
        info.display.setdefault(t.lower(), t)
    sources = ((" ".join(topics), 2), (" ".join(texts), 1), (_course_text(data.liked[m], " "), 1))
    for source, weight in sources:
        for term in topic_terms(source):
            info.terms[term] += weight
        for term, written in glossary_terms(source):
            info.terms[term] += weight
            info.display.setdefault(term, written)
    for source_text in (*topics, *texts):  # show words as the member spelled them (SQL, not sql)
        for word in WORD.findall(source_text):
            info.display.setdefault(word.lower(), word)
    offset = utc_offset_hours(tz, now)
    info.hours = hours_from_messages([at.hour for at, _ in data.messages[m]], offset)
    info.posted = len(data.messages[m])
    return info


def _encoder_texts(info: MemberInfo, data: _Loaded) -> tuple[str, str, str]:
    """(topics, messages, liked courses) as the sentence encoder reads them."""
    texts = [t for _, t in data.messages[info.member_id][:MESSAGES_PER_MEMBER] if t]
    # the glossary's shared names join the encoder's text too: its n-grams then see 机器学习 as "machine learning"
    shared = " ".join(
        sorted(t.removeprefix(GLOSSARY_PREFIX) for t in info.terms if t.startswith(GLOSSARY_PREFIX))
    )
    return (
        " · ".join(info.topics),
        " ".join(x[:300] for x in texts) + (" · " + shared if shared else ""),
        _course_text(data.liked[info.member_id], " · "),
    )


def interest_vectors(
    encoder: Encoder,
    infos: Sequence[MemberInfo],
    texts: Sequence[tuple[str, str, str]],
    *,
    multilingual: bool,
) -> np.ndarray:
    """One L2-normalised interest vector per member [n, d]: the encoder's part beside TF-IDF over the members'
    words (CJK bigrams for Chinese), so that words every cluster uses ("today", "finally") weigh little and topic
    words much. With the multilingual model, a third part joins members who write about one topic in different
    languages; the parts are weighted so that the concatenation stays L2-normalised (cosine = weighted mean)."""
    emb = encode_interests(encoder, [t[0] for t in texts], [t[1] for t in texts], [t[2] for t in texts])
    term_counts = [i.terms for i in infos]
    parts = [emb, term_vectors(term_counts)]
    xling = multilingual_vectors(term_counts, enabled=multilingual)
    if xling is not None:
        parts.append(xling)
    share = PART_SHARES[len(parts)]
    return np.concatenate([p * np.sqrt(w) for p, w in zip(parts, share, strict=True)], axis=1)


def build_candidates(
    s: Session,
    *,
    group_id: int,
    member_ids: Sequence[int],
    now: datetime,
    encoder: Encoder,
    default_tz: str = "UTC",
    multilingual: bool = True,
) -> tuple[list[Candidate], dict[int, MemberInfo]]:
    """Features of members from their topics, recent messages, liked courses, time zone and check-ins."""
    ids = list(member_ids)
    data = _load(s, group_id=group_id, ids=ids, now=now)
    infos = {m: _member_info(m, data, default_tz=default_tz, now=now) for m in ids}
    ordered = [infos[m] for m in ids]
    emb = interest_vectors(
        encoder, ordered, [_encoder_texts(i, data) for i in ordered], multilingual=multilingual
    )
    cands = [
        Candidate(
            member_id=m,
            interest=emb[i],
            hours=infos[m].hours,  # type: ignore[arg-type]
            activity=float(sum(1 for at, _ in data.messages[m] if at >= now - ACTIVITY_WINDOW)),
            reliability=data.reliability.get(m, 0.5),
        )
        for i, m in enumerate(ids)
    ]
    return cands, infos


def reliability(s: Session, *, group_id: int) -> dict[int, float]:
    """Share of a member's check-ins answered "met" (Laplace-smoothed; 0.5 when unknown)."""
    met: Counter[int] = Counter()
    seen: Counter[int] = Counter()
    for c in crud.checkins(s, group_id=group_id):
        if c.answer in ("met", "not_met", "ignored"):
            seen[c.member_id] += 1
            met[c.member_id] += c.answer == "met"
    return {m: (met[m] + 1) / (seen[m] + 2) for m in seen}
