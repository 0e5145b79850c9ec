"""The Telegram adapter: python-telegram-bot wiring between the Bot API and `CohortApp`.

Inbound: long polling (default) or a webhook (TELEGRAM_WEBHOOK_URL, secret token checked by PTB: 403 without it).
Every update goes through `translate.translate` into neutral events and then `app.handle`. Updates of one member
in one chat are handled in order; different members and chats run concurrently, so one busy group does not hold up
the others, and one member flooding a group does not hold up the other members there (`app.handle` still takes
one event of a chat at a time, in the order they reach it).

Outbound (`send`): HTML parse mode from `RichText.to_html` (escaped), split at 4096 characters on line boundaries,
inline keyboards for buttons, photos and documents for attachments, edits, direct messages that fall back to the
group with a mention, and pacing/retries from `pacing.Pacer`. Sends take turns per chat, fairly across members:
a reply counts against the member whose update is being handled (a context variable set for each update), so
another member's answer never waits behind a flooder's; the bot's own messages (reminders) take turns as one more.
"""

from __future__ import annotations

import asyncio
import contextvars
import html
import logging
import re
import secrets
import weakref
from collections.abc import Awaitable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeDefault,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    ReplyParameters,
    Update,
)
from telegram import Message as TgMessage
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor, ContextTypes, TypeHandler

from adapters.telegram.admins import AdminCache
from adapters.telegram.pacing import BOT, Dropped, Pacer
from adapters.telegram.translate import PLATFORM, translate
from bot.config import Settings
from bot.text import split_for_limit
from bot.types import Attachment, Chat, ChatUser, Reply, SentMessage

if TYPE_CHECKING:
    from bot.app import CohortApp

log = logging.getLogger(__name__)

# Telegram's default leaves out reactions and chat_member updates: list everything we handle.
ALLOWED_UPDATES = ["message", "edited_message", "message_reaction", "callback_query", "chat_member"]
TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096
CAPTION_LIMIT = int(MessageLimit.CAPTION_LENGTH)  # 1024
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

# The member (user id) whose update is being handled in this task: the sends it causes take that member's turns
# (see pacing.Pacer.turn). None outside update handling: reminders and other messages the bot starts itself.
requester: contextvars.ContextVar[str | None] = contextvars.ContextVar("telegram_requester", default=None)


def order_key(update: object) -> tuple[int, int | None] | None:
    """What must stay in order: one member's updates in one chat (None: no chat, no order to keep)."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return None
    user = update.effective_user
    return (update.effective_chat.id, user.id if user is not None else None)


class PerMemberUpdateProcessor(BaseUpdateProcessor):
    """Strictly in order for one member in one chat (FIFO lock per chat and member); concurrent otherwise.

    The member's lock comes before the `max_concurrent_updates` slots: one member's 1,000 queued updates wait on
    their own lock, not in front of everyone else for a slot, so another member's update in the same chat is taken
    up at once (`app.handle` then runs the chat's events one at a time, in the order they reach it).
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        # PTB's own semaphore is acquired before `do_process_update` (in the final `process_update`): make it
        # unbounded and bound the work with our own slots, taken after the member's lock.
        super().__init__(2**30)
        self.slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        # Weak values: a lock disappears once no update of its member is waiting on it.
        self._locks: weakref.WeakValueDictionary[tuple[int, int | None], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = order_key(update)
        if key is None:
            async with self.slots:
                await coroutine
            return
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        async with lock, self.slots:  # first the member's own earlier updates, then a free slot
            await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def file_base_url(settings: Settings) -> str:
    """Files live beside the API: https://api.telegram.org/bot -> https://api.telegram.org/file/bot."""
    if settings.telegram_file_base_url:
        return settings.telegram_file_base_url
    base = settings.telegram_api_base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("bot")] + "file/bot"
    return base + "/file"


class TelegramAdapter:
    """`TelegramAdapter(app, settings)`; `await start()` begins receiving, `await stop()` ends cleanly."""

    platform = PLATFORM

    def __init__(
        self,
        app: CohortApp,
        settings: Settings | None = None,
        *,
        poll_timeout: float = 30.0,
        pacer: Pacer | None = None,
        admin_ttl: float = 60.0,
    ) -> None:
        self.app = app
        self.settings = settings or app.settings
        token = self.settings.telegram_token
        if not token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.webhook_url = self.settings.telegram_webhook_url
        self.webhook_secret = self.settings.telegram_webhook_secret or secrets.token_urlsafe(32)
        if self.webhook_url and not _SECRET.match(self.webhook_secret):
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET may only hold A-Z, a-z, 0-9, _ and - (1 to 256 characters)"
            )
        self.poll_timeout = poll_timeout
        self.pacer = pacer or Pacer()
        self.admin_cache = AdminCache(admin_ttl)
        self.bot_username: str | None = None
        self.ptb: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(token)
            .base_url(self.settings.telegram_api_base_url)
            .base_file_url(file_base_url(self.settings))
            .concurrent_updates(PerMemberUpdateProcessor())
            .job_queue(None)  # schedules live in app.scheduler; no second APScheduler inside PTB
            .build()
        )
        self.ptb.add_handler(TypeHandler(Update, self._on_update))
        self.ptb.add_error_handler(self._on_error)

    # ---- lifecycle ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()  # leave nothing half-started (open HTTP pools, a running updater)
            raise

    async def _start(self) -> None:
        await self.ptb.initialize()  # getMe: fails here on a bad token or an unreachable server
        self.bot_username = self.ptb.bot.username
        await self.ptb.start()
        updater = self.ptb.updater
        assert updater is not None
        if self.webhook_url:
            await updater.start_webhook(
                listen=self.settings.telegram_webhook_listen,
                port=self.settings.telegram_webhook_port,
                url_path=urlparse(self.webhook_url).path.lstrip("/"),
                webhook_url=self.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("Telegram: webhook for @%s at %s", self.bot_username, self.webhook_url)
        else:
            await updater.start_polling(
                timeout=timedelta(seconds=self.poll_timeout), poll_interval=0, allowed_updates=ALLOWED_UPDATES
            )
            log.info("Telegram: polling as @%s", self.bot_username)
        await self.register_commands()

    async def stop(self) -> None:
        updater = self.ptb.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.ptb.running:
            await self.ptb.stop()
        await self.ptb.shutdown()

    async def register_commands(self) -> None:
        """The command menu from the dispatcher: everyone sees member commands, admins also owner commands."""
        everyone: list[BotCommand] = []
        owners: list[BotCommand] = []
        for spec in self.app.dispatcher.commands.values():
            if not _COMMAND_NAME.match(spec.name):
                continue
            cmd = BotCommand(spec.name, (spec.help or spec.name)[:256])
            (owners if spec.owner_only else everyone).append(cmd)
        try:
            await self.ptb.bot.set_my_commands(everyone[:100], scope=BotCommandScopeDefault())
            await self.ptb.bot.set_my_commands(
                (everyone + owners)[:100], scope=BotCommandScopeAllChatAdministrators()
            )
        except TelegramError as e:  # a menu is a nicety: never fail the start for it
            log.warning("Telegram: could not register the command menu: %s", e)

    # ---- inbound ------------------------------------------------------------------------------------------
    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            try:  # answer at once: the client shows a spinner until we do
                await update.callback_query.answer()
            except TelegramError as e:
                log.info("Telegram: callback query not answered: %s", e)
        user = update.effective_user
        token = requester.set(str(user.id) if user is not None else None)
        try:
            for event in translate(update, bot_username=self.bot_username, now=self.app.clock.now()):
                try:
                    await self.app.handle(event, self)
                except Exception:
                    log.exception("Telegram: handling update %s failed", update.update_id)
        finally:
            requester.reset(token)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram: error in update handling", exc_info=context.error)

    # ---- Adapter protocol: admins -------------------------------------------------------------------------
    async def is_admin(self, chat: Chat, user: ChatUser) -> bool | None:
        """Whether the platform says the user administers the group (cached briefly); None in private chats."""
        if chat.kind == "private":
            return None
        try:
            admins = await self.admin_cache.admins(chat.chat_id, lambda: self._fetch_admins(chat.chat_id))
        except TelegramError as e:
            log.warning("Telegram: admin look-up failed in %s: %s", chat.chat_id, e)
            return False  # fail closed: no owner command without a confirmed admin status
        return user.user_id in admins

    async def _fetch_admins(self, chat_id: str) -> frozenset[str]:
        members = await self.ptb.bot.get_chat_administrators(chat_id=_chat_id(chat_id))
        ok = {ChatMember.OWNER, ChatMember.ADMINISTRATOR}
        return frozenset(str(m.user.id) for m in members if m.status in ok)

    # ---- Adapter protocol: sending ------------------------------------------------------------------------
    async def send(self, reply: Reply) -> SentMessage | None:
        """Deliver a reply; Telegram errors are logged and give None rather than breaking the caller.

        It waits for its turn in the chat: the turn of the member whose update is being handled (`requester`),
        or the bot's own for messages nobody asked for. A reply that only answers that member may be dropped when
        the member has too many waiting (`Pacer.max_queued_per_member`); then it gives None.
        """
        asker = requester.get()
        member = asker if asker is not None else BOT
        # Only an answer to the asker is theirs to lose; what the bot starts, edits and messages to others are kept.
        droppable = (
            asker is not None
            and reply.edit_message_id is None
            and (reply.direct_to is None or reply.direct_to.user_id == asker)
        )
        try:
            if reply.edit_message_id is not None:
                return await self._edit(reply, member=member)
            if reply.direct_to is not None and reply.direct_to.platform == PLATFORM:
                user = reply.direct_to
                try:
                    dm = Chat(
                        platform=PLATFORM, chat_id=user.user_id, kind="private", title=user.display_name
                    )
                    return await self._deliver(dm, reply, direct=True, member=member, droppable=droppable)
                except Forbidden as e:
                    # The user never pressed Start or blocked the bot: say it in the group, addressed to them.
                    log.info(
                        "Telegram: direct message to %s refused (%s); answering in the group", user.user_id, e
                    )
                    return await self._deliver(
                        reply.chat, reply, mention=mention_html(user), member=member, droppable=droppable
                    )
            return await self._deliver(reply.chat, reply, member=member, droppable=droppable)
        except Dropped:
            return None  # logged by the pacer
        except TelegramError as e:
            log.error("Telegram: reply to %s not delivered: %s", reply.chat.chat_id, e)
            return None

    async def _deliver(
        self,
        chat: Chat,
        reply: Reply,
        *,
        direct: bool = False,
        mention: str = "",
        member: str = BOT,
        droppable: bool = False,
    ) -> SentMessage | None:
        chat_id = chat.chat_id
        room = TEXT_LIMIT - (len(mention) + 1 if mention else 0)
        parts = [p.to_html() for p in split_for_limit(reply.rich, room, render="html")]
        parts = [p for p in parts if p.strip()]
        if mention:
            parts = [f"{mention} {parts[0]}", *parts[1:]] if parts else [mention]
        markup = keyboard(reply)
        att = reply.attachment
        # Replying to a message id only makes sense in the chat it came from.
        reply_to = None if direct or reply.reply_to_id is None else reply.reply_to_id
        sent: TgMessage | None = None
        async with self.pacer.turn(chat_id, member, droppable=droppable):  # every part in one turn: in order
            if att is not None and len(parts) <= 1 and (not parts or len(parts[0]) <= CAPTION_LIMIT):
                sent = await self._send_file(
                    chat_id, att, caption=parts[0] if parts else None, markup=markup, reply_to=reply_to
                )
            else:
                for i, text in enumerate(parts):
                    last = i == len(parts) - 1
                    sent = await self._send_text(
                        chat_id,
                        text,
                        markup=markup if last and att is None else None,
                        reply_to=reply_to if i == 0 else None,
                    )
                if att is not None:
                    sent = await self._send_file(chat_id, att, caption=None, markup=markup, reply_to=None)
        if sent is None:
            return None
        return SentMessage(chat=chat, message_id=str(sent.message_id), direct=direct)

    async def _send_text(
        self, chat_id: str, text: str, *, markup: InlineKeyboardMarkup | None, reply_to: str | None
    ) -> TgMessage:
        bot = self.ptb.bot
        return await self.pacer.call(
            chat_id,
            lambda: bot.send_message(
                chat_id=_chat_id(chat_id),
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                reply_parameters=_reply_parameters(reply_to),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
        )

    async def _send_file(
        self,
        chat_id: str,
        att: Attachment,
        *,
        caption: str | None,
        markup: InlineKeyboardMarkup | None,
        reply_to: str | None,
    ) -> TgMessage:
        bot = self.ptb.bot
        name = re.sub(r"[^\w.\-]", "_", att.filename)[:64] or "file"

        def request() -> Awaitable[TgMessage]:
            # A fresh InputFile per attempt: a retried upload must send the bytes again.
            kwargs: dict[str, Any] = dict(
                chat_id=_chat_id(chat_id),
                caption=caption,
                reply_markup=markup,
                parse_mode=ParseMode.HTML if caption else None,
                reply_parameters=_reply_parameters(reply_to),
            )
            if att.is_image:
                return bot.send_photo(photo=InputFile(att.data, filename=name), **kwargs)
            return bot.send_document(document=InputFile(att.data, filename=name), **kwargs)

        return await self.pacer.call(chat_id, request)

    async def _edit(self, reply: Reply, *, member: str = BOT) -> SentMessage | None:
        chat_id = reply.chat.chat_id
        try:
            message_id = int(reply.edit_message_id or "")
        except ValueError:
            log.warning("Telegram: cannot edit message %r (not a Telegram message id)", reply.edit_message_id)
            return None
        text = split_for_limit(reply.rich, TEXT_LIMIT, render="html")[0].to_html() or "…"
        bot = self.ptb.bot
        async with self.pacer.turn(chat_id, member):
            try:
                await self.pacer.call(
                    chat_id,
                    lambda: bot.edit_message_text(
                        chat_id=_chat_id(chat_id),
                        message_id=message_id,
                        text=text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=keyboard(reply),
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    ),
                )
            except BadRequest as e:
                if "not modified" not in str(e).lower():
                    raise
        return SentMessage(chat=reply.chat, message_id=str(message_id), direct=reply.chat.kind == "private")


# ---- helpers ------------------------------------------------------------------------------------------------
def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """bot.types Buttons -> an inline keyboard whose callback_data is the button payload (<= 64 bytes)."""
    if not reply.buttons:
        return None
    rows = [
        [InlineKeyboardButton(b.label[:64] or "·", callback_data=b.payload) for b in row]
        for row in reply.buttons
    ]
    return InlineKeyboardMarkup([r for r in rows if r])


def mention_html(user: ChatUser) -> str:
    """A mention that notifies the user even without a @username (escaped: display names are untrusted)."""
    name = html.escape((user.display_name or user.username or "there")[:64], quote=False)
    if user.user_id.isdigit():
        return f'<a href="tg://user?id={user.user_id}">{name}</a>'
    return name


def _reply_parameters(reply_to: str | None) -> ReplyParameters | None:
    if reply_to is None or not reply_to.isdigit():
        return None
    return ReplyParameters(message_id=int(reply_to), allow_sending_without_reply=True)


def _chat_id(chat_id: str) -> int | str:
    try:
        return int(chat_id)
    except ValueError:
        return chat_id  # "@channelname"
