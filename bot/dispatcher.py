"""Command registry, middleware (rate limit, permissions) and routing of inbound events.

Commands register with their help text, usage, arguments and required role; `/help` is generated from these
registrations, and the Discord adapter builds its slash commands from the same specs, so command names are the
same on every platform. Button namespaces register with their audience: personal ones (the default) are bound to
the member they were shown to and refused to anyone else (`bot/buttons.py`).

Argument text is cleaned in one place, `command_args`: every Unicode space separator becomes an ASCII space and
invisible format characters are dropped, so handlers split on " " safely. Error replies never carry a Python
escape sequence (`\\u2060`), whatever a handler put in them.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Concatenate, Literal, ParamSpec, TypeVar

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlmodel import Session

from bot.buttons import ButtonKey, namespace_of
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
# The messages sent while one inbound event is handled, including those a handler sends itself with `ctx.send`
# (e.g. /link's code, sent privately before the handler returns): `CohortApp.handle` sets it and returns them all.
SENT_NOW: ContextVar[list[SentMessage] | None] = ContextVar("cohort_sent_now", default=None)
# "reader": only the member a message was shown to may press its buttons; "anyone" in the chat may.
Audience = Literal["reader", "anyone"]
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
NOT_YOURS = "That button is for someone else."
EXPIRED = "That button has expired. Try the command again."
# What repr() leaves in text: a backslash escape. An error reply shows the replacement character instead.
_PY_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}\s]{1,80}\})")
# Invisible format characters that carry no meaning in a command's arguments (word joiner, BOM, ...).
_INVISIBLE = re.compile(r"[\u00ad\u180e\u2060-\u2064\ufeff]")


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
    """Presses of buttons whose payload starts with `namespace:`; owner-only ones check the platform's admins.

    `audience="reader"` buttons are bound to the member they were shown to; `not_yours` is what anyone else
    pressing one is told. `needs_member` presses are answered only for a presser who is a member of the group
    already: they never create a member, account or membership (a stale button pressed after /forget expires).
    """

    namespace: str
    handler: ButtonHandler
    role: Role = "member"
    audience: Audience = "reader"
    not_yours: str = NOT_YOURS
    needs_member: bool = True
    expired: str = EXPIRED

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
        """Send now (not as the handler's result); personal buttons are bound to the reader like any reply's.

        What is sent counts as part of the answer to the event (`SENT_NOW`, reported by `CohortApp.handle`)."""
        out = await self.adapter.send(self.dispatcher.bind(reply, reader=reply.direct_to or self.user))
        bucket = SENT_NOW.get()
        if out is not None and bucket is not None:
            bucket.append(out)
        return out

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
    def __init__(self, *, rate_limit_per_minute: int = 20, button_key: ButtonKey | None = None) -> None:
        self.commands: dict[str, CommandSpec] = {}
        self.aliases: dict[str, str] = {}
        self.buttons: dict[str, ButtonSpec] = {}
        self.settings: dict[str, SettingSpec] = {}
        self.limiter = RateLimiter(rate_limit_per_minute)
        self.button_key = button_key or ButtonKey()

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

    def button(
        self,
        namespace: str,
        *,
        role: Role = "member",
        audience: Audience = "reader",
        not_yours: str = NOT_YOURS,
        needs_member: bool | None = None,
        expired: str = EXPIRED,
    ) -> Callable[[ButtonHandler], ButtonHandler]:
        """Register a handler for button payloads 'namespace:data'; role="admin" makes presses owner-only.

        By default a button is personal (`audience="reader"`): only the member the message was shown to (the one
        it answers, or the one it was sent to directly) may press it; its payload then has at most
        `bot.buttons.MAX_PERSONAL_PAYLOAD` bytes. `audience="anyone"` opens it to the whole chat (RSVP, paging).

        `needs_member` (default: personal buttons do, open ones don't): a press counts only from someone who is
        a member of the group already; nobody is created by it (open buttons greet newcomers, e.g. an RSVP).
        `expired` is what a stale press (an old tag, or a presser who is no member) is told.
        """
        if not namespace or namespace_of(namespace) != namespace:
            raise ValueError(f"button namespace {namespace!r} may not contain ':' or '~'")

        def decorator(fn: ButtonHandler) -> ButtonHandler:
            if namespace in self.buttons:
                raise ValueError(f"button namespace {namespace!r} registered twice")
            self.buttons[namespace] = ButtonSpec(
                namespace=namespace,
                handler=fn,
                role=role,
                audience=audience,
                not_yours=not_yours,
                needs_member=audience == "reader" if needs_member is None else needs_member,
                expired=expired,
            )
            return fn

        return decorator

    def button_spec(self, payload: str) -> ButtonSpec | None:
        return self.buttons.get(namespace_of(payload))

    def bind(self, reply: Reply, *, reader: ChatUser | None) -> Reply:
        """The reply with its personal buttons bound to `reader` (open buttons and unknown payloads unchanged)."""
        if not reply.buttons:
            return reply
        changed = False
        rows: list[tuple[Button, ...]] = []
        for row in reply.buttons:
            out: list[Button] = []
            for b in row:
                spec = self.button_spec(b.payload)
                if spec is not None and spec.audience == "reader":
                    if reader is None:
                        log.error(
                            "personal button %s sent with no reader: nobody can press it", spec.namespace
                        )
                    else:
                        b = Button(b.label, self.button_key.bind(b.payload, reader))
                        changed = True
                out.append(b)
            rows.append(tuple(out))
        return replace(reply, buttons=tuple(rows)) if changed else reply

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
        m = _COMMAND.match(_INVISIBLE.sub("", text).strip())
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
        ctx.command, ctx.arg_text, ctx.spec = spec.name, command_args(arg_text), spec
        if ROLE_RANK.get(ctx.role, 0) < ROLE_RANK[spec.role]:
            return [ctx.reply(T("Sorry, ", code(f"/{spec.name}"), " is for group owners and admins."))]
        return await self._call(ctx, spec.handler(ctx), spec)

    async def run_button(self, ctx: Context, payload: str, *, member_known: bool = True) -> list[Reply]:
        """Answer a press. `member_known=False`: the presser is not a member of the group and nothing was created
        for them (`ctx` carries no member), so only refusals are answered."""
        limited = self.over_budget(ctx)
        if limited is not None:
            return limited
        spec = self.button_spec(payload)
        if spec is None:
            return [ctx.reply(EXPIRED)]
        if spec.audience == "reader":
            verdict, payload = self.button_key.check(payload, ctx.user)
            if verdict == "not_yours":  # told to the presser alone: the chat need not see it
                return [ctx.reply(spec.not_yours, direct=True)]
            if verdict != "ok":
                return [ctx.reply(spec.expired)]
        if ROLE_RANK.get(ctx.role, 0) < ROLE_RANK[spec.role]:
            return [ctx.reply("Sorry, that button is for group owners and admins.")]
        if not member_known:  # a stale button (its reader was forgotten): no identity is created by a press
            return [ctx.reply(spec.expired)]
        _, _, data = payload.partition(":")
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
                lines.append(no_escapes(e.detail))
            lines.append(T("Usage: ", code(usage)))
            return [ctx.reply(RichText.join(lines))]
        except UserError as e:
            return [ctx.reply(no_escapes(str(e)))]
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


def command_args(raw: str) -> str:
    """A command's argument text as handlers see it: sanitised, bounded, every space an ASCII space.

    Every Unicode space separator (no-break, ideographic, thin, ...) and tab becomes " ", line and paragraph
    separators become newlines, and invisible format characters (word joiner, BOM, soft hyphen) are dropped.
    """
    text = _INVISIBLE.sub("", sanitize(raw, limit=MAX_COMMAND_TEXT))
    return _LINE_SEPARATORS.sub("\n", _SPACES.sub(" ", text))


def _chars_of(*categories: str) -> str:
    return "".join(
        re.escape(chr(c)) for c in range(0x21, 0x10000) if unicodedata.category(chr(c)) in categories
    )


_SPACES = re.compile(f"[\t\v\f{_chars_of('Zs')}]")
_LINE_SEPARATORS = re.compile(f"[{_chars_of('Zl', 'Zp')}]")


def no_escapes(text: str) -> str:
    """Text with any Python escape sequence (what repr() makes of odd characters) shown as U+FFFD instead."""
    return _PY_ESCAPE.sub("\N{REPLACEMENT CHARACTER}", text)


def normalise(ctx: Context, result: HandlerResult) -> list[Reply]:
    """A handler's result as replies, with personal buttons bound to their reader."""
    if result is None:
        return []
    if isinstance(result, Reply):
        replies = [result]
    elif isinstance(result, list):
        replies = result
    else:
        replies = [ctx.reply(result)]
    return [ctx.dispatcher.bind(r, reader=r.direct_to or ctx.user) for r in replies]
