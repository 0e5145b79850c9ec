"""Who a buddy message goes to, as neutral references: the group's chat and members' accounts on its platform."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from community.ingest.service import ChatRef, PersonRef
from storage.crud import buddies as crud
from storage.crud import core as core_crud


@dataclass(frozen=True)
class Audience:
    chat: ChatRef  # the group; direct messages to its members are sent through its platform
    people: Mapping[int, PersonRef]  # member id -> account on the group's platform (absent: none, not sent)


def audience(s: Session, *, group_id: int, member_ids: Sequence[int]) -> Audience | None:
    """The group's chat and the members' accounts on its platform; None when the group is gone."""
    group = core_crud.get_group(s, group_id=group_id)
    if group is None:
        return None
    accounts = crud.accounts_on(s, group_id=group_id, member_ids=member_ids, platform=group.platform)
    people = {
        m: PersonRef(
            platform=group.platform,
            user_id=a.platform_user_id,
            display_name=a.display_name,
            username=a.username,
        )
        for m, a in accounts.items()
    }
    return Audience(
        ChatRef(platform=group.platform, chat_id=group.platform_chat_id, title=group.title), people
    )
