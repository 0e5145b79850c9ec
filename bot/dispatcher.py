"""Command registry, middleware (rate limit, permissions) and routing of inbound events.

Commands register with their help text, usage, arguments and required role; `/help` is generated from these
registrations, and the Discord adapter builds its slash commands from the same specs, so command names are the
same on every platform.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlmodel import Session

from bot.errors import UsageError, UserError
from bot.text import RichText, T, bold, code, sanitize
from bot.types import Attachment, Button, ButtonPress, Chat, ChatUser, Message, Reply, SentMessage
from storage.crud import core as crud
from storage.crud.core import ROLE_RANK
from storage.db import session_scope

if TYPE_CHECKING:
    from bot.adapter import Adapter
    from bot.app import CohortApp

log = logging.getLogger(__name__)

Role = Literal["member", "admin", "owner"]
HandlerResult = Reply | RichText | str | list[Reply] | None
CommandHandler = Callable[["Context"], Awaitable[HandlerResult]]
ButtonHandler = Callable[["Context", str], Awaitable[HandlerResult]]
MessageListener = Callable[["Context", Any], Awaitable[None] | None]

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s+(.*))?$", re.S)
MAX_COMMAND_TEXT = 10_000
# The order of sections in /help; other categories follow in registration order.
CATEGORY_ORDER = ("General", "Courses", "Community", "Study buddies", "Events", "Privacy", "Account", "Admin")


@dataclass(frozen=True)
class ArgSpec:
    """One argument of a command (also a Discord slash-command option)."""

    name: str
    description: str
    kind: Literal["str", "int", "text"] = "str"  # text: the rest of the line
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: CommandHandler
    help: str
    usage: str
    role: Role = "member"
    args: tuple[ArgSpec, ...] = ()
    category: str = "General"
    rate_limited: bool = True

    @property
    def owner_only(self) -> bool:
        return ROLE_RANK[self.role] > 0


@dataclass
class Context:
    """What a handler sees: who, where, the arguments, and ways to answer."""

    app: CohortApp
    adapter: Adapter
    chat: Chat
    user: ChatUser
    group_id: int
    member_id: int
    role: str
    event: Message | ButtonPress
    command: str = ""
    arg_text: str = ""
    spec: CommandSpec | None = None

    @property
    def args(self) -> list[str]:
        return self.arg_text.split()

    @property
    def clock(self):  # type: ignore[no-untyped-def]
        return self.app.clock

    @property
    def is_admin(self) -> bool:
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK["admin"]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.app.engine) as s:
            yield s

    def reply(
        self,
        text: RichText | str,
        *,
        buttons: list[list[Button]] | tuple[tuple[Button, ...], ...] = (),
        attachment: Attachment | None = None,
        direct: bool = False,
        edit_message_id: str | None = None,
    ) -> Reply:
        return Reply(
            chat=self.chat,
            text=text,
            buttons=tuple(tuple(row) for row in buttons),
            attachment=attachment,
            reply_to_id=self.event.id if isinstance(self.event, Message) else None,
            direct_to=self.user if direct else None,
            edit_message_id=edit_message_id,
            reply_channel_id=self.event.reply_channel_id,
        )

    async def send(self, reply: Reply) -> SentMessage | None:
        return await self.adapter.send(reply)

    def usage_error(self, detail: str = "") -> UsageError:
        return UsageError(detail)


class RateLimiter:
    """Per-member command budget (a moving window from `limits`); the member is told once when over it."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._item = RateLimitItemPerMinute(max(1, per_minute))
        self._window = MovingWindowRateLimiter(MemoryStorage())
        self._warned: set[tuple[str, str, str]] = set()

    def check(self, chat: Chat, user: ChatUser) -> Literal["ok", "warn", "drop"]:
        if self.per_minute <= 0:
            return "ok"
        key = (chat.platform, chat.chat_id, user.user_id)
        if self._window.hit(self._item, *key):
            self._warned.discard(key)
            return "ok"
        if key in self._warned:
            return "drop"
        if len(self._warned) > 10_000:
            self._warned.clear()
        self._warned.add(key)
        return "warn"


class Dispatcher:
    def __init__(self, *, rate_limit_per_minute: int = 20) -> None:
        self.commands: dict[str, CommandSpec] = {}
        self.aliases: dict[str, str] = {}
        self.buttons: dict[str, ButtonHandler] = {}
        self.message_listeners: list[MessageListener] = []
        self.limiter = RateLimiter(rate_limit_per_minute)

    # ---- registration -------------------------------------------------------------------------------------
    def command(
        self,
        name: str,
        *,
        help: str,
        usage: str | None = None,
        role: Role = "member",
        args: tuple[ArgSpec, ...] = (),
        category: str = "General",
        aliases: tuple[str, ...] = (),
        rate_limited: bool = True,
    ) -> Callable[[CommandHandler], CommandHandler]:
        def decorator(fn: CommandHandler) -> CommandHandler:
            if name in self.commands:
                raise ValueError(f"command /{name} registered twice")
            self.commands[name] = CommandSpec(
                name=name,
                handler=fn,
                help=help,
                usage=usage or f"/{name}",
                role=role,
                args=args,
                category=category,
                rate_limited=rate_limited,
            )
            for alias in aliases:
                self.aliases[alias] = name
            return fn

        return decorator

    def button(self, namespace: str) -> Callable[[ButtonHandler], ButtonHandler]:
        """Register a handler for button payloads 'namespace:data'."""

        def decorator(fn: ButtonHandler) -> ButtonHandler:
            if namespace in self.buttons:
                raise ValueError(f"button namespace {namespace!r} registered twice")
            self.buttons[namespace] = fn
            return fn

        return decorator

    def on_message(self, fn: MessageListener) -> MessageListener:
        """Called for every stored new message (not commands), e.g. sentiment scoring, course mentions."""
        self.message_listeners.append(fn)
        return fn

    # ---- routing ------------------------------------------------------------------------------------------
    @staticmethod
    def parse_command(text: str) -> tuple[str, str] | None:
        m = _COMMAND.match(text.strip())
        if not m:
            return None
        return m.group(1).lower(), (m.group(2) or "").strip()

    def resolve(self, name: str) -> CommandSpec | None:
        return self.commands.get(self.aliases.get(name, name))

    async def run_command(self, ctx: Context, name: str, arg_text: str) -> list[Reply]:
        spec = self.resolve(name)
        if spec is None:
            return [ctx.reply(T("Unknown command /", name[:32], ". Type ", code("/help"), " to see what I can do."))]
        ctx.command, ctx.arg_text, ctx.spec = spec.name, sanitize(arg_text, limit=MAX_COMMAND_TEXT), spec
        if spec.rate_limited:
            verdict = self.limiter.check(ctx.chat, ctx.user)
            if verdict == "warn":
                return [ctx.reply("You're sending commands faster than I can answer. Please wait a minute.")]
            if verdict == "drop":
                return []
        if ROLE_RANK.get(ctx.role, 0) < ROLE_RANK[spec.role]:
            return [ctx.reply(T("Sorry, ", code(f"/{spec.name}"), " is for group owners and admins."))]
        return await self._call(ctx, spec.handler(ctx), spec)

    async def run_button(self, ctx: Context, payload: str) -> list[Reply]:
        namespace, _, data = payload.partition(":")
        handler = self.buttons.get(namespace)
        if handler is None:
            return [ctx.reply("That button has expired. Try the command again.")]
        return await self._call(ctx, handler(ctx, data), None)

    async def _call(self, ctx: Context, awaitable: Awaitable[HandlerResult], spec: CommandSpec | None) -> list[Reply]:
        try:
            result = await awaitable
        except UsageError as e:
            usage = spec.usage if spec else ""
            lines: list[RichText | str] = []
            if e.detail:
                lines.append(e.detail)
            lines.append(T("Usage: ", code(usage)))
            return [ctx.reply(RichText.join(lines))]
        except UserError as e:
            return [ctx.reply(str(e))]
        return normalise(ctx, result)

    async def notify_listeners(self, ctx: Context, row: Any) -> None:
        for fn in self.message_listeners:
            try:
                out = fn(ctx, row)
                if inspect.isawaitable(out):
                    await out
            except Exception:  # a listener must never break the message path
                log.exception("message listener %s failed", getattr(fn, "__name__", fn))

    def help_text(self, *, role: str) -> RichText:
        by_cat: dict[str, list[CommandSpec]] = {}
        for spec in self.commands.values():
            by_cat.setdefault(spec.category, []).append(spec)
        lines: list[RichText | str] = [bold("Cohort — what I can do")]
        is_admin = ROLE_RANK.get(role, 0) >= ROLE_RANK["admin"]
        rank = {c: i for i, c in enumerate(CATEGORY_ORDER)}
        for cat, specs in sorted(by_cat.items(), key=lambda kv: rank.get(kv[0], len(rank))):
            visible = [s for s in specs if is_admin or not s.owner_only]
            if not visible:
                continue
            lines.append("")
            lines.append(bold(cat))
            for s in visible:
                tag = " (owners)" if s.owner_only else ""
                lines.append(T(code(s.usage), f" — {s.help}{tag}"))
        return RichText.join(lines)


def normalise(ctx: Context, result: HandlerResult) -> list[Reply]:
    if result is None:
        return []
    if isinstance(result, Reply):
        return [result]
    if isinstance(result, list):
        return result
    return [ctx.reply(result)]


def ensure_identity(s: Session, *, chat: Chat, user: ChatUser) -> tuple[int, int, str]:
    """(group_id, member_id, stored role) for a chat and user, created on first sight."""
    group = crud.get_or_create_group(s, platform=chat.platform, chat_id=chat.chat_id, title=chat.title)
    member = crud.get_or_create_member(
        s, platform=user.platform, user_id=user.user_id, display_name=user.display_name, username=user.username
    )
    assert group.id is not None and member.id is not None
    membership = crud.ensure_membership(s, group_id=group.id, member_id=member.id)
    return group.id, member.id, membership.role
