"""Groups, members, accounts, memberships, messages and reactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from storage.models import Group, Member, Membership, Message, PlatformAccount, Reaction

ROLE_RANK = {"member": 0, "admin": 1, "owner": 2}


def get_or_create_group(
    s: Session, *, platform: str, chat_id: str, title: str = "", timezone: str = "UTC"
) -> Group:
    """The group of a chat, created on first sight (an upsert: two writers at once make one row)."""
    group = find_group(s, platform=platform, chat_id=chat_id)
    if group is None:
        row = Group(platform=platform, platform_chat_id=chat_id, title=title[:256], timezone=timezone)
        insert_unless_exists(s, row, unique=("platform", "platform_chat_id"))
        group = find_group(s, platform=platform, chat_id=chat_id)
        assert group is not None  # inserted now, or by the writer that was first
    elif title and group.title != title[:256]:
        group.title = title[:256]
        s.add(group)
    return group


def find_group(s: Session, *, platform: str, chat_id: str) -> Group | None:
    return s.exec(select(Group).where(Group.platform == platform, Group.platform_chat_id == chat_id)).first()


def get_group(s: Session, *, group_id: int) -> Group | None:
    return s.get(Group, group_id)


def set_group_timezone(s: Session, *, group_id: int, timezone: str) -> Group | None:
    """Store the group's time zone (an IANA name the caller validated); None when there is no such group."""
    group = s.get(Group, group_id)
    if group is not None:
        group.timezone = timezone
        s.add(group)
    return group


def find_account(s: Session, *, platform: str, user_id: str) -> PlatformAccount | None:
    return s.exec(
        select(PlatformAccount).where(
            PlatformAccount.platform == platform, PlatformAccount.platform_user_id == user_id
        )
    ).first()


def get_or_create_member(
    s: Session, *, platform: str, user_id: str, display_name: str = "", username: str | None = None
) -> Member:
    """The person behind a platform account, created on first sight.

    The account is an upsert on (platform, user id): when another writer creates the same account at the same time,
    the member row made for this attempt is deleted again in the same transaction, so no member without an account
    is ever left behind."""
    account = find_account(s, platform=platform, user_id=user_id)
    if account is None:
        member_id = insert_unless_exists(s, Member(display_name=display_name[:128]))
        assert member_id is not None  # no unique key on members: the insert always happens
        row = PlatformAccount(
            member_id=member_id,
            platform=platform,
            platform_user_id=user_id,
            username=username[:128] if username else None,
            display_name=display_name[:128],
        )
        if insert_unless_exists(s, row, unique=("platform", "platform_user_id")) is not None:
            member = s.get(Member, member_id)
            assert member is not None
            return member
        s.execute(delete(Member).where(col(Member.id) == member_id))  # another writer was first: use theirs
        account = find_account(s, platform=platform, user_id=user_id)
        assert account is not None
    member = s.get(Member, account.member_id)
    assert member is not None
    if display_name and (account.display_name != display_name[:128] or account.username != username):
        account.display_name = display_name[:128]
        account.username = username[:128] if username else None
        s.add(account)
        # The person renamed themselves: show the name they use now (the last one seen, on any platform).
        member.display_name = display_name[:128]
        s.add(member)
    return member


def accounts_of(s: Session, *, member_id: int) -> list[PlatformAccount]:
    return list(s.exec(select(PlatformAccount).where(PlatformAccount.member_id == member_id)))


def account_on(s: Session, *, member_id: int, platform: str) -> PlatformAccount | None:
    return s.exec(
        select(PlatformAccount).where(
            PlatformAccount.member_id == member_id, PlatformAccount.platform == platform
        )
    ).first()


def ensure_membership(s: Session, *, group_id: int, member_id: int, role: str | None = None) -> Membership:
    """The member's membership in the group (re-activated if they had left). `role` raises, never lowers."""
    m = get_membership(s, group_id=group_id, member_id=member_id)
    if m is None:
        row = Membership(group_id=group_id, member_id=member_id, role=role or "member")
        created = insert_unless_exists(s, row, unique=("group_id", "member_id")) is not None
        m = get_membership(s, group_id=group_id, member_id=member_id)
        assert m is not None  # inserted now, or by the writer that was first
        if created:
            return m
    changed = False
    if not m.active:
        m.active, m.left_at, changed = True, None, True
    if role and ROLE_RANK.get(role, 0) > ROLE_RANK.get(m.role, 0):
        m.role, changed = role, True
    if changed:
        s.add(m)
    return m


def get_membership(s: Session, *, group_id: int, member_id: int) -> Membership | None:
    return s.exec(
        select(Membership).where(Membership.group_id == group_id, Membership.member_id == member_id)
    ).first()


def set_role(s: Session, *, group_id: int, member_id: int, role: str) -> Membership:
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")
    m = ensure_membership(s, group_id=group_id, member_id=member_id)
    m.role = role
    s.add(m)
    return m


def mark_left(s: Session, *, group_id: int, member_id: int, at: datetime) -> None:
    m = get_membership(s, group_id=group_id, member_id=member_id)
    if m is not None and m.active:
        m.active, m.left_at = False, at
        s.add(m)


def active_members(s: Session, *, group_id: int) -> list[tuple[Member, Membership]]:
    rows = s.exec(
        select(Member, Membership)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group_id, Membership.active == True)  # noqa: E712
        .order_by(col(Member.id))
    )
    return list(rows)


def member_name_in_group(s: Session, *, group_id: int, member_id: int) -> str | None:
    """A member's display name, only if they belong to the group (never leaks names across groups)."""
    row = s.exec(
        select(Member.display_name)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group_id, Membership.member_id == member_id)
    ).first()
    return row


def store_message(
    s: Session,
    *,
    group_id: int,
    member_id: int,
    platform_message_id: str,
    sent_at: datetime,
    text: str | None,
    text_length: int,
    reply_to_platform_id: str | None = None,
    is_command: bool = False,
) -> tuple[Message, bool]:
    """Store a message once. Returns (row, created); a redelivered platform message returns the stored row."""
    existing = get_message(s, group_id=group_id, platform_message_id=platform_message_id)
    if existing is not None:
        return existing, False
    msg = Message(
        group_id=group_id,
        member_id=member_id,
        platform_message_id=platform_message_id,
        sent_at=sent_at,
        text=text,
        text_length=text_length,
        reply_to_platform_id=reply_to_platform_id,
        is_command=is_command,
    )
    if not _insert(s, msg):
        again = get_message(s, group_id=group_id, platform_message_id=platform_message_id)
        assert again is not None
        return again, False
    return msg, True


def update_message_text(
    s: Session,
    *,
    group_id: int,
    platform_message_id: str,
    text: str | None,
    text_length: int,
    edited_at: datetime,
) -> Message | None:
    msg = get_message(s, group_id=group_id, platform_message_id=platform_message_id)
    if msg is None:
        return None
    msg.text, msg.text_length, msg.edited_at = text, text_length, edited_at
    msg.sentiment, msg.sentiment_label = None, None
    s.add(msg)
    return msg


def get_message(s: Session, *, group_id: int, platform_message_id: str) -> Message | None:
    return s.exec(
        select(Message).where(
            Message.group_id == group_id, Message.platform_message_id == platform_message_id
        )
    ).first()


def set_message_sentiment(s: Session, *, group_id: int, message_id: int, score: float, label: str) -> None:
    msg = s.get(Message, message_id)
    if msg is not None and msg.group_id == group_id:
        msg.sentiment, msg.sentiment_label = score, label
        s.add(msg)


def count_messages(s: Session, *, group_id: int, member_id: int | None = None) -> int:
    q = select(func.count()).select_from(Message).where(Message.group_id == group_id)
    if member_id is not None:
        q = q.where(Message.member_id == member_id)
    return int(s.exec(q).one())


def add_reaction(
    s: Session,
    *,
    group_id: int,
    platform_message_id: str,
    member_id: int,
    emoji: str,
    sentiment: float,
    at: datetime,
) -> tuple[Reaction, bool]:
    existing = s.exec(
        select(Reaction).where(
            Reaction.group_id == group_id,
            Reaction.platform_message_id == platform_message_id,
            Reaction.member_id == member_id,
            Reaction.emoji == emoji,
        )
    ).first()
    if existing is not None:
        return existing, False
    target = get_message(s, group_id=group_id, platform_message_id=platform_message_id)
    row = Reaction(
        group_id=group_id,
        platform_message_id=platform_message_id,
        message_id=target.id if target else None,
        member_id=member_id,
        emoji=emoji[:64],
        sentiment=sentiment,
        created_at=at,
    )
    if not _insert(s, row):
        return row, False
    return row, True


def remove_reaction(
    s: Session, *, group_id: int, platform_message_id: str, member_id: int, emoji: str
) -> bool:
    row = s.exec(
        select(Reaction).where(
            Reaction.group_id == group_id,
            Reaction.platform_message_id == platform_message_id,
            Reaction.member_id == member_id,
            Reaction.emoji == emoji,
        )
    ).first()
    if row is None:
        return False
    s.delete(row)
    return True


def list_reactions(s: Session, *, group_id: int) -> list[Reaction]:
    return list(s.exec(select(Reaction).where(Reaction.group_id == group_id)))


def insert_unless_exists(s: Session, row: SQLModel, *, unique: tuple[str, ...] = ()) -> int | None:
    """`INSERT ... ON CONFLICT (unique) DO NOTHING RETURNING id` of `row`'s values: the new id, or None when a row
    with the same `unique` columns exists (another writer was first; on PostgreSQL this waits for that writer's
    transaction). Unlike a flush in a savepoint, nothing is left half-done and no exception is raised."""
    table = row.__table__  # type: ignore[attr-defined]
    values = {c.name: getattr(row, c.name) for c in table.columns if c.name != "id"}
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(values)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(values)
    else:  # pragma: no cover - Cohort runs on SQLite and PostgreSQL
        raise NotImplementedError(f"no upsert for {dialect}")
    if unique:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(unique))
    new_id = s.execute(stmt.returning(table.c.id)).scalar_one_or_none()
    return int(new_id) if new_id is not None else None


def _insert(s: Session, row: object) -> bool:
    """Insert in a savepoint; False when a unique constraint says another writer was first."""
    try:
        with s.begin_nested():
            s.add(row)
            s.flush()
        return True
    except IntegrityError:
        return False
