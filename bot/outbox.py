"""Outbox: messages the bot starts itself (reminders, matching rounds, notices), routed to the chat's adapter."""

from __future__ import annotations

import logging

from bot.adapter import Adapter
from bot.types import Reply, SentMessage

log = logging.getLogger(__name__)


class Outbox:
    def __init__(self) -> None:
        self.adapters: dict[str, Adapter] = {}

    def add(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter

    async def push(self, reply: Reply) -> SentMessage | None:
        """Send through the adapter of `reply.chat.platform`; dropped (and logged) when none is registered."""
        adapter = self.adapters.get(reply.chat.platform)
        if adapter is None:
            log.warning("no adapter for platform %s; push dropped", reply.chat.platform)
            return None
        return await adapter.send(reply)
