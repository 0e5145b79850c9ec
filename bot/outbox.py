"""Outbox: messages the bot starts itself (reminders, matching rounds, notices), routed to the chat's adapter."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.adapter import Adapter
from bot.types import Reply, SentMessage

log = logging.getLogger(__name__)


class Outbox:
    def __init__(self) -> None:
        self.adapters: dict[str, Adapter] = {}
        # Set by the app: binds personal buttons to the member a push goes to (see bot/buttons.py).
        self.prepare: Callable[[Reply], Reply] | None = None

    def add(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter

    async def push(self, reply: Reply) -> SentMessage | None:
        """Send through the adapter of `reply.chat.platform`; dropped (and logged) when none is registered."""
        adapter = self.adapters.get(reply.chat.platform)
        if adapter is None:
            log.warning("no adapter for platform %s; push dropped", reply.chat.platform)
            return None
        return await adapter.send(self.prepare(reply) if self.prepare is not None else reply)
