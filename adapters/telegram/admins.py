"""A short-lived cache of each group's administrators, so owner commands do not cost a Bot API call each."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable


class AdminCache:
    """chat id -> the set of admin user ids, kept `ttl` seconds. Failed look-ups are never cached."""

    def __init__(
        self, ttl: float = 60.0, *, clock: Callable[[], float] = time.monotonic, max_chats: int = 10_000
    ):
        self.ttl, self.clock, self.max_chats = ttl, clock, max_chats
        self._entries: OrderedDict[str, tuple[float, frozenset[str]]] = OrderedDict()

    async def admins(self, chat_id: str, fetch: Callable[[], Awaitable[frozenset[str]]]) -> frozenset[str]:
        now = self.clock()
        hit = self._entries.get(chat_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        ids = await fetch()
        self._entries[chat_id] = (now + self.ttl, ids)
        self._entries.move_to_end(chat_id)
        while len(self._entries) > self.max_chats:
            self._entries.popitem(last=False)
        return ids

    def forget(self, chat_id: str) -> None:
        self._entries.pop(chat_id, None)
