"""Discord adapter: discord.py 2.x client, intents, slash commands built from the dispatcher, sending well.

Inbound: gateway dispatches arrive through discord.py's `on_socket_raw_receive` (enabled with
`enable_debug_events`) and are translated by the pure functions in `translate.py`, so what the bot sees is exactly
what Discord documents. Interactions (slash commands, button presses) are answered through discord.py's
`Interaction` objects: a slash command's first reply is the interaction response (deferred after `defer_after`
seconds so Discord's 3-second deadline is never missed), further replies are follow-ups. A private answer to whoever
pressed a button (a refusal of someone else's personal button, a confirmation) is an ephemeral follow-up: only
they see it.

Outbound: replies are split at 2000 characters on line boundaries, rendered with `RichText.to_markdown` (which
escapes markdown and neutralises mentions), and sent with `allowed_mentions` that allow at most the one user
mention the adapter adds itself. discord.py waits out 429 responses per rate-limit bucket.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
import warnings
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yarl

with warnings.catch_warnings():
    # discord.py imports the stdlib audioop for voice, which Cohort never uses; Python 3.11+ warns about it.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord
    from discord.gateway import DiscordWebSocket

from adapters.discord import translate
from bot.text import split_for_limit
from bot.types import ButtonPress, Chat, ChatUser, Message, Reply, SentMessage

if TYPE_CHECKING:
    from bot.app import CohortApp
    from bot.config import Settings

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
# The button press being handled: (its interaction, the presser's user id).
_pressing: ContextVar[tuple[discord.Interaction, str] | None] = ContextVar("discord_pressing", default=None)
MAX_BUTTON_ROWS = 5
MAX_BUTTONS_PER_ROW = 5

PRIVILEGED_HELP = (
    "Discord refused the connection because the bot asks for privileged gateway intents that are not enabled "
    "(close code 4014). Open https://discord.com/developers/applications, choose this application, go to 'Bot' "
    "-> 'Privileged Gateway Intents' and switch on 'MESSAGE CONTENT INTENT' and 'SERVER MEMBERS INTENT', "
    "then save and start Cohort again."
)


class DiscordStartError(RuntimeError):
    """The adapter could not connect; the message says what the owner should fix."""


@dataclass
class _PendingInteraction:
    """A slash command being handled: its replies go back as the interaction response and follow-ups."""

    interaction: discord.Interaction
    user_id: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    deferred: bool = False
    answered: bool = False  # the first message (response or first follow-up after a defer) has gone out
    failed: bool = False
    timer: asyncio.Task[None] | None = None


class DiscordAdapter:
    """Connects Cohort to Discord. Guild = group, channel = where replies go."""

    platform = "discord"

    def __init__(
        self,
        app: CohortApp,
        settings: Settings,
        *,
        guild_ready_timeout: float = 2.0,
        defer_after: float = 2.0,
        admin_cache_seconds: float = 60.0,
        ready_timeout: float = 60.0,
    ) -> None:
        self.app = app
        self.settings = settings
        self.guild_ready_timeout = guild_ready_timeout
        self.defer_after = defer_after
        self.admin_cache_seconds = admin_cache_seconds
        self.ready_timeout = ready_timeout
        self.client: discord.Client | None = None
        self.synced_commands: list[dict[str, Any]] = []
        self._ready = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._pending: dict[str, _PendingInteraction] = {}
        self._admin_cache: dict[tuple[str, str], tuple[float, bool]] = {}
        # Channel of each message the bot sent (bounded), so `edit_message_id` works without a channel id.
        self._sent_channels: OrderedDict[str, int] = OrderedDict()
        self._saved_endpoints: tuple[str, yarl.URL] | None = None

    # ---- lifecycle ----------------------------------------------------------------------------------------
    @staticmethod
    def intents() -> discord.Intents:
        """Guilds, guild messages and reactions, DMs, plus the privileged Message Content and Server Members."""
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: without it message text arrives empty
        intents.members = True  # privileged: member cache for permission checks, joins and leaves
        intents.presences = False
        intents.typing = False
        intents.dm_typing = False
        return intents

    async def start(self) -> None:
        """Log in, connect and return once the gateway is ready and the slash commands are synced."""
        token = self.settings.discord_token
        if not token:
            raise DiscordStartError(
                "DISCORD_BOT_TOKEN is not set: copy the bot token from the developer portal "
                "('Bot' -> 'Reset Token') into the environment."
            )
        self._point_at_endpoints()
        client = discord.Client(
            intents=self.intents(),
            enable_debug_events=True,
            guild_ready_timeout=self.guild_ready_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.client = client
        client.event(self._make_on_ready())
        client.event(self._make_on_raw())
        try:
            await client.login(token)
        except discord.LoginFailure as e:
            await self._close_client()
            raise DiscordStartError(
                "Discord rejected the bot token (DISCORD_BOT_TOKEN): reset it in the developer "
                "portal and set it again."
            ) from e
        except Exception:
            await self._close_client()
            raise
        self._runner = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
        ready = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait(
            {ready, self._runner}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            error = self._runner.exception() if self._runner in done else None
            await self._close_client()
            if isinstance(error, discord.PrivilegedIntentsRequired):
                raise DiscordStartError(PRIVILEGED_HELP) from error
            if error is not None:
                raise DiscordStartError(f"Could not connect to Discord: {error}") from error
            raise DiscordStartError(f"Discord did not become ready within {self.ready_timeout:.0f} s.")
        await self.sync_commands()

    async def stop(self) -> None:
        for pending in list(self._pending.values()):
            if pending.timer:
                pending.timer.cancel()
        await self._close_client()
        self._restore_endpoints()

    async def _close_client(self) -> None:
        if self.client is not None and not self.client.is_closed():
            await self.client.close()
        if self._runner is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
            self._runner = None

    def _point_at_endpoints(self) -> None:
        """Point discord.py at DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL (a fake in tests, a proxy in prod)."""
        self._saved_endpoints = (discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        if self.settings.discord_api_base_url:
            discord.http.Route.BASE = self.settings.discord_api_base_url.rstrip("/")  # type: ignore[misc]
        if self.settings.discord_gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.settings.discord_gateway_url)

    def _restore_endpoints(self) -> None:
        if self._saved_endpoints is not None:
            discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved_endpoints  # type: ignore[misc]
            self._saved_endpoints = None

    async def sync_commands(self) -> list[dict[str, Any]]:
        """Replace the application's global slash commands with the dispatcher's commands (one bulk PUT)."""
        client = self._require_client()
        payload = translate.command_payloads(self.app.dispatcher.commands.values())
        app_id = client.application_id
        if app_id is None:
            raise DiscordStartError(
                "Discord's READY carried no application id; cannot register slash commands."
            )
        self.synced_commands = list(await client.http.bulk_upsert_global_commands(app_id, payload))  # type: ignore[arg-type]
        log.info("synced %d slash commands", len(self.synced_commands))
        return self.synced_commands

    def _make_on_ready(self):  # type: ignore[no-untyped-def]
        async def on_ready() -> None:
            self._ready.set()

        return on_ready

    def _make_on_raw(self):  # type: ignore[no-untyped-def]
        async def on_socket_raw_receive(msg: str | bytes) -> None:
            try:
                payload = json.loads(msg)
            except (TypeError, ValueError):
                return
            if isinstance(payload, dict) and payload.get("op") == 0 and isinstance(payload.get("d"), dict):
                await self.dispatch_payload(str(payload.get("t")), payload["d"])

        return on_socket_raw_receive

    def _require_client(self) -> discord.Client:
        if self.client is None:
            raise RuntimeError("DiscordAdapter.start() has not run")
        return self.client

    # ---- inbound ------------------------------------------------------------------------------------------
    def _guild_names(self) -> dict[str, str]:
        client = self._require_client()
        return {str(g.id): g.name for g in client.guilds}

    async def dispatch_payload(self, event_type: str, d: dict[str, Any]) -> None:
        """Translate one gateway dispatch and hand it to the app; a failure is logged, never raised."""
        try:
            names = self._guild_names()
            if event_type in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
                msg = translate.message_event(d, edited=event_type == "MESSAGE_UPDATE", guild_names=names)
                if msg is not None and not self._is_self(msg.author):
                    await self.app.handle(msg, self)
            elif event_type in ("MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"):
                action = "add" if event_type.endswith("ADD") else "remove"
                reaction = translate.reaction_event(d, action, guild_names=names)
                if reaction is not None and not self._is_self(reaction.reactor):
                    await self.app.handle(reaction, self)
            elif event_type in ("GUILD_MEMBER_ADD", "GUILD_MEMBER_REMOVE"):
                change = translate.membership_event(
                    d, "join" if event_type.endswith("ADD") else "leave", guild_names=names
                )
                if change is not None and not self._is_self(change.user):
                    await self.app.handle(change, self)
            elif event_type == "INTERACTION_CREATE":
                await self._on_interaction(d, names)
        except Exception:
            log.exception("Discord %s could not be handled", event_type)

    def _is_self(self, user: ChatUser) -> bool:
        me = self.client.user if self.client else None
        return me is not None and str(me.id) == user.user_id

    async def _on_interaction(self, d: dict[str, Any], names: dict[str, str]) -> None:
        orders = {name: [a.name for a in spec.args] for name, spec in self.app.dispatcher.commands.items()}
        event = translate.interaction_event(d, arg_orders=orders, guild_names=names)
        if event is None:
            return
        user = event.author if isinstance(event, Message) else event.user
        perms = translate.interaction_permissions(d)
        if perms is not None and d.get("guild_id"):
            # Discord computed these for this very invocation: the freshest admin answer there is.
            self._trim_admin_cache()
            self._admin_cache[(str(d["guild_id"]), user.user_id)] = (
                time.monotonic(),
                translate.is_manager(perms),
            )
        client = self._require_client()
        interaction = discord.Interaction(data=d, state=client._connection)  # type: ignore[arg-type]
        if isinstance(event, ButtonPress):
            # Acknowledge at once (no visible change); the handler's replies go to the channel.
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.defer()
            token = _pressing.set((interaction, user.user_id))
            try:
                await self.app.handle(event, self)
            finally:
                _pressing.reset(token)
            return
        pending = _PendingInteraction(interaction=interaction, user_id=user.user_id)
        self._pending[event.id] = pending
        pending.timer = asyncio.create_task(self._defer_later(pending))
        try:
            await self.app.handle(event, self)
        except Exception:
            pending.failed = True
            log.exception("slash command /%s failed", str((d.get("data") or {}).get("name", ""))[:32])
        finally:
            pending.timer.cancel()
            self._pending.pop(event.id, None)
            await self._finish_interaction(pending)

    async def _defer_later(self, pending: _PendingInteraction) -> None:
        await asyncio.sleep(self.defer_after)
        async with pending.lock:
            if not pending.answered and not pending.deferred:
                with contextlib.suppress(discord.HTTPException):
                    await pending.interaction.response.defer(thinking=True)
                    pending.deferred = True

    async def _finish_interaction(self, pending: _PendingInteraction) -> None:
        """A command that answered nothing (a redelivery, a dropped rate-limited command, a crash) still answers:
        Discord otherwise shows "The application did not respond"."""
        async with pending.lock:
            if pending.answered:
                return
            text = "Sorry, something went wrong. Please try again later." if pending.failed else "Done."
            with contextlib.suppress(discord.HTTPException):
                if pending.deferred and not pending.failed:
                    await pending.interaction.delete_original_response()
                elif pending.deferred:
                    await pending.interaction.followup.send(text, ephemeral=True)
                else:
                    await pending.interaction.response.send_message(text, ephemeral=True)

    # ---- admin --------------------------------------------------------------------------------------------
    def _trim_admin_cache(self) -> None:
        if len(self._admin_cache) > 10_000:  # bounded: one entry per (guild, user) seen within the window
            self._admin_cache.clear()

    async def is_admin(self, chat: Chat, user: ChatUser) -> bool | None:
        """Manage Server or Administrator in the guild (or its owner), from Discord, cached briefly."""
        if chat.kind != "group":
            return False  # no owner powers in direct messages
        key = (chat.chat_id, user.user_id)
        cached = self._admin_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.admin_cache_seconds:
            return cached[1]
        client = self._require_client()
        if not (chat.chat_id.isdigit() and user.user_id.isdigit()):
            return False
        guild = client.get_guild(int(chat.chat_id))
        if guild is None:
            return False
        if guild.owner_id == int(user.user_id):
            result = True
        else:
            member = guild.get_member(int(user.user_id))
            if member is None:
                try:
                    member = await guild.fetch_member(int(user.user_id))
                except discord.NotFound:
                    member = None
                except discord.HTTPException:
                    log.warning("could not fetch member %s of guild %s", user.user_id, chat.chat_id)
                    return False  # not cached: a transient failure must not stick
            perms = member.guild_permissions if member is not None else None
            result = bool(perms and (perms.administrator or perms.manage_guild))
        self._trim_admin_cache()
        self._admin_cache[key] = (time.monotonic(), result)
        return result

    # ---- outbound -----------------------------------------------------------------------------------------
    async def send(self, reply: Reply) -> SentMessage | None:
        """Send a reply: interaction response, DM (falling back to the channel with a mention), or channel."""
        client = self._require_client()
        if reply.edit_message_id:
            return await self._edit(reply)
        pending = self._pending.get(reply.reply_to_id) if reply.reply_to_id else None
        direct = reply.direct_to
        if pending is not None and (direct is None or direct.user_id == pending.user_id):
            # A private answer to the invoker of a slash command is an ephemeral response: only they see it.
            sent = await self._send_interaction(pending, reply, ephemeral=direct is not None)
            if sent is not None:
                return sent
        pressing = _pressing.get()
        if direct is not None and pressing is not None and pressing[1] == direct.user_id:
            sent = await self._send_ephemeral(pressing[0], reply)
            if sent is not None:
                return sent
        if direct is not None and direct.user_id.isdigit():
            try:
                dm = await client.create_dm(discord.Object(int(direct.user_id)))
                last = await self._send_parts(dm, reply, mention=None, reference=False)
                return SentMessage(chat=reply.chat, message_id=str(last.id), direct=True)
            except discord.Forbidden:
                log.info("DMs to %s refused; replying in the channel with a mention", direct.user_id)
        channel_id = reply.reply_channel_id or await self._home_channel(reply.chat)
        if channel_id is None:
            log.warning("no channel to send to in %s; reply dropped", reply.chat.chat_id)
            return None
        channel = client.get_partial_messageable(int(channel_id))
        mention = direct.user_id if direct is not None and direct.user_id.isdigit() else None
        last = await self._send_parts(channel, reply, mention=mention, reference=pending is None)
        return SentMessage(chat=reply.chat, message_id=str(last.id), direct=False)

    def _parts(self, reply: Reply, prefix: str = "") -> list[str]:
        parts = split_for_limit(reply.rich, MESSAGE_LIMIT - len(prefix), render="markdown")
        rendered = [p.to_markdown() for p in parts]
        if prefix:
            rendered[0] = prefix + rendered[0]
        return [r if r.strip() else "\u200b" for r in rendered]

    def _extras(self, reply: Reply, *, last: bool) -> dict[str, Any]:
        """Buttons and the attachment go with the last part, so they sit under the whole text."""
        out: dict[str, Any] = {}
        if not last:
            return out
        view = self._view(reply)
        if view is not None:
            out["view"] = view
        if reply.attachment is not None:
            out["file"] = discord.File(
                io.BytesIO(reply.attachment.data), filename=reply.attachment.filename[:100]
            )
        return out

    @staticmethod
    def _allowed(mention: str | None) -> discord.AllowedMentions:
        users: list[discord.abc.Snowflake] | bool = [discord.Object(int(mention))] if mention else False
        return discord.AllowedMentions(everyone=False, users=users, roles=False, replied_user=False)

    async def _send_parts(
        self, channel: discord.abc.Messageable, reply: Reply, *, mention: str | None, reference: bool
    ) -> discord.Message:
        parts = self._parts(reply, prefix=f"<@{mention}> " if mention else "")
        last_msg: discord.Message | None = None
        for i, content in enumerate(parts):
            kwargs = self._extras(reply, last=i == len(parts) - 1)
            if (
                i == 0
                and reference
                and reply.reply_to_id
                and reply.reply_to_id.isdigit()
                and reply.reply_channel_id
            ):
                kwargs["reference"] = discord.MessageReference(
                    message_id=int(reply.reply_to_id),
                    channel_id=int(reply.reply_channel_id),
                    fail_if_not_exists=False,
                )
            last_msg = await channel.send(content=content, allowed_mentions=self._allowed(mention), **kwargs)
            self._remember(str(last_msg.id), last_msg.channel.id)
        assert last_msg is not None
        return last_msg

    async def _send_interaction(
        self, pending: _PendingInteraction, reply: Reply, *, ephemeral: bool
    ) -> SentMessage | None:
        """None when a private answer cannot be ephemeral here (the caller sends it as a DM instead)."""
        interaction = pending.interaction
        parts = self._parts(reply)
        message_id = str(interaction.id)
        async with pending.lock:
            if ephemeral and pending.deferred and not pending.answered:
                # The first follow-up after a public "thinking…" replaces it and stays public, whatever its flags.
                return None
            for i, content in enumerate(parts):
                kwargs = self._extras(reply, last=i == len(parts) - 1)
                allowed = self._allowed(None)
                if not pending.answered and not pending.deferred:
                    resp = await interaction.response.send_message(
                        content, ephemeral=ephemeral, allowed_mentions=allowed, **kwargs
                    )
                    if resp is not None and resp.message_id is not None:
                        message_id = str(resp.message_id)
                else:
                    sent = await interaction.followup.send(
                        content, ephemeral=ephemeral, allowed_mentions=allowed, wait=True, **kwargs
                    )
                    message_id = str(sent.id)
                    if interaction.channel_id is not None:
                        self._remember(message_id, interaction.channel_id)
                pending.answered = True
        return SentMessage(chat=reply.chat, message_id=message_id, direct=ephemeral)

    async def _send_ephemeral(self, interaction: discord.Interaction, reply: Reply) -> SentMessage | None:
        """A private answer to a button's presser as ephemeral follow-ups; None (then a DM) if Discord refuses."""
        message_id: str | None = None
        parts = self._parts(reply)
        try:
            for i, content in enumerate(parts):
                kwargs = self._extras(reply, last=i == len(parts) - 1)
                sent = await interaction.followup.send(
                    content, ephemeral=True, allowed_mentions=self._allowed(None), wait=True, **kwargs
                )
                message_id = str(sent.id)
        except discord.HTTPException as e:
            if message_id is None:  # nothing shown yet: the caller sends it as a DM instead
                log.info("ephemeral answer to a button press refused (%s); sending it directly", e)
                return None
            log.warning("ephemeral answer to a button press cut short: %s", e)
        return SentMessage(chat=reply.chat, message_id=message_id or str(interaction.id), direct=True)

    async def _edit(self, reply: Reply) -> SentMessage | None:
        client = self._require_client()
        mid = reply.edit_message_id or ""
        channel_id = self._sent_channels.get(mid) or (
            int(reply.reply_channel_id) if reply.reply_channel_id else None
        )
        if channel_id is None or not mid.isdigit():
            log.warning("cannot edit message %s: channel unknown; sending a new message", mid[:32])
            return await self.send(
                Reply(
                    chat=reply.chat,
                    text=reply.text,
                    buttons=reply.buttons,
                    reply_channel_id=reply.reply_channel_id,
                )
            )
        content = self._parts(reply)[0]
        view = self._view(reply)
        message = client.get_partial_messageable(channel_id).get_partial_message(int(mid))
        await message.edit(content=content, view=view, allowed_mentions=self._allowed(None))
        return SentMessage(chat=reply.chat, message_id=mid)

    @staticmethod
    def _view(reply: Reply) -> discord.ui.View | None:
        """Buttons as a discord.ui.View whose custom_ids are the payloads; presses arrive as interactions."""
        if not reply.buttons:
            return None
        view = discord.ui.View(timeout=None)
        for row_no, row in enumerate(reply.buttons[:MAX_BUTTON_ROWS]):
            for button in row[:MAX_BUTTONS_PER_ROW]:
                view.add_item(
                    discord.ui.Button(
                        label=button.label[:80] or "·",
                        custom_id=button.payload,
                        style=discord.ButtonStyle.secondary,
                        row=row_no,
                    )
                )
        # Stopped, so discord.py does not keep it in its view store: presses are routed by the adapter instead.
        view.stop()
        return view

    def _remember(self, message_id: str, channel_id: int) -> None:
        self._sent_channels[message_id] = channel_id
        while len(self._sent_channels) > 5000:
            self._sent_channels.popitem(last=False)

    async def _home_channel(self, chat: Chat) -> str | None:
        """Where pushes (reminders, rounds) go in a guild: the system channel, else the first writable text one."""
        client = self._require_client()
        if chat.kind == "private":
            return chat.chat_id
        guild = client.get_guild(int(chat.chat_id)) if chat.chat_id.isdigit() else None
        if guild is None:
            return None
        if guild.system_channel is not None:
            return str(guild.system_channel.id)
        for channel in sorted(guild.text_channels, key=lambda c: c.position):
            if channel.permissions_for(guild.me).send_messages:
                return str(channel.id)
        return None
