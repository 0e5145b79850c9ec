"""Events, RSVPs, reminders and their pending confirmations. Every function names its group, except the reminder
claim, which works across groups by design (one poller serves the deployment) and returns rows that carry theirs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from storage.models import Event, Group, Member, Membership, PendingAction, PlatformAccount, Reminder, Rsvp

GOING, MAYBE, NOT_GOING, WAITLIST = "going", "maybe", "no", "waitlist"


# ---- events ---------------------------------------------------------------------------------------------------
def add_event(
    s: Session,
    *,
    group_id: int,
    title: str,
    starts_at: datetime,
    timezone: str,
    duration_minutes: int,
    rrule: str | None,
    course_id: int | None,
    capacity: int | None,
    reminder_offsets: list[int] | None,
    created_by: int | None,
    now: datetime,
) -> Event:
    event = Event(
        group_id=group_id,
        title=title,
        starts_at=starts_at,
        timezone=timezone,
        duration_minutes=duration_minutes,
        rrule=rrule,
        course_id=course_id,
        capacity=capacity,
        reminder_offsets=reminder_offsets,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    s.add(event)
    s.flush()
    return event


def save_event(s: Session, *, event: Event) -> None:
    """Write the changes made to a loaded event row (an edit, a new version, a cancellation)."""
    s.add(event)
    s.flush()


def set_card(
    s: Session, *, group_id: int, event_id: int, message_id: str, chat_id: str, channel_id: str | None
) -> bool:
    """Remember where the event's card was posted (for edits in place and reminder posts). False: no such event."""
    event = get_event(s, group_id=group_id, event_id=event_id)
    if event is None:
        return False
    event.card_message_id, event.card_chat_id, event.card_channel_id = message_id, chat_id, channel_id
    s.add(event)
    s.flush()
    return True


def get_event(s: Session, *, group_id: int, event_id: int) -> Event | None:
    return s.exec(select(Event).where(Event.group_id == group_id, Event.id == event_id)).first()


def get_event_for_update(s: Session, *, group_id: int, event_id: int) -> Event | None:
    """The event row locked until commit on PostgreSQL (RSVPs racing for the last seat)."""
    q = select(Event).where(Event.group_id == group_id, Event.id == event_id)
    if s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return s.exec(q).first()


def scheduled_events(s: Session, *, group_id: int | None = None) -> list[Event]:
    q = select(Event).where(Event.status == "scheduled")
    if group_id is not None:
        q = q.where(Event.group_id == group_id)
    return list(s.exec(q.order_by(col(Event.starts_at))))


# ---- RSVPs ----------------------------------------------------------------------------------------------------
def get_rsvp(s: Session, *, group_id: int, event_id: int, member_id: int) -> Rsvp | None:
    return s.exec(
        select(Rsvp).where(Rsvp.group_id == group_id, Rsvp.event_id == event_id, Rsvp.member_id == member_id)
    ).first()


def rsvps(s: Session, *, group_id: int, event_id: int, status: str | None = None) -> list[Rsvp]:
    q = select(Rsvp).where(Rsvp.group_id == group_id, Rsvp.event_id == event_id)
    if status is not None:
        q = q.where(Rsvp.status == status)
    return list(s.exec(q.order_by(col(Rsvp.updated_at), col(Rsvp.id))))


def upsert_rsvp(
    s: Session, *, group_id: int, event_id: int, member_id: int, status: str, now: datetime
) -> Rsvp:
    """Set a member's answer (created, or updated with `updated_at = now`)."""
    row = get_rsvp(s, group_id=group_id, event_id=event_id, member_id=member_id)
    if row is None:
        row = Rsvp(
            group_id=group_id,
            event_id=event_id,
            member_id=member_id,
            status=status,
            created_at=now,
            updated_at=now,
        )
    else:
        row.status, row.updated_at = status, now
    s.add(row)
    s.flush()
    return row


def move_up(s: Session, *, rsvp: Rsvp) -> None:
    """A waitlisted answer becomes 'going'; `updated_at` is kept (the list is ordered by when they asked)."""
    rsvp.status = GOING
    s.add(rsvp)


def rsvp_counts(s: Session, *, group_id: int, event_id: int) -> dict[str, int]:
    rows = s.exec(
        select(Rsvp.status, func.count())
        .where(Rsvp.group_id == group_id, Rsvp.event_id == event_id)
        .group_by(Rsvp.status)
    )
    return {status: int(n) for status, n in rows}


def names_and_accounts(
    s: Session, *, group_id: int, member_ids: Sequence[int], platform: str
) -> list[tuple[int, str, PlatformAccount | None, bool]]:
    """(member id, display name, account on `platform`, reminders muted) for members of this group only."""
    if not member_ids:
        return []
    rows = s.exec(
        select(Member, Membership)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group_id, col(Member.id).in_(list(member_ids)))
    ).all()
    by_id = {m.id: (m, ms) for m, ms in rows}
    accounts = {
        a.member_id: a
        for a in s.exec(
            select(PlatformAccount).where(
                PlatformAccount.platform == platform, col(PlatformAccount.member_id).in_(list(by_id))
            )
        )
    }
    out = []
    for mid in member_ids:
        if mid in by_id:
            member, ms = by_id[mid]
            out.append((mid, member.display_name, accounts.get(mid), ms.reminders_muted))
    return out


def member_timezones(s: Session, *, group_id: int, member_ids: Sequence[int]) -> dict[int, str | None]:
    """Each member's own time zone (None when unknown), for members of this group only."""
    if not member_ids:
        return {}
    rows = s.exec(
        select(Member.id, Member.timezone)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group_id, col(Member.id).in_(list(member_ids)))
    )
    return {int(mid): tz for mid, tz in rows if mid is not None}


# ---- reminders ------------------------------------------------------------------------------------------------
def reminder_exists(s: Session, *, event_id: int, occurrence_start: datetime, offset_minutes: int) -> bool:
    return (
        s.exec(
            select(Reminder.id).where(
                Reminder.event_id == event_id,
                Reminder.occurrence_start == occurrence_start,
                Reminder.offset_minutes == offset_minutes,
            )
        ).first()
        is not None
    )


def add_reminder(
    s: Session,
    *,
    group_id: int,
    event_id: int,
    occurrence_start: datetime,
    offset_minutes: int,
    fire_at: datetime,
    event_version: int,
) -> bool:
    """Insert a reminder unless one exists for the same (event, occurrence, offset); True when this call made it.

    In a savepoint, so two processes materialising the same series at once (both starting up) cannot fail.
    """
    row = Reminder(
        group_id=group_id,
        event_id=event_id,
        occurrence_start=occurrence_start,
        offset_minutes=offset_minutes,
        fire_at=fire_at,
        event_version=event_version,
    )
    try:
        with s.begin_nested():
            s.add(row)
            s.flush()
        return True
    except IntegrityError:
        return False


def event_reminders(s: Session, *, group_id: int, event_id: int, status: str | None = None) -> list[Reminder]:
    q = select(Reminder).where(Reminder.group_id == group_id, Reminder.event_id == event_id)
    if status is not None:
        q = q.where(Reminder.status == status)
    return list(s.exec(q.order_by(col(Reminder.fire_at))))


def drop_pending_reminders(s: Session, *, group_id: int, event_id: int) -> int:
    """Delete an event's unsent reminders (before re-materialising after an edit). Returns how many.

    Deleted rather than marked, so the unique (event, occurrence, offset) key is free for the new ones; a process
    that already claimed one sees the version change and drops it.
    """
    rows = event_reminders(s, group_id=group_id, event_id=event_id, status="pending")
    for r in rows:
        s.delete(r)
    s.flush()
    return len(rows)


def cancel_pending_reminders(s: Session, *, group_id: int, event_id: int) -> int:
    res = s.exec(
        update(Reminder)
        .where(
            col(Reminder.group_id) == group_id,
            col(Reminder.event_id) == event_id,
            col(Reminder.status) == "pending",
        )
        .values(status="cancelled")
    )
    return int(res.rowcount or 0)


def claimable_reminder_ids(
    s: Session, *, now: datetime, stale_before: datetime, limit: int
) -> list[tuple[int, str]]:
    """(id, status) of reminders a poll may claim, oldest first: pending ones due by `now`, and claimed ones whose
    claim is older than `stale_before` (the claimer died before sending: its lease ran out). Rows another
    transaction holds are skipped (PG). Claim each with `set_status_if` / `reclaim_if_stale`, never blindly."""
    q = (
        select(Reminder.id, Reminder.status)
        .where(
            or_(
                and_(col(Reminder.status) == "pending", col(Reminder.fire_at) <= now),
                and_(
                    col(Reminder.status) == "claimed",
                    or_(col(Reminder.claimed_at).is_(None), col(Reminder.claimed_at) <= stale_before),
                ),
            )
        )
        .order_by(col(Reminder.fire_at), col(Reminder.id))
        .limit(limit)
    )
    if s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return [(int(i), str(st)) for i, st in s.exec(q) if i is not None]


def reclaim_if_stale(
    s: Session, *, reminder_id: int, stale_before: datetime, worker: str, now: datetime
) -> bool:
    """Atomically take over a claim whose lease ran out: True only for the one caller that changed it.

    The condition is re-checked in the UPDATE itself, and the new `claimed_at` is `now`, so once one process has
    taken it over the row is no longer stale for anybody else (PostgreSQL re-evaluates the WHERE after waiting on
    the row lock; SQLite serialises writers)."""
    res = s.exec(
        update(Reminder)
        .where(
            col(Reminder.id) == reminder_id,
            col(Reminder.status) == "claimed",
            or_(col(Reminder.claimed_at).is_(None), col(Reminder.claimed_at) <= stale_before),
        )
        .values(claimed_by=worker, claimed_at=now)
    )
    return int(res.rowcount or 0) == 1


def next_pending_fire_at(s: Session) -> datetime | None:
    return s.exec(select(func.min(Reminder.fire_at)).where(Reminder.status == "pending")).first()


def set_status_if(
    s: Session,
    *,
    reminder_id: int,
    expect: str,
    status: str,
    owner: str | None = None,
    claimed_by: str | None = None,
    claimed_at: datetime | None = None,
    sent_at: datetime | None = None,
) -> bool:
    """Atomic compare-and-set of a reminder's status: True only for the one caller that changed it.

    With `owner`, only while the row is still claimed by that worker (its claim was not taken over). `claimed_by`,
    `claimed_at` and `sent_at` are written when given."""
    q = update(Reminder).where(col(Reminder.id) == reminder_id, col(Reminder.status) == expect)
    if owner is not None:
        q = q.where(col(Reminder.claimed_by) == owner)
    values: dict[str, object] = {"status": status}
    for key, value in (("claimed_by", claimed_by), ("claimed_at", claimed_at), ("sent_at", sent_at)):
        if value is not None:
            values[key] = value
    res = s.exec(q.values(**values))
    return int(res.rowcount or 0) == 1


def nearer_reminder_due(
    s: Session,
    *,
    group_id: int,
    event_id: int,
    occurrence_start: datetime,
    offset_minutes: int,
    event_version: int,
    now: datetime,
) -> bool:
    """Whether a reminder of the same occurrence and version, nearer to its start, is due too (or was sent)."""
    nearer = s.exec(
        select(Reminder.id).where(
            Reminder.group_id == group_id,
            Reminder.event_id == event_id,
            Reminder.occurrence_start == occurrence_start,
            Reminder.offset_minutes < offset_minutes,
            Reminder.fire_at <= now,
            col(Reminder.status).in_(["pending", "claimed", "sent"]),
            Reminder.event_version == event_version,
        )
    ).first()
    return nearer is not None


def get_reminder(s: Session, *, reminder_id: int) -> Reminder | None:
    return s.get(Reminder, reminder_id)


def group_row(s: Session, *, group_id: int) -> Group | None:
    return s.get(Group, group_id)


def set_group_reminder_offsets(s: Session, *, group_id: int, offsets: list[int]) -> Group | None:
    """The group's default reminder offsets (minutes before the start), kept in its settings."""
    group = s.get(Group, group_id)
    if group is None:
        return None
    group.settings = {**group.settings, "reminder_offsets": offsets}  # reassign: JSON mutation isn't tracked
    s.add(group)
    s.flush()
    return group


def set_reminders_muted(s: Session, *, group_id: int, member_id: int, muted: bool | None) -> bool | None:
    """Mute or unmute a member's reminders in the group (None: leave as is). Returns the state now; None when the
    member is not in the group."""
    membership = s.exec(
        select(Membership).where(Membership.group_id == group_id, Membership.member_id == member_id)
    ).first()
    if membership is None:
        return None
    if muted is not None:
        membership.reminders_muted = muted
    s.add(membership)
    return membership.reminders_muted


# ---- pending confirmations ------------------------------------------------------------------------------------
def add_pending(
    s: Session,
    *,
    group_id: int,
    member_id: int,
    action: str,
    payload: dict[str, Any],
    now: datetime,
    expires_at: datetime,
) -> PendingAction:
    p = PendingAction(
        group_id=group_id,
        member_id=member_id,
        action=action,
        payload=payload,
        created_at=now,
        expires_at=expires_at,
    )
    s.add(p)
    s.flush()
    return p


def take_pending(
    s: Session, *, group_id: int, pending_id: int, action: str, now: datetime
) -> PendingAction | None:
    """Mark a pending action used, once: None when missing, of another group, expired or already used."""
    p = s.get(PendingAction, pending_id)
    if (
        p is None
        or p.group_id != group_id
        or p.action != action
        or p.used_at is not None
        or p.expires_at <= now
    ):
        return None
    res = s.exec(
        update(PendingAction)
        .where(col(PendingAction.id) == pending_id, col(PendingAction.used_at).is_(None))
        .values(used_at=now)
    )
    return p if int(res.rowcount or 0) == 1 else None


def get_pending(s: Session, *, group_id: int, pending_id: int) -> PendingAction | None:
    p = s.get(PendingAction, pending_id)
    return p if p is not None and p.group_id == group_id else None
