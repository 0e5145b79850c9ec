"""Wiring: the one place that puts store, dispatcher, scheduler, services and adapters together."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Engine

from bot.adapter import Adapter
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.dispatcher import Context, Dispatcher, ensure_identity
from bot.scheduler import Scheduler
from bot.text import sanitize
from bot.types import ButtonPress, InboundEvent, MembershipChange, Message, Reaction, Reply, SentMessage
from storage import db
from storage.crud import core as crud
from storage.models import Group

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]
Listener = Callable[..., Awaitable[None] | None]


class CohortApp:
    """The bot, independent of any platform. Adapters feed it events with `handle` and receive its replies."""

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
        self.clock: Clock = clock or SystemClock()
        self.engine = engine or db.make_engine(self.settings.database_url)
        if migrate:
            db.upgrade(self.engine)
        self.dispatcher = Dispatcher(rate_limit_per_minute=self.settings.rate_limit_per_minute)
        self.scheduler = Scheduler()
        self.adapters: dict[str, Adapter] = {}
        # Services that feature modules attach (recommender, sentiment worker, ...), by name.
        self.services: dict[str, Any] = {}
        self.startup_hooks: list[Hook] = []
        self.shutdown_hooks: list[Hook] = []
        # In-process signal bus: "rating", "reaction", "feedback", "rsvp", "forget", ... -> listeners.
        self.listeners: dict[str, list[Listener]] = {}
        # Button namespaces whose presses need the platform admin check (owner confirmations).
        self.owner_button_namespaces: set[str] = set()
        if load_commands:
            from bot.commands import load_all

            load_all(self)

    # ---- lifecycle ----------------------------------------------------------------------------------------
    def add_adapter(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter

    async def start(self) -> None:
        self.scheduler.start()
        for hook in self.startup_hooks:
            await hook()

    async def stop(self) -> None:
        for hook in reversed(self.shutdown_hooks):
            try:
                await hook()
            except Exception:
                log.exception("shutdown hook failed")
        self.scheduler.shutdown()

    # ---- inbound ------------------------------------------------------------------------------------------
    async def handle(self, event: InboundEvent, adapter: Adapter) -> list[SentMessage]:
        """Store what the event says, run the command or button it carries, and send the replies."""
        if isinstance(event, Message):
            replies = await self._on_message(event, adapter)
        elif isinstance(event, ButtonPress):
            replies = await self._on_button(event, adapter)
        elif isinstance(event, Reaction):
            await self._on_reaction(event)
            replies = []
        elif isinstance(event, MembershipChange):
            self._on_membership(event)
            replies = []
        else:  # pragma: no cover - typed union
            raise TypeError(f"unknown event {event!r}")
        sent: list[SentMessage] = []
        for reply in replies:
            out = await adapter.send(reply)
            if out is not None:
                sent.append(out)
        return sent

    async def context_for(self, event: Message | ButtonPress, adapter: Adapter, *, owner_check: bool) -> Context:
        user = event.author if isinstance(event, Message) else event.user
        with db.session_scope(self.engine) as s:
            group_id, member_id, role = ensure_identity(s, chat=event.chat, user=user)
        if owner_check:
            platform_admin = await adapter.is_admin(event.chat, user)
            if platform_admin is not None:
                # The platform is the source of truth for its own chats; never a name in the text.
                role = "admin" if platform_admin else "member"
                if role == "admin" and platform_admin:
                    with db.session_scope(self.engine) as s:
                        crud.ensure_membership(s, group_id=group_id, member_id=member_id, role="admin")
        return Context(
            app=self, adapter=adapter, chat=event.chat, user=user, group_id=group_id, member_id=member_id,
            role=role, event=event,
        )

    async def _on_message(self, msg: Message, adapter: Adapter) -> list[Reply]:
        if msg.author.is_bot:
            return []
        text = sanitize(msg.text or "")
        parsed = self.dispatcher.parse_command(text)
        spec = self.dispatcher.resolve(parsed[0]) if parsed else None
        ctx = await self.context_for(msg, adapter, owner_check=bool(spec and spec.owner_only))
        with db.session_scope(self.engine) as s:
            membership = crud.get_membership(s, group_id=ctx.group_id, member_id=ctx.member_id)
            group = s.get(Group, ctx.group_id)
            assert membership is not None and group is not None
            retention = group.settings.get("retention_days")
            keep_text = retention != 0
            track = parsed is not None or not membership.opted_out
            row = None
            created = True
            if msg.edited:
                row = crud.update_message_text(
                    s, group_id=ctx.group_id, platform_message_id=msg.id,
                    text=text if keep_text and parsed is None else None, text_length=len(text), edited_at=msg.sent_at,
                )
                if row is None or parsed is not None:
                    return []
            elif track:
                row, created = crud.store_message(
                    s, group_id=ctx.group_id, member_id=ctx.member_id, platform_message_id=msg.id,
                    sent_at=msg.sent_at, text=text if keep_text and parsed is None else None,
                    text_length=len(text), reply_to_platform_id=msg.reply_to_id, is_command=parsed is not None,
                )
        if not created:
            return []  # redelivery: stored once, answered once
        if parsed is not None:
            return await self.dispatcher.run_command(ctx, parsed[0], parsed[1])
        if row is not None and not membership.opted_out:
            await self.dispatcher.notify_listeners(ctx, (row, text))
        return []

    async def _on_button(self, press: ButtonPress, adapter: Adapter) -> list[Reply]:
        namespace = press.payload.partition(":")[0]
        needs_owner = namespace in self.owner_button_namespaces
        ctx = await self.context_for(press, adapter, owner_check=needs_owner)
        return await self.dispatcher.run_button(ctx, sanitize(press.payload, limit=64))

    async def _on_reaction(self, r: Reaction) -> None:
        if r.reactor.is_bot:
            return
        with db.session_scope(self.engine) as s:
            group_id, member_id, _ = ensure_identity(s, chat=r.chat, user=r.reactor)
            membership = crud.get_membership(s, group_id=group_id, member_id=member_id)
            if membership is not None and membership.opted_out:
                return
        await self.emit("reaction", r, group_id, member_id)

    def _on_membership(self, change: MembershipChange) -> None:
        with db.session_scope(self.engine) as s:
            group_id, member_id, _ = ensure_identity(s, chat=change.chat, user=change.user)
            if change.action == "leave":
                crud.mark_left(s, group_id=group_id, member_id=member_id, at=change.at)

    # ---- signals ------------------------------------------------------------------------------------------
    def on(self, signal: str, fn: Listener) -> Listener:
        """Subscribe to an in-process signal (e.g. "rating" after /rate, "reaction" for every reaction)."""
        self.listeners.setdefault(signal, []).append(fn)
        return fn

    async def emit(self, signal: str, *args: Any) -> None:
        """Call every listener of `signal`; a failing listener is logged and never breaks the caller."""
        for fn in self.listeners.get(signal, []):
            try:
                out = fn(*args)
                if inspect.isawaitable(out):
                    await out
            except Exception:
                log.exception("listener of %s failed", signal)

    # ---- outbound -----------------------------------------------------------------------------------------
    async def push(self, reply: Reply) -> SentMessage | None:
        """Send a message the bot starts itself (reminders, matching rounds) through the chat's adapter."""
        adapter = self.adapters.get(reply.chat.platform)
        if adapter is None:
            log.warning("no adapter for platform %s; push dropped", reply.chat.platform)
            return None
        return await adapter.send(reply)
