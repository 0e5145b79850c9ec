"""Command registry, middleware (rate limit, permissions) and routing of inbound events.

Commands register with their help text, usage, arguments and required role; `/help` is generated from these
registrations, and the Discord adapter builds its slash commands from the same specs, so command names are the
same on every platform.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Concatenate, Literal, ParamSpec, TypeVar

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlmodel import Session

from bot.text import RichText, T, bold, code, sanitize
from bot.types import Attachment, Button, ButtonPress, Chat, ChatUser, Message, Reply, SentMessage
from common.clock import Clock
from common.errors import UsageError, UserError
from storage.crud.core import ROLE_RANK

if TYPE_CHECKING:
    from bot.adapter import Adapter
    from bot.services import Services
    from storage.models import Group

log = logging.getLogger(__name__)

Role = Literal["member", "admin", "owner"]
HandlerResult = Reply | RichText | str | list[Reply] | None
CommandHandler = Callable[["Context"], Awaitable[HandlerResult]]
ButtonHandler = Callable[["Context", str], Awaitable[HandlerResult]]
SettingHandler = Callable[["Context", str], Awaitable[RichText | str]]
SettingShow = Callable[["Group"], str]
T_ = TypeVar("T_")
P = ParamSpec("P")

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

    @property
    def owner_only(self) -> bool:
        return ROLE_RANK[self.role] > 0


@dataclass(frozen=True)
class ButtonSpec:
    """Presses of buttons whose payload starts with `namespace:`; owner-only ones check the platform's admins."""

    namespace: str
    handler: ButtonHandler
    role: Role = "member"

    @property
    def owner_only(self) -> bool:
        return ROLE_RANK[self.role] > 0


@dataclass(frozen=True)
class SettingSpec:
    """One `/settings NAME VALUE` entry, registered by the feature that owns it."""

    name: str
    handler: SettingHandler
    help: str
    show: SettingShow | None = None


@dataclass
class Context:
    """What a handler sees: who, where, the arguments, and ways to answer."""

    services: Services
    dispatcher: Dispatcher
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
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def is_admin(self) -> bool:
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK["admin"]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for code already off the event loop; async handlers use `await ctx.db(fn, ...)`."""
        with self.services.store.session() as s:
            yield s

    async def db(self, fn: Callable[Concatenate[Session, P], T_], /, *args: P.args, **kwargs: P.kwargs) -> T_:
        """Run `fn(session, *args, **kwargs)` in a worker thread, in one transaction (never blocks the loop)."""
        return await self.services.store.run(fn, *args, **kwargs)

    async def call(self, fn: Callable[P, T_], /, *args: P.args, **kwargs: P.kwargs) -> T_:
        """Run a blocking function (a service method that opens its own sessions) in a worker thread."""
        return await self.services.store.call(fn, *args, **kwargs)

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
        self.buttons: dict[str, ButtonSpec] = {}
        self.settings: dict[str, SettingSpec] = {}
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
            )
            for alias in aliases:
                self.aliases[alias] = name
            return fn

        return decorator

    def button(self, namespace: str, *, role: Role = "member") -> Callable[[ButtonHandler], ButtonHandler]:
        """Register a handler for button payloads 'namespace:data'; role="admin" makes presses owner-only."""

        def decorator(fn: ButtonHandler) -> ButtonHandler:
            if namespace in self.buttons:
                raise ValueError(f"button namespace {namespace!r} registered twice")
            self.buttons[namespace] = ButtonSpec(namespace=namespace, handler=fn, role=role)
            return fn

        return decorator

    def button_spec(self, payload: str) -> ButtonSpec | None:
        return self.buttons.get(payload.partition(":")[0])

    def setting(
        self, name: str, handler: SettingHandler, help: str, *, show: SettingShow | None = None
    ) -> None:
        """Register `/settings NAME VALUE` (owners only: the /settings command itself is role="admin")."""
        if name in self.settings:
            raise ValueError(f"setting {name!r} registered twice")
        self.settings[name] = SettingSpec(name=name, handler=handler, help=help, show=show)

    # ---- routing ------------------------------------------------------------------------------------------
    @staticmethod
    def parse_command(text: str) -> tuple[str, str] | None:
        m = _COMMAND.match(text.strip())
        if not m:
            return None
        return m.group(1).lower(), (m.group(2) or "").strip()

    def resolve(self, name: str) -> CommandSpec | None:
        return self.commands.get(self.aliases.get(name, name))

    def over_budget(self, ctx: Context) -> list[Reply] | None:
        """Every command (known or not) and every button press counts against the member's budget.

        None when within it; else the one notice (first time over) or nothing (silence until the window frees).
        """
        verdict = self.limiter.check(ctx.chat, ctx.user)
        if verdict == "ok":
            return None
        if verdict == "warn":
            return [ctx.reply("You're sending commands faster than I can answer. Please wait a minute.")]
        return []

    async def run_command(self, ctx: Context, name: str, arg_text: str) -> list[Reply]:
        limited = self.over_budget(ctx)
        if limited is not None:
            return limited
        spec = self.resolve(name)
        if spec is None:
            return [
                ctx.reply(
                    T("Unknown command /", name[:32], ". Type ", code("/help"), " to see what I can do.")
                )
            ]
        ctx.command, ctx.arg_text, ctx.spec = spec.name, sanitize(arg_text, limit=MAX_COMMAND_TEXT), spec
        if ROLE_RANK.get(ctx.role, 0) < ROLE_RANK[spec.role]:
            return [ctx.reply(T("Sorry, ", code(f"/{spec.name}"), " is for group owners and admins."))]
        return await self._call(ctx, spec.handler(ctx), spec)

    async def run_button(self, ctx: Context, payload: str) -> list[Reply]:
        limited = self.over_budget(ctx)
        if limited is not None:
            return limited
        _, _, data = payload.partition(":")
        spec = self.button_spec(payload)
        if spec is None:
            return [ctx.reply("That button has expired. Try the command again.")]
        if ROLE_RANK.get(ctx.role, 0) < ROLE_RANK[spec.role]:
            return [ctx.reply("Sorry, that button is for group owners and admins.")]
        return await self._call(ctx, spec.handler(ctx, data), None)

    async def _call(
        self, ctx: Context, awaitable: Awaitable[HandlerResult], spec: CommandSpec | None
    ) -> list[Reply]:
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
