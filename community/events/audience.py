"""Who the events feature tells things to: the group's chat, and members as recipients on its platform."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from community.events.notices import GroupChat, Recipient
from community.events.timeparse import reader_zone
from storage.crud import events as crud
from storage.models import Group, PlatformAccount


def group_chat(group: Group) -> GroupChat:
    assert group.id is not None
    return GroupChat(
        group_id=group.id, platform=group.platform, chat_id=group.platform_chat_id, title=group.title
    )


def recipient(member_id: int, name: str, account: PlatformAccount, *, timezone: str) -> Recipient:
    return Recipient(
        member_id=member_id,
        platform=account.platform,
        user_id=account.platform_user_id,
        display_name=name or account.display_name,
        timezone=timezone,
        username=account.username,
    )


def reader_zone_of(s: Session, *, group: Group, member_id: int) -> str:
    """The zone one member reads times in: their own (/timezone) when it is a real zone, else the group's."""
    own = crud.member_timezones(s, group_id=group.id or 0, member_ids=[member_id]).get(member_id)
    return reader_zone(own, group.timezone)


def recipients(s: Session, *, group: Group, member_ids: Sequence[int]) -> list[Recipient]:
    """The members (of this group only) who have an account on the group's platform, in the order given, each
    with the zone they read times in (their own where valid, else the group's)."""
    people = crud.names_and_accounts(
        s, group_id=group.id or 0, member_ids=member_ids, platform=group.platform
    )
    zones = crud.member_timezones(s, group_id=group.id or 0, member_ids=[p[0] for p in people])
    return [
        recipient(mid, name, account, timezone=reader_zone(zones.get(mid), group.timezone))
        for mid, name, account, _muted in people
        if account is not None
    ]


def reminder_readers(
    s: Session, *, group: Group, member_ids: Sequence[int]
) -> tuple[list[str], list[Recipient]]:
    """Names of the members going (all of them, for the group post) and those to remind directly: not muted,
    with an account here; each reads the time in their own zone where it is valid, else the group's."""
    people = crud.names_and_accounts(
        s, group_id=group.id or 0, member_ids=member_ids, platform=group.platform
    )
    zones = crud.member_timezones(s, group_id=group.id or 0, member_ids=[p[0] for p in people])
    names = [name for _, name, _, _ in people]
    readers = [
        recipient(mid, name, account, timezone=reader_zone(zones.get(mid), group.timezone))
        for mid, name, account, muted in people
        if not muted and account is not None
    ]
    return names, readers
