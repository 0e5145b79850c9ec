"""Link codes and the merge of two members into one (cross-platform identity).

The merge is generic: it walks every table with a foreign key to `member.id` (so tables that features add later
are covered without touching this file), moves the absorbed member's rows to the kept member, and resolves unique
constraints row by row. Rows keep their `group_id`: merging never moves data between groups.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, UniqueConstraint, and_, delete, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from storage.crud.core import ROLE_RANK, insert_unless_exists
from storage.models import LinkCode, Member, Membership, PlatformAccount

# Tables handled explicitly, before or after the generic walk.
_SPECIAL = {"platformaccount", "linkcode", "membership", "member"}
# Columns whose newest value wins when two rows collide on a unique constraint.
_RECENCY_COLUMNS = ("updated_at", "answered_at", "created_at", "joined_at")


def create_code(
    s: Session, *, code: str, member_id: int, now: datetime, expires_at: datetime
) -> LinkCode | None:
    """Insert a code; None when the code string exists already (the caller draws another)."""
    row = LinkCode(code=code, member_id=member_id, created_at=now, expires_at=expires_at)
    new_id = insert_unless_exists(s, row, unique=("code",))
    return s.get(LinkCode, new_id) if new_id is not None else None


def get_code(s: Session, *, code: str) -> LinkCode | None:
    return s.exec(select(LinkCode).where(LinkCode.code == code)).first()


def revoke_open_codes(s: Session, *, member_id: int, now: datetime) -> int:
    """Mark a member's unused codes as used, so only the newest code works."""
    rows = list(
        s.exec(select(LinkCode).where(LinkCode.member_id == member_id, col(LinkCode.used_at).is_(None)))
    )
    for row in rows:
        row.used_at = now
        s.add(row)
    return len(rows)


def claim_code(s: Session, *, code_id: int, now: datetime) -> bool:
    """Mark a code used exactly once: a conditional UPDATE, so two concurrent redeemers cannot both win."""
    result = s.exec(
        update(LinkCode)
        .where(col(LinkCode.id) == code_id, col(LinkCode.used_at).is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount == 1)


def purge_expired_codes(s: Session, *, now: datetime) -> int:
    result = s.exec(delete(LinkCode).where(col(LinkCode.expires_at) < now))
    return int(result.rowcount or 0)


def member_tables() -> list[tuple[Table, str]]:
    """(table, column) for every column that references member.id, outside the explicitly handled tables."""
    out: list[tuple[Table, str]] = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in _SPECIAL:
            continue
        for column in table.columns:
            if any(fk.column.table.name == "member" for fk in column.foreign_keys):
                out.append((table, column.name))
    return out


def merge_members(s: Session, *, keep_id: int, absorb_id: int) -> dict[str, int]:
    """Move everything of member `absorb_id` to member `keep_id` and delete the absorbed member.

    Returns how many rows moved per table. On a unique collision (both accounts rated the same course in the
    same group) the more recent row is kept; memberships combine (highest role, opted out if either opted out).
    """
    if keep_id == absorb_id:
        return {}
    moved: dict[str, int] = {}
    for account in s.exec(select(PlatformAccount).where(PlatformAccount.member_id == absorb_id)):
        account.member_id = keep_id
        s.add(account)
        moved["platformaccount"] = moved.get("platformaccount", 0) + 1
    s.flush()
    moved["membership"] = _merge_memberships(s, keep_id=keep_id, absorb_id=absorb_id)
    for table, column in member_tables():
        n = _merge_table(s, table, column, keep_id=keep_id, absorb_id=absorb_id)
        if n:
            moved[table.name] = moved.get(table.name, 0) + n
    _rewrite_member_lists(s, keep_id=keep_id, absorb_id=absorb_id)
    s.exec(delete(LinkCode).where(col(LinkCode.member_id) == absorb_id))
    keep = s.get(Member, keep_id)
    absorbed = s.get(Member, absorb_id)
    if keep is not None and absorbed is not None:
        if not keep.timezone and absorbed.timezone:
            keep.timezone = absorbed.timezone
        if absorbed.created_at < keep.created_at:
            keep.created_at = absorbed.created_at
        s.add(keep)
        s.flush()
        s.delete(absorbed)
    s.flush()
    return {k: v for k, v in moved.items() if v}


def _merge_memberships(s: Session, *, keep_id: int, absorb_id: int) -> int:
    n = 0
    for theirs in list(s.exec(select(Membership).where(Membership.member_id == absorb_id))):
        ours = s.exec(
            select(Membership).where(Membership.group_id == theirs.group_id, Membership.member_id == keep_id)
        ).first()
        if ours is None:
            theirs.member_id = keep_id
            s.add(theirs)
        else:
            if ROLE_RANK.get(theirs.role, 0) > ROLE_RANK.get(ours.role, 0):
                ours.role = theirs.role
            ours.active = ours.active or theirs.active
            if ours.active:
                ours.left_at = None
            # Privacy choices are sticky: if either account opted out or muted, the person did.
            ours.opted_out = ours.opted_out or theirs.opted_out
            ours.reminders_muted = ours.reminders_muted or theirs.reminders_muted
            ours.joined_at = min(ours.joined_at, theirs.joined_at)
            s.add(ours)
            s.delete(theirs)
        n += 1
    s.flush()
    return n


def _unique_sets(table: Table, column: str) -> list[list[str]]:
    """Column lists of the table's unique constraints (and unique indexes) that include `column`."""
    sets: list[list[str]] = []
    for c in table.constraints:
        if isinstance(c, UniqueConstraint):
            names = [x.name for x in c.columns]
            if column in names:
                sets.append(names)
    for idx in table.indexes:
        if idx.unique:
            names = [x.name for x in idx.columns]
            if column in names:
                sets.append(names)
    if table.c[column].unique:
        sets.append([column])
    return sets


def _recency(row: Any) -> Any:
    for name in _RECENCY_COLUMNS:
        value = row._mapping.get(name)
        if value is not None:
            return value
    return None


def _merge_table(s: Session, table: Table, column: str, *, keep_id: int, absorb_id: int) -> int:
    pk = list(table.primary_key.columns)
    uniques = _unique_sets(table, column)
    rows = list(s.connection().execute(sa_select(table).where(table.c[column] == absorb_id)))
    moved = 0
    for row in rows:
        key = and_(*[c == row._mapping[c.name] for c in pk])
        clash = None
        for names in uniques:
            cond = [table.c[n] == (keep_id if n == column else row._mapping[n]) for n in names]
            clash = s.connection().execute(sa_select(table).where(and_(*cond))).first()
            if clash is not None:
                break
        if clash is None:
            s.connection().execute(update(table).where(key).values({column: keep_id}))
            moved += 1
            continue
        theirs, ours = _recency(row), _recency(clash)
        if theirs is not None and ours is not None and theirs > ours:
            # The absorbed account's row is newer: it replaces the kept one.
            clash_key = and_(*[c == clash._mapping[c.name] for c in pk])
            s.connection().execute(delete(table).where(clash_key))
            s.connection().execute(update(table).where(key).values({column: keep_id}))
            moved += 1
        else:
            s.connection().execute(delete(table).where(key))
    return moved


def _rewrite_member_lists(s: Session, *, keep_id: int, absorb_id: int) -> None:
    """JSON lists of member ids (a buddy match's members) name the kept member afterwards."""
    for table in SQLModel.metadata.sorted_tables:
        if "member_ids" not in table.c:
            continue
        pk = list(table.primary_key.columns)
        for row in s.connection().execute(sa_select(table)):
            ids = row._mapping["member_ids"]
            if isinstance(ids, list) and absorb_id in ids:
                new = []
                for i in ids:
                    j = keep_id if i == absorb_id else i
                    if j not in new:
                        new.append(j)
                key = and_(*[c == row._mapping[c.name] for c in pk])
                s.connection().execute(update(table).where(key).values(member_ids=new))
