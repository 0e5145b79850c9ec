"""CohortApp: the bot, independent of any platform. Adapters feed it events with `handle` and send its replies.

It turns a neutral event into ingest calls (run off the event loop), runs the command or button it carries through
the Dispatcher, and sends the replies. Services are built in `bot/wiring.py`; commands in `bot/commands/`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from sqlalchemy import Engine

from bot import wiring
from bot.adapter import Adapter
from bot.buttons import ButtonKey, secret_from
from bot.commands import register_all
from bot.config import Settings
from bot.dispatcher import SENT_NOW, Context, Dispatcher
from bot.scheduler import Scheduler
from bot.services import Services
from bot.text import sanitize
from bot.types import (
    ButtonPress,
    Chat,
    ChatUser,
    InboundEvent,
    MembershipChange,
    Message,
    Reaction,
    Reply,
    SentMessage,
)
from common.clock import Clock, SystemClock
from community.ingest.reactions import record_reaction
from community.ingest.service import ChatRef, Identity, PersonRef
from storage import db

log = logging.getLogger(__name__)

MAX_CHAT_LOCKS = 10_000


def chat_ref(chat: Chat) -> ChatRef:
    return ChatRef(platform=chat.platform, chat_id=chat.chat_id, title=chat.title)


def person_ref(user: ChatUser) -> PersonRef:
    return PersonRef(
        platform=user.platform, user_id=user.user_id, display_name=user.display_name, username=user.username
    )


class CohortApp:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine: Engine | None = None,
        clock: Clock | None = None,
        migrate: bool = True,
        load_commands: bool = True,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.engine = engine or db.make_engine(self.settings.database_url)
        if migrate:
            db.upgrade(self.engine)
        self.services: Services = wiring.build_services(
            self.settings, engine=self.engine, clock=clock or SystemClock()
        )
        self.dispatcher = Dispatcher(
            rate_limit_per_minute=self.settings.rate_limit_per_minute,
            button_key=ButtonKey(secret_from(self.settings.telegram_token, self.settings.discord_token)),
        )
        # What the bot starts itself (check-ins, reminders) binds personal buttons to the member it is sent to.
        self.services.outbox.prepare = lambda reply: self.dispatcher.bind(reply, reader=reply.direct_to)
        # Events of one chat are handled in arrival order; different chats run concurrently.
        self._chat_locks: OrderedDict[tuple[str, str], asyncio.Lock] = OrderedDict()
        if load_commands:
            register_all(self.dispatcher, self.services)

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def scheduler(self) -> Scheduler:
        return self.services.scheduler

    @property
    def adapters(self) -> dict[str, Adapter]:
        return self.services.outbox.adapters

    # ---- lifecycle ----------------------------------------------------------------------------------------
    def add_adapter(self, adapter: Adapter) -> None:
        self.services.outbox.add(adapter)

    async def start(self) -> None:
        await wiring.start(self.services)

    async def stop(self) -> None:
        await wiring.stop(self.services)

    # ---- inbound ------------------------------------------------------------------------------------------
    async def handle(self, event: InboundEvent, adapter: Adapter) -> list[SentMessage]:
        """Store what the event says, run the command or button it carries, and send the replies.

        Returns every message sent in answer: the replies, and what handlers sent themselves (`ctx.send`)."""
        sent: list[SentMessage] = []
        token = SENT_NOW.set(sent)
        try:
            async with self._lock_for(event.chat):
                await self._handle(event, adapter, sent)
        finally:
            SENT_NOW.reset(token)
        return sent

    async def _handle(self, event: InboundEvent, adapter: Adapter, sent: list[SentMessage]) -> None:
        if isinstance(event, Message):
            replies = await self._on_message(event, adapter)
        elif isinstance(event, ButtonPress):
            replies = await self._on_button(event, adapter)
        elif isinstance(event, Reaction):
            await self._on_reaction(event)
            replies = []
        elif isinstance(event, MembershipChange):
            await self._on_membership(event)
            replies = []
        else:  # pragma: no cover - typed union
            raise TypeError(f"unknown event {event!r}")
        for reply in replies:
            out = await adapter.send(reply)
            if out is not None:
                sent.append(out)

    def _lock_for(self, chat: Chat) -> asyncio.Lock:
        key = (chat.platform, chat.chat_id)
        lock = self._chat_locks.get(key)
        if lock is None:
            lock = self._chat_locks[key] = asyncio.Lock()
            while len(self._chat_locks) > MAX_CHAT_LOCKS:
                old_key, old = next(iter(self._chat_locks.items()))
                if old.locked():
                    break
                del self._chat_locks[old_key]
        else:
            self._chat_locks.move_to_end(key)
        return lock

    async def identify(
        self, chat: Chat, user: ChatUser, adapter: Adapter | None = None, *, owner_check: bool = False
    ) -> Identity:
        """Group, member and role; with `owner_check` the role comes from the platform's own admin status."""
        admin = await adapter.is_admin(chat, user) if owner_check and adapter is not None else None
        return await self.services.store.call(
            self.services.ingest.identify, chat=chat_ref(chat), person=person_ref(user), admin=admin
        )

    async def find_identity(
        self, chat: Chat, user: ChatUser, adapter: Adapter | None = None, *, owner_check: bool = False
    ) -> Identity | None:
        """Like `identify` for someone already a member of the chat's group; None (nothing created) otherwise."""
        admin = await adapter.is_admin(chat, user) if owner_check and adapter is not None else None
        return await self.services.store.call(
            self.services.ingest.find_identity, chat=chat_ref(chat), person=person_ref(user), admin=admin
        )

    def grant_role(self, chat: Chat, user: ChatUser, role: str) -> Identity:
        """Store a role for a member (synchronous: for set-up before the loop runs, e.g. the console's owner)."""
        return self.services.ingest.grant_role(chat=chat_ref(chat), person=person_ref(user), role=role)

    def context(self, event: Message | ButtonPress, adapter: Adapter, identity: Identity) -> Context:
        user = event.author if isinstance(event, Message) else event.user
        return Context(
            services=self.services,
            dispatcher=self.dispatcher,
            adapter=adapter,
            chat=event.chat,
            user=user,
            group_id=identity.group_id,
            member_id=identity.member_id,
            role=identity.role,
            event=event,
        )

    async def _on_message(self, msg: Message, adapter: Adapter) -> list[Reply]:
        if msg.author.is_bot:
            return []
        text = sanitize(msg.text or "")
        parsed = self.dispatcher.parse_command(text)
        spec = self.dispatcher.resolve(parsed[0]) if parsed else None
        identity = await self.identify(
            msg.chat, msg.author, adapter, owner_check=bool(spec and spec.owner_only)
        )
        ingested = await self.services.store.call(
            self.services.ingest.record_message,
            identity=identity,
            platform_message_id=msg.id,
            text=text,
            sent_at=msg.sent_at,
            is_command=parsed is not None,
            edited=msg.edited,
            reply_to_platform_id=msg.reply_to_id,
        )
        if ingested.score_text is not None and ingested.message_row_id is not None:
            self.services.scorer.on_message(
                group_id=identity.group_id, message_id=ingested.message_row_id, text=ingested.score_text
            )
        if parsed is None or not ingested.answer:
            return []
        return await self.dispatcher.run_command(self.context(msg, adapter, identity), parsed[0], parsed[1])

    async def _on_button(self, press: ButtonPress, adapter: Adapter) -> list[Reply]:
        payload = sanitize(press.payload, limit=64)
        spec = self.dispatcher.button_spec(payload)
        owner_check = bool(spec and spec.owner_only)
        if spec is not None and not spec.needs_member:
            identity = await self.identify(press.chat, press.user, adapter, owner_check=owner_check)
            return await self.dispatcher.run_button(self.context(press, adapter, identity), payload)
        # A press is no first contact: it creates no member, account or membership (a stale button after /forget).
        found = await self.find_identity(press.chat, press.user, adapter, owner_check=owner_check)
        stranger = Identity(group_id=0, member_id=0, role="member")
        ctx = self.context(press, adapter, found or stranger)
        return await self.dispatcher.run_button(ctx, payload, member_known=found is not None)

    async def _on_reaction(self, r: Reaction) -> None:
        if r.reactor.is_bot:
            return
        identity = await self.identify(r.chat, r.reactor)
        await self.services.store.call(
            record_reaction,
            self.services.store,
            group_id=identity.group_id,
            member_id=identity.member_id,
            platform_message_id=r.message_id,
            emoji=r.emoji,
            action=r.action,
            at=r.at,
        )

    async def _on_membership(self, change: MembershipChange) -> None:
        identity = await self.identify(change.chat, change.user)
        if change.action == "leave":
            await self.services.store.call(self.services.ingest.record_leave, identity=identity, at=change.at)

    # ---- outbound -----------------------------------------------------------------------------------------
    async def push(self, reply: Reply) -> SentMessage | None:
        """Send a message the bot starts itself (reminders, matching rounds) through the chat's adapter."""
        return await self.services.outbox.push(reply)
