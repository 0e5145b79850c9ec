"""The protocol every platform adapter implements."""

from __future__ import annotations

from typing import Protocol

from bot.types import Chat, ChatUser, Reply, SentMessage


class Adapter(Protocol):
    platform: str

    async def send(self, reply: Reply) -> SentMessage | None:
        """Deliver a reply (split, escaped, paced as the platform needs). Direct replies fall back to the group."""
        ...

    async def is_admin(self, chat: Chat, user: ChatUser) -> bool | None:
        """The platform's own admin status of a user in a chat; None when the platform has no such notion."""
        ...
