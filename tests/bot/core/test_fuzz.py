"""Property-based fuzzing of every registered command and every button namespace (hypothesis).

Commands and namespaces are read from the dispatcher's registrations, so a new command or button is fuzzed without
touching this file. Each example sends one command (or presses one button) as a member or as an owner, with
argument text built from odd pieces: other scripts' digits, huge numbers and 40-digit ids, control and invisible
characters, Unicode spaces, emoji, CJK, markup look-alikes, `|` separators, dates and rules, very long strings.
For every call: no exception escapes, every reply has text and splits into parts within Telegram's (4096) and
Discord's (2000) limits, no reply shows a Python escape of the input, and the call takes under a second.

"Under a second" is measured in CPU seconds of this process (every thread: the event loop and the store's
workers), which is what a runaway expansion or parse burns, and does not flake when other work shares the machine;
a call must also finish within `MAX_WALL` seconds of wall time (nothing blocks). One app serves the whole module
(a catalogue, a seeded community, an owner and an event), so state from earlier examples is part of the fuzz.
"""

from __future__ import annotations

import asyncio
import gc
import re
import shutil
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import CohortApp
from bot.commands import register_all
from bot.config import Settings
from bot.dispatcher import Dispatcher, RateLimiter
from bot.testing import TestBot
from bot.text import split_for_limit
from bot.types import Reply
from common.clock import FakeClock
from community.demo import load_sample_catalog, seed_community
from community.signals.chart import warm_up as warm_up_chart
from storage import db
from tests.helpers import make_owner

LIMITS = {"html": 4096, "markdown": 2000}  # Telegram (HTML parse mode), Discord (markdown)
MAX_SECONDS = 1.0  # CPU seconds a call may take
MAX_WALL = 10.0  # wall-clock seconds: only what blocks or hangs comes near
EXAMPLES = 40
MEMBER, OWNER = "alice", "olga"

PIECES = [
    # other scripts' digits and number look-alikes
    "²",
    "٣",
    "３",
    "१२",
    "߁",
    "𝟙",
    "①",
    "Ⅻ",
    "¹²³",
    "1²",
    "３月",
    "十三",
    "٣٫٥",
    # big, signed, padded, odd numbers
    "0",
    "-1",
    "+5",
    "00000003",
    "9" * 19,
    "9" * 40,
    str(2**63),
    str(2**64 + 1),
    "1e9",
    "0x10",
    "3.5",
    "1_000",
    "#3",
    "#" + "9" * 40,
    "#",
    "#²",
    # control, invisible and bidi characters; spaces of every kind
    "\x00",
    "\x07",
    "\x1b[2J",
    "\x85",
    "\u202e",
    "\u2066",
    "\u2060",
    "\ufeff",
    "\u200b",
    "\u200d",
    "\u00ad",
    "\ue000",
    "\U000e0001",
    "\u0378",
    "\u00a0",
    "\u3000",
    "\u2003",
    "\t",
    "\n",
    "\r\n",
    "\u2028",
    # emoji, CJK, other scripts
    "😀",
    "👨‍👩‍👧",
    "🇺🇳",
    "👍🏽",
    "数据",
    "Python 编程入门",
    "十三月一日",
    "13月1日",
    "Ελληνικά",
    "עברית",
    "ملاحظة",
    # markup look-alikes
    "<b>x</b>",
    "</code>",
    "&amp;",
    "*bold*",
    "**",
    "_x_",
    "`code`",
    "```",
    "[x](http://e.vil)",
    "@everyone",
    "<@123>",
    "<#1>",
    "||spoiler||",
    "\\",
    "'",
    '"',
    "%",
    "_",
    "%_%",
    # separators and payload-like text
    "|",
    "||",
    "|||",
    " | ",
    ":",
    "::",
    "~",
    ":~AAAAAAAA",
    "rec:i:3",
    # words the commands know
    "add",
    "edit",
    "cancel",
    "ics",
    "when",
    "title",
    "cap",
    "course",
    "remind",
    "join",
    "leave",
    "pause",
    "status",
    "me",
    "round",
    "rounds",
    "weekly",
    "daily",
    "mon",
    "10:00",
    "off",
    "on",
    "week",
    "month",
    "all",
    "timezone",
    "retention",
    "reminders",
    "forever",
    "30d",
    "UTC",
    "UTC-13",
    "UTC+14",
    "Etc/GMT+13",
    "Factory",
    "posixrules",
    "right/UTC",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Berlin",
    "python",
    "design",
    # times and rules
    "tomorrow 8pm",
    "tomorrow 25pm",
    "in 90 seconds",
    "2026-11-28 20:00 UTC",
    "20:00Z",
    "+14:00",
    "+0500",
    "EST",
    "90m",
    "0m",
    "999999m",
    "1h,15m",
    "remind 1m",
    "cap 2",
    "cap 999999999",
    "cap ²",
    "course ²",
    "RRULE:FREQ=DAILY;INTERVAL=0",
    "RRULE:FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12",
    "RRULE:FREQ=DAILY;BYWEEKNO=60",
    "RRULE:FREQ=MINUTELY",
    "every day",
    "FREQ=WEEKLY;COUNT=99999",
    # very long
    "x" * 5000,
    "数" * 3000,
    "a " * 2000,
    "9" * 5000,
    "|" * 500,
]
SEPARATORS = [" ", " ", " ", " | ", "|", "\u00a0", "\u3000", "\n", ""]


def arguments() -> st.SearchStrategy[str]:
    piece = st.one_of(
        st.sampled_from(PIECES),
        st.integers(min_value=-(10**45), max_value=10**45).map(str),
        st.text(max_size=12),
    )
    return st.lists(st.tuples(piece, st.sampled_from(SEPARATORS)), max_size=7).map(
        lambda parts: "".join(p + sep for p, sep in parts).strip(" ")
    )


ODD_FIELDS = [
    "²",
    "٣",
    "３",
    "9" * 40,
    str(2**63),
    "-1",
    "0",
    "",
    "x",
    "\u2060",
    "1.5",
    "+1",
    "00000003",
    "#3",
    "😀",
]


def button_data(templates: list[str]) -> st.SearchStrategy[str]:
    """The data part of a payload: a real one the bot sent (or a generic shape) with one field made odd, or noise."""
    odd = st.one_of(st.sampled_from(ODD_FIELDS), st.sampled_from(PIECES[:60]), st.text(max_size=8))

    def mutate(template: str) -> st.SearchStrategy[str]:
        fields = template.split(":")
        return st.tuples(st.integers(0, len(fields)), odd).map(
            lambda at: ":".join(fields[: at[0]] + [at[1]] + fields[at[0] + 1 :])
        )

    noise = st.lists(
        st.one_of(odd, st.sampled_from(["i", "n", "g", "m", "yes", "no", "ok", "1", "3"])), max_size=4
    )
    return st.one_of(st.sampled_from(templates).flatmap(mutate), noise.map(":".join))


def templates_for(namespace: str, sent: list[Reply]) -> list[str]:
    """Data parts of the namespace's payloads the bot really sent (tags removed), plus generic shapes."""
    seen = {
        b.payload.split(":~")[0].partition(":")[2]
        for r in sent
        for b in r.flat_buttons
        if b.payload.startswith(namespace + ":")
    }
    shapes = {f"{n}:{w}" for n in ("1", "3") for w in ("m", "g", "n")} | {
        f"{w}:{n}" for n in ("1", "3") for w in ("i", "n", "ok", "yes", "no")
    }
    return sorted(seen) + sorted(shapes)


def registrations() -> Dispatcher:
    """The registered commands and buttons, read without a store (services are not used at registration)."""
    d = Dispatcher()
    register_all(d, MagicMock())
    return d


REGISTERED = registrations()
COMMANDS = sorted(REGISTERED.commands)
NAMESPACES = sorted(REGISTERED.buttons)
_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{)")


@pytest.fixture(scope="module")
def fuzz_bot(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[TestBot, asyncio.AbstractEventLoop]]:
    """One bot for the module: a catalogue, a community, an owner, an event, no rate limit; a loop to drive it."""
    tmp = tmp_path_factory.mktemp("fuzz")
    shutil.copy(sqlite_template, tmp / "cohort.db")
    engine = db.make_engine(f"sqlite:///{tmp / 'cohort.db'}")
    settings = Settings.from_env(
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'cohort.db'}",
        model_dir=tmp / "models",
        embedding_model="hashing",
    )
    app = CohortApp(settings, engine=engine, clock=FakeClock(), migrate=False)
    with db.session_scope(engine) as s:
        load_sample_catalog(s)
        seed_community(s, platform="test", chat_id="g1", now=app.clock.now())
    app.dispatcher.limiter = RateLimiter(0)
    warm_up_chart()  # a process's first chart loads matplotlib and the fonts once (~1 s); later calls are timed
    bot = TestBot(app)
    make_owner(bot, OWNER)
    loop = asyncio.new_event_loop()
    try:
        draft = loop.run_until_complete(bot.say(OWNER, "/event add Study hall | tomorrow 8pm"))
        loop.run_until_complete(bot.press(OWNER, draft[-1].flat_buttons[0].payload))
        # Real buttons of every kind for the payload fuzz to start from (picks, paging, a /forget confirmation).
        for who, text in ((MEMBER, "/recommend 3"), (MEMBER, "/courses a"), (MEMBER, "/forget")):
            loop.run_until_complete(bot.say(who, text))
        loop.run_until_complete(bot.say(OWNER, "/event add Draft | tomorrow 9pm"))
        yield bot, loop
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        engine.dispose()


def check(replies: list[Reply], sent: str, seconds: tuple[float, float]) -> None:
    cpu, wall = seconds
    assert cpu < MAX_SECONDS and wall < MAX_WALL, f"took {cpu:.2f} CPU seconds, {wall:.2f} s in all"
    for reply in replies:
        plain = reply.rich.to_plain()
        assert plain.strip(), "a reply without text"
        for render, limit in LIMITS.items():
            parts = split_for_limit(reply.rich, limit, render=render)
            rendered = [getattr(p, f"to_{render}")() for p in parts]
            assert all(len(r) <= limit for r in rendered), f"a part over {limit} ({render})"
        escapes = {m.group(0) for m in _ESCAPE.finditer(plain)} - {m.group(0) for m in _ESCAPE.finditer(sent)}
        assert not escapes, f"Python escapes {escapes} in {plain[:300]!r}"
        for token in re.split(r"[ |:]+", sent):
            quoted = repr(token)
            if token and quoted[1:-1] != token:  # repr would escape something: it must not be echoed so
                assert quoted not in plain and quoted[1:-1] not in plain, (
                    f"repr of {token!r} in {plain[:300]!r}"
                )


def run(
    loop: asyncio.AbstractEventLoop, call: Coroutine[Any, Any, list[Reply]]
) -> tuple[list[Reply], tuple[float, float]]:
    # A full collection of the test process's heap (hypothesis, torch, earlier examples) is not the command's
    # cost: the collector waits until the call is timed.
    gc.disable()
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        replies = loop.run_until_complete(call)
        return replies, (time.process_time() - cpu, time.perf_counter() - wall)
    finally:
        gc.enable()


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # wall-clock deadlines flake on a shared machine: `check` bounds CPU and wall time itself
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def test_the_fuzzed_lists_are_the_registrations(app: CohortApp) -> None:
    assert sorted(app.dispatcher.commands) == COMMANDS
    assert sorted(app.dispatcher.buttons) == NAMESPACES


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_survives_odd_arguments(
    name: str, fuzz_bot: tuple[TestBot, asyncio.AbstractEventLoop]
) -> None:
    bot, loop = fuzz_bot
    for who in (MEMBER, OWNER):  # once plainly first: one-time loading is not what this times
        loop.run_until_complete(bot.say(who, f"/{name}"))

    @FUZZ
    @given(
        args=arguments(),
        sep=st.sampled_from([" ", "\u00a0", "\u3000", "\n", "  "]),
        who=st.sampled_from([MEMBER, OWNER]),
    )
    def fuzz(args: str, sep: str, who: str) -> None:
        text = f"/{name}{sep}{args}" if args else f"/{name}"
        replies, seconds = run(loop, bot.say(who, text))
        check(replies, text, seconds)

    fuzz()


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_button_namespace_survives_odd_payloads(
    namespace: str, fuzz_bot: tuple[TestBot, asyncio.AbstractEventLoop]
) -> None:
    bot, loop = fuzz_bot
    templates = templates_for(namespace, bot.adapter.sent)

    @FUZZ
    @given(data=button_data(templates), who=st.sampled_from([MEMBER, OWNER]), bound=st.booleans())
    def fuzz(data: str, who: str, bound: bool) -> None:
        payload = f"{namespace}:{data}"
        # Bound: as the bot would have shown it to the presser, so the handler itself reads the data.
        replies, seconds = run(loop, bot.press(who, payload, raw=not bound))
        check(replies, payload, seconds)

    fuzz()
