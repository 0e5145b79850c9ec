"""/forget: delete every row about one member in one group, found from the schema rather than a hand-kept list.

A "member column" is a column that references `member.id` or is named `member_id` / `*_member_id`. Every table
with a member column and a `group_id` (or a parent row that has one) loses that member's rows in the group; a
nullable member column that is not `member_id` (e.g. Event.created_by) is set to NULL instead, because the row
belongs to the group. JSON `member_ids` lists (BuddyMatch) lose the member's id and their free text (`reason`)
while others remain on them, so her partners keep their side of a match; a list left naming nobody is deleted.
Rows of other tables that point at a deleted row are deleted as well, or get NULL where their reference is nullable
(a reaction of someone else to a forgotten message keeps counting for the reactor but no longer points at it).
When the member belongs to no group any more, their Member row, platform accounts and link codes go as well.

Also here: counting those rows (/privacy), the member's opt-out flag, and the stored /forget confirmation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Column, ColumnElement, Table, and_, delete, false, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel
from sqlmodel import select as sm_select

from storage.models import Membership, PendingAction

MEMBER_TABLE = "member"
MEMBERSHIP_TABLE = "membership"
MESSAGE_TABLE = "message"


def is_member_column(column: Column) -> bool:  # type: ignore[type-arg]
    if any(fk.column.table.name == MEMBER_TABLE for fk in column.foreign_keys):
        return True
    return column.name == "member_id" or column.name.endswith("_member_id")


def member_columns(table: Table) -> list[Column]:  # type: ignore[type-arg]
    return [c for c in table.columns if is_member_column(c)]


def _group_scope(table: Table, group_id: int) -> ColumnElement[bool] | None:
    """A condition selecting the table's rows of one group (directly or through a parent with group_id)."""
    if "group_id" in table.c:
        return table.c.group_id == group_id
    for column in table.columns:
        for fk in column.foreign_keys:
            parent = fk.column.table
            if "group_id" in parent.c and parent.name != table.name:
                return column.in_(select(fk.column).where(parent.c.group_id == group_id))
    return None


def _member_conditions(group_id: int, member_id: int) -> Iterable[tuple[Table, Column, ColumnElement[bool]]]:  # type: ignore[type-arg]
    for table in SQLModel.metadata.sorted_tables:
        if table.name == MEMBER_TABLE:
            continue
        scope = _group_scope(table, group_id)
        if scope is None:
            continue
        for column in member_columns(table):
            yield table, column, and_(scope, column == member_id)


def _listing_rows(s: Session, table: Table, group_id: int, member_id: int) -> list[int]:
    """Ids of rows whose JSON `member_ids` list names the member (BuddyMatch and the like)."""
    if "member_ids" not in table.c or "group_id" not in table.c or "id" not in table.c:
        return []
    rows = s.execute(select(table.c.id, table.c.member_ids).where(table.c.group_id == group_id))
    return [
        rid
        for rid, ids in rows
        if isinstance(ids, list) and member_id in {int(x) for x in ids if _intlike(x)}
    ]


def _rowcount(result: object) -> int:
    """Rows an UPDATE/DELETE touched (a CursorResult; typed as a plain Result by SQLAlchemy's stubs)."""
    return int(getattr(result, "rowcount", 0) or 0)


def _intlike(x: object) -> bool:
    return isinstance(x, int) or (isinstance(x, str) and x.isdigit())


def count_member_rows(s: Session, *, group_id: int, member_id: int) -> dict[str, int]:
    """Rows about the member in the group, by table (Membership and their own commands are not counted)."""
    counts: dict[str, int] = {}
    for table, _column, cond in _member_conditions(group_id, member_id):
        if table.name == MEMBERSHIP_TABLE:
            continue
        if table.name == MESSAGE_TABLE and "is_command" in table.c:
            cond = and_(cond, table.c.is_command == false())
        n = int(s.execute(select(func.count()).select_from(table).where(cond)).scalar_one())
        if n:
            counts[table.name] = counts.get(table.name, 0) + n
    for table in SQLModel.metadata.sorted_tables:
        n = len(_listing_rows(s, table, group_id, member_id))
        if n:
            counts[table.name] = counts.get(table.name, 0) + n
    return counts


def forget_member(s: Session, *, group_id: int, member_id: int) -> dict[str, int]:
    """Delete everything about the member in the group. Returns rows deleted (or detached) by table."""
    done: dict[str, int] = {}
    for table in SQLModel.metadata.sorted_tables:
        _leave_listings(s, table, group_id, member_id, done)
    # Children before parents, so a row that points at another member-scoped row goes first.
    for table, column, cond in reversed(list(_member_conditions(group_id, member_id))):
        if column.nullable and column.name != "member_id" and table.name != MEMBERSHIP_TABLE:
            n = _rowcount(s.execute(update(table).where(cond).values({column.name: None})))
            if n:
                done[table.name] = done.get(table.name, 0) + int(n)
        else:
            _delete(s, table, cond, done)
    _forget_identity_if_unused(s, member_id=member_id, done=done)
    s.flush()
    return done


def _leave_listings(s: Session, table: Table, group_id: int, member_id: int, done: dict[str, int]) -> None:
    """Take the member out of the table's JSON `member_ids` lists (BuddyMatch): the others keep their side of the
    row (their check-ins, whom else they met, repeat-avoidance), anonymised: her id is gone and the row's free text
    (`reason`, which may name her) is cleared. A row that names nobody else is deleted."""
    ids = _listing_rows(s, table, group_id, member_id)
    if not ids:
        return
    empty: list[int] = []
    for rid, listed in s.execute(select(table.c.id, table.c.member_ids).where(table.c.id.in_(ids))).all():
        rest = [x for x in listed if not (_intlike(x) and int(x) == member_id)]
        if not rest:
            empty.append(rid)
            continue
        values: dict[str, object] = {"member_ids": rest}
        if "reason" in table.c:
            values["reason"] = ""
        s.execute(update(table).where(table.c.id == rid).values(values))
        done[table.name] = done.get(table.name, 0) + 1
    if empty:
        _delete(s, table, table.c.id.in_(empty), done)


def _children(table: Table) -> list[tuple[Table, Column]]:  # type: ignore[type-arg]
    out = []
    for other in SQLModel.metadata.sorted_tables:
        for column in other.columns:
            if any(fk.column.table is table for fk in column.foreign_keys) and other is not table:
                out.append((other, column))
    return out


def _delete(
    s: Session, table: Table, cond: ColumnElement[bool], done: dict[str, int], depth: int = 0
) -> None:
    """Delete rows of `table` matching `cond`, first detaching or deleting the rows that reference them."""
    if depth > 8:  # pragma: no cover - the schema has no such chains; a guard against cycles
        raise RuntimeError(f"reference chain too deep at {table.name}")
    if "id" in table.c:
        doomed = select(table.c.id).where(cond)
        for child, column in _children(table):
            if column.nullable:
                s.execute(update(child).where(column.in_(doomed)).values({column.name: None}))
            else:
                _delete(s, child, column.in_(doomed), done, depth + 1)
    n = _rowcount(s.execute(delete(table).where(cond)))
    if n:
        done[table.name] = done.get(table.name, 0) + int(n)


def _forget_identity_if_unused(s: Session, *, member_id: int, done: dict[str, int]) -> None:
    """With no membership left anywhere, the person's accounts and Member row go too (if nothing else uses them)."""
    tables = SQLModel.metadata.tables
    membership = tables[MEMBERSHIP_TABLE]
    left = s.execute(select(func.count()).select_from(membership).where(membership.c.member_id == member_id))
    if int(left.scalar_one()):
        return
    try:
        with s.begin_nested():
            local: dict[str, int] = {}
            for table in reversed(SQLModel.metadata.sorted_tables):
                if table.name == MEMBER_TABLE or _group_scope(table, 0) is not None:
                    continue
                for column in member_columns(table):
                    n = _rowcount(s.execute(delete(table).where(column == member_id)))
                    if n:
                        local[table.name] = local.get(table.name, 0) + int(n)
            member = tables[MEMBER_TABLE]
            if _rowcount(s.execute(delete(member).where(member.c.id == member_id))):
                local[MEMBER_TABLE] = 1
    except IntegrityError:
        return  # still referenced somewhere (e.g. an event in another group): keep the bare identity
    for name, n in local.items():
        done[name] = done.get(name, 0) + n


# ---- opting out and the /forget confirmation ----------------------------------------------------------------
def set_opted_out(s: Session, *, group_id: int, member_id: int, value: bool) -> bool:
    """Set the member's opt-out flag in the group; returns whether it changed."""
    m = s.exec(
        sm_select(Membership).where(Membership.group_id == group_id, Membership.member_id == member_id)
    ).first()
    if m is None or m.opted_out == value:
        return False
    m.opted_out = value
    s.add(m)
    return True


def add_pending_action(
    s: Session, *, group_id: int, member_id: int, action: str, now: datetime, expires_at: datetime
) -> PendingAction:
    """Store a confirmation that waits for a button press (so a restart loses nothing)."""
    row = PendingAction(
        group_id=group_id, member_id=member_id, action=action, created_at=now, expires_at=expires_at
    )
    s.add(row)
    s.flush()
    return row


def get_pending_action(s: Session, *, group_id: int, action_id: int, action: str) -> PendingAction | None:
    """The group's pending confirmation of that kind, or None (another group's id finds nothing)."""
    return s.exec(
        sm_select(PendingAction).where(
            PendingAction.id == action_id, PendingAction.group_id == group_id, PendingAction.action == action
        )
    ).first()


def close_pending_action(s: Session, *, group_id: int, action_id: int, action: str, now: datetime) -> bool:
    """Mark an open confirmation used; False when it is missing, of another group, or already used."""
    row = get_pending_action(s, group_id=group_id, action_id=action_id, action=action)
    if row is None or row.used_at is not None:
        return False
    row.used_at = now
    s.add(row)
    return True
