"""Message-text retention: owners choose how many days message text is kept; derived signals stay.

`/settings retention 30d` stores Group.settings["retention_days"] (0: keep no text at all, ingest then stores
none; "forever": no limit). A daily job (`purge_all`) and every change of the setting (`set_retention`) null
Message.text older than that. Every function takes a session: callers on the event loop use `Store.run`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import Session

from storage.crud import signals as q

MAX_RETENTION_DAYS = 3650
_VALUE = re.compile(r"^(\d{1,5})\s*(d|day|days)?$", re.I)
FOREVER = ("forever", "off", "none", "unlimited")


class RetentionError(ValueError):
    """A retention value that cannot be read; the message says what is accepted."""


def parse_retention(value: str) -> int | None:
    """Days from '30', '30d', '30 days'; None for 'forever'. Raises RetentionError otherwise."""
    text = value.strip().lower()
    if text in FOREVER:
        return None
    m = _VALUE.match(text)
    if not m:
        raise RetentionError("Give a number of days from 0 to 3650 (e.g. 30d), or 'forever'.")
    days = int(m.group(1))
    if days > MAX_RETENTION_DAYS:
        raise RetentionError(
            f"At most {MAX_RETENTION_DAYS} days; use 'forever' to keep text without a limit."
        )
    return days


def purge_group(s: Session, *, group_id: int, days: int, now: datetime) -> int:
    """Null the text of the group's messages older than `days` (all of it for 0); returns how many."""
    before = now - timedelta(days=days) if days > 0 else None
    return q.clear_text_before(s, group_id=group_id, before=before)


def set_retention(s: Session, *, group_id: int, days: int | None, now: datetime) -> int:
    """Store the group's retention (None: forever) and apply it at once; returns how many texts were removed."""
    q.set_retention_days(s, group_id=group_id, days=days)
    return 0 if days is None else purge_group(s, group_id=group_id, days=days, now=now)


def purge_all(s: Session, *, now: datetime) -> int:
    """The daily job: apply every group's retention. Returns the number of texts removed."""
    return sum(purge_group(s, group_id=gid, days=days, now=now) for gid, days in q.retention_by_group(s))
