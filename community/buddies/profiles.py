"""Opting in and out: a member's buddy profile (topics, pause, leave) and the time zone matching reads for them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from common.text import sanitize
from community.members.timezones import checked_zone, valid_timezone
from storage.crud import buddies as crud
from storage.crud import core as core_crud

MAX_TOPICS = 10
MAX_TOPIC_CHARS = 40
MAX_TOPICS_TEXT = 400
MAX_PAUSE_WEEKS = 52


@dataclass(frozen=True)
class Topics:
    """Topics read from free text, and what was cut on the way (for the member to be told)."""

    topics: tuple[str, ...]
    text_chars: int | None = None  # the text was this long: only the first MAX_TOPICS_TEXT were read
    cut_long: bool = False  # some topics were cut to MAX_TOPIC_CHARS
    given: int | None = None  # this many topics were given: only the first MAX_TOPICS were kept


def parse_topics(raw: str) -> Topics:
    """Free-text topics, any language: comma (or 、，；) separated, else one topic per word. Bounded."""
    text = sanitize(raw, limit=20_000).strip()
    text_chars = None
    if len(text) > MAX_TOPICS_TEXT:
        text_chars, text = len(text), text[:MAX_TOPICS_TEXT]
    parts = re.split(r"[,;，；、\n]+", text) if re.search(r"[,;，；、\n]", text) else text.split()
    topics: list[str] = []
    long_cut = False
    for p in parts:
        p = " ".join(p.split())
        if not p:
            continue
        if len(p) > MAX_TOPIC_CHARS:
            p, long_cut = p[:MAX_TOPIC_CHARS].rstrip(), True
        if p.lower() not in {t.lower() for t in topics}:
            topics.append(p)
    given = len(topics) if len(topics) > MAX_TOPICS else None
    return Topics(tuple(topics[:MAX_TOPICS]), text_chars, long_cut, given)


class OptedOut(Exception):
    """The member opted out of tracking (/optout): buddy matching needs /optin first."""


@dataclass(frozen=True)
class Joined:
    topics: tuple[str, ...]  # the profile's topics now (the old ones when none were given)
    parsed: Topics
    created: bool  # first time in this group


def join(s: Session, *, group_id: int, member_id: int, raw_topics: str, now: datetime) -> Joined:
    """Opt in (again): new topics replace the old ones; re-joining clears a pause.

    Raises OptedOut (nothing stored) for a member who opted out of tracking: rounds never match them."""
    membership = core_crud.get_membership(s, group_id=group_id, member_id=member_id)
    if membership is not None and membership.opted_out:
        raise OptedOut(member_id)
    parsed = parse_topics(raw_topics)
    existing = crud.get_profile(s, group_id=group_id, member_id=member_id)
    topics = list(parsed.topics) or (list(existing.topics) if existing else [])
    profile, created = crud.upsert_profile(s, group_id=group_id, member_id=member_id, topics=topics, at=now)
    return Joined(tuple(profile.topics), parsed, created)


def leave(s: Session, *, group_id: int, member_id: int) -> bool:
    """Opt out; False when the member was not opted in."""
    p = crud.get_profile(s, group_id=group_id, member_id=member_id)
    if p is None or not p.active:
        return False
    p.active, p.waiting_since = False, None
    crud.save(s, p)
    return True


@dataclass(frozen=True)
class Paused:
    until: datetime
    timezone: str  # the member's, to show `until` in


def pause(s: Session, *, group_id: int, member_id: int, weeks: int, now: datetime) -> Paused | None:
    """No matches for `weeks` weeks (1 to MAX_PAUSE_WEEKS); None when the member is not opted in."""
    if not 1 <= weeks <= MAX_PAUSE_WEEKS:
        raise ValueError(f"a pause is 1 to {MAX_PAUSE_WEEKS} weeks")
    p = crud.get_profile(s, group_id=group_id, member_id=member_id)
    if p is None or not p.active:
        return None
    p.paused_until, p.waiting_since = now + timedelta(weeks=weeks), None
    crud.save(s, p)
    return Paused(p.paused_until, member_timezone(s, group_id=group_id, member_id=member_id))


def member_timezone(s: Session, *, group_id: int, member_id: int) -> str:
    """The zone to show a member times in: their own, else the group's (UTC when neither is known)."""
    own = crud.member_timezone(s, group_id=group_id, member_id=member_id)
    if own and valid_timezone(own):
        return own
    group = core_crud.get_group(s, group_id=group_id)
    # A zone stored before zones were checked (Etc/GMT+13) falls back with a log line instead of crashing.
    group_zone = checked_zone(group.timezone if group is not None else None, what=f"group {group_id}")
    return checked_zone(own, default=group_zone, what=f"member {member_id}") if own else group_zone


def group_timezone(s: Session, *, group_id: int, default: str) -> str:
    """The group's zone (for members without one of their own in a round), else `default`."""
    group = core_crud.get_group(s, group_id=group_id)
    return checked_zone(
        group.timezone if group is not None else None, default=default, what=f"group {group_id}"
    )


def set_timezone(s: Session, *, group_id: int, member_id: int, timezone: str) -> None:
    """Store a resolved IANA zone as the member's own."""
    if not crud.set_member_timezone(s, group_id=group_id, member_id=member_id, timezone=timezone):
        raise LookupError(f"member {member_id} is not in group {group_id}")
