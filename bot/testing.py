"""A fake adapter and a tiny driver so a feature test reads like a chat: `await bot.say("alice", "/help")`."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Literal

from bot.app import CohortApp
from bot.buttons import is_bound
from bot.types import ButtonPress, Chat, ChatUser, Message, Reaction, Reply, SentMessage

_ids = itertools.count(1)


class FakeAdapter:
    """Records every reply; admin status comes from `admins` (None there means: use the store's roles)."""

    def __init__(self, platform: str = "test", admins: set[str] | None = None) -> None:
        self.platform = platform
        self.sent: list[Reply] = []
        self.admins = admins
        self.dm_blocked: set[str] = set()

    async def send(self, reply: Reply) -> SentMessage:
        self.sent.append(reply)
        direct = reply.direct_to is not None and reply.direct_to.user_id not in self.dm_blocked
        return SentMessage(
            chat=reply.chat, message_id=reply.edit_message_id or f"bot{next(_ids)}", direct=direct
        )

    async def is_admin(self, chat: Chat, user: ChatUser) -> bool | None:
        return None if self.admins is None else user.user_id in self.admins


class TestBot:
    __test__ = False  # not a pytest class

    def __init__(
        self,
        app: CohortApp,
        *,
        chat_id: str = "g1",
        platform: str = "test",
        title: str = "Test group",
        adapter: FakeAdapter | None = None,
    ) -> None:
        self.app = app
        self.adapter = adapter or FakeAdapter(platform)
        app.add_adapter(self.adapter)
        self.chat = Chat(platform=self.adapter.platform, chat_id=chat_id, kind="group", title=title)

    def user(self, name: str) -> ChatUser:
        return ChatUser(platform=self.adapter.platform, user_id=name.lower(), display_name=name)

    def in_chat(self, chat_id: str, title: str = "") -> TestBot:
        """The same bot seen from another group."""
        other = TestBot.__new__(TestBot)
        other.app, other.adapter = self.app, self.adapter
        other.chat = Chat(
            platform=self.adapter.platform, chat_id=chat_id, kind="group", title=title or chat_id
        )
        return other

    async def say(
        self,
        who: str,
        text: str,
        *,
        message_id: str | None = None,
        reply_to: str | None = None,
        at: datetime | None = None,
    ) -> list[Reply]:
        before = len(self.adapter.sent)
        msg = Message(
            id=message_id or f"m{next(_ids)}",
            chat=self.chat,
            author=self.user(who),
            text=text,
            sent_at=at or self.app.clock.now(),
            reply_to_id=reply_to,
        )
        await self.app.handle(msg, self.adapter)
        return self.adapter.sent[before:]

    async def press(
        self,
        who: str,
        payload: str,
        message_id: str | None = None,
        *,
        shown_to: str | None = None,
        raw: bool = False,
    ) -> list[Reply]:
        """`who` presses a button carrying `payload`.

        A payload taken from a reply is pressed as it was sent (bound to its reader if it is personal). A payload
        a test spells out ("rec:n:3") is the button as the bot would have shown it to `shown_to` (default: `who`
        themselves); `raw=True` presses it exactly as given, like a forged or stale one.
        """
        if not raw:
            payload = self.shown(payload, shown_to or who)
        before = len(self.adapter.sent)
        await self.app.handle(
            ButtonPress(
                chat=self.chat,
                user=self.user(who),
                payload=payload,
                message_id=message_id,
                at=self.app.clock.now(),
            ),
            self.adapter,
        )
        return self.adapter.sent[before:]

    def shown(self, payload: str, reader: str) -> str:
        """A spelled-out payload as the bot binds it when it shows the button to `reader` (open ones unchanged)."""
        d = self.app.dispatcher
        spec = d.button_spec(payload)
        if spec is None or spec.audience != "reader" or is_bound(payload):
            return payload
        try:
            return d.button_key.bind(payload, self.user(reader))
        except ValueError:  # too long to carry a tag: the bot could never have shown it
            return payload

    async def react(
        self, who: str, message_id: str, emoji: str, action: Literal["add", "remove"] = "add"
    ) -> None:
        await self.app.handle(
            Reaction(
                chat=self.chat,
                message_id=message_id,
                reactor=self.user(who),
                emoji=emoji,
                action=action,
                at=self.app.clock.now(),
            ),
            self.adapter,
        )

    async def text(self, who: str, text: str) -> str:
        """The plain text of all replies to one message, joined."""
        return "\n".join(r.rich.to_plain() for r in await self.say(who, text))
