"""IngestService: the store side of every inbound chat event (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common.text import sanitize
from storage.crud import core as crud
from storage.db import Store


@dataclass(frozen=True)
class Identity:
    """Who spoke where: the group, the member and the role stored for them there."""

    group_id: int
    member_id: int
    role: str


@dataclass(frozen=True)
class ChatRef:
    platform: str
    chat_id: str
    title: str = ""


@dataclass(frozen=True)
class PersonRef:
    platform: str
    user_id: str
    display_name: str = ""
    username: str | None = None


@dataclass(frozen=True)
class Ingested:
    """What storing one message did.

    `answer` is False for a redelivered message (stored once, answered once) and for an edit of a command;
    `score_text` is set when the stored text should be handed to sentiment scoring (tracked, not a command).
    """

    identity: Identity
    answer: bool
    message_row_id: int | None = None
    score_text: str | None = None


class IngestService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def identify(self, *, chat: ChatRef, person: PersonRef, admin: bool | None = None) -> Identity:
        """The group, member and role for a chat and a person, created on first sight.

        `admin` is the platform's own admin status when the platform has one (None: keep the stored role).
        """
        with self.store.session() as s:
            group = crud.get_or_create_group(
                s, platform=chat.platform, chat_id=chat.chat_id, title=chat.title
            )
            member = crud.get_or_create_member(
                s,
                platform=person.platform,
                user_id=person.user_id,
                display_name=person.display_name,
                username=person.username,
            )
            assert group.id is not None and member.id is not None
            membership = crud.ensure_membership(s, group_id=group.id, member_id=member.id)
            role = membership.role
            if admin is not None:
                # The platform is the source of truth for its own chats; never a name in the text.
                role = "admin" if admin else "member"
                if admin:
                    crud.ensure_membership(s, group_id=group.id, member_id=member.id, role="admin")
            return Identity(group_id=group.id, member_id=member.id, role=role)

    def find_identity(
        self, *, chat: ChatRef, person: PersonRef, admin: bool | None = None
    ) -> Identity | None:
        """The identity of a person who is (or was) a member of the chat's group; None, and nothing created, when
        the group, the account or the membership does not exist (e.g. a stale button pressed after /forget).

        `admin` decides the role as in `identify`, without storing it."""
        with self.store.session() as s:
            group = crud.find_group(s, platform=chat.platform, chat_id=chat.chat_id)
            account = crud.find_account(s, platform=person.platform, user_id=person.user_id)
            if group is None or group.id is None or account is None:
                return None
            membership = crud.get_membership(s, group_id=group.id, member_id=account.member_id)
            if membership is None:
                return None
            role = membership.role if admin is None else ("admin" if admin else "member")
            return Identity(group_id=group.id, member_id=account.member_id, role=role)

    def grant_role(self, *, chat: ChatRef, person: PersonRef, role: str) -> Identity:
        """Set a member's stored role (the console's local owner; platforms use their own admin lists)."""
        identity = self.identify(chat=chat, person=person)
        with self.store.session() as s:
            crud.set_role(s, group_id=identity.group_id, member_id=identity.member_id, role=role)
        return Identity(group_id=identity.group_id, member_id=identity.member_id, role=role)

    def record_message(
        self,
        *,
        identity: Identity,
        platform_message_id: str,
        text: str,
        sent_at: datetime,
        is_command: bool,
        edited: bool,
        reply_to_platform_id: str | None,
    ) -> Ingested:
        """Store a new message or an edit once, honouring the group's retention and the member's opt-out."""
        text = sanitize(text)
        with self.store.session() as s:
            membership = crud.get_membership(s, group_id=identity.group_id, member_id=identity.member_id)
            group = crud.get_group(s, group_id=identity.group_id)
            assert membership is not None and group is not None
            keep_text = group.settings.get("retention_days") != 0 and not is_command
            opted_out = membership.opted_out
            if edited:
                if opted_out and not is_command:
                    # An opted-out member's edit is neither stored nor scored.
                    return Ingested(identity=identity, answer=False)
                row = crud.update_message_text(
                    s,
                    group_id=identity.group_id,
                    platform_message_id=platform_message_id,
                    text=text if keep_text else None,
                    text_length=len(text),
                    edited_at=sent_at,
                )
                if row is None or is_command:
                    return Ingested(identity=identity, answer=False)
                return Ingested(identity=identity, answer=False, message_row_id=row.id, score_text=text)
            if opted_out and not is_command:
                return Ingested(identity=identity, answer=False)  # nothing tracked
            row, created = crud.store_message(
                s,
                group_id=identity.group_id,
                member_id=identity.member_id,
                platform_message_id=platform_message_id,
                sent_at=sent_at,
                text=text if keep_text else None,
                text_length=len(text),
                reply_to_platform_id=reply_to_platform_id,
                is_command=is_command,
            )
            if not created:
                return Ingested(identity=identity, answer=False)  # redelivery: stored once, answered once
            score = None if is_command else text
            return Ingested(identity=identity, answer=True, message_row_id=row.id, score_text=score)

    def is_opted_out(self, identity: Identity) -> bool:
        with self.store.session() as s:
            membership = crud.get_membership(s, group_id=identity.group_id, member_id=identity.member_id)
            return membership is not None and membership.opted_out

    def record_leave(self, *, identity: Identity, at: datetime) -> None:
        with self.store.session() as s:
            crud.mark_left(s, group_id=identity.group_id, member_id=identity.member_id, at=at)
