"""Keeping within Telegram's limits, fairly: whose turn it is to send in a chat, the pace, and retries after a 429.

Telegram allows about one message a second in a chat (short bursts pass), about 20 a minute in one group and 30 a
second overall; past that it answers 429 with `retry_after`. We pace ourselves with leaky buckets so a burst waits
in line instead of failing, and still honour a 429 (another process on the same token, or stricter limits) by
waiting exactly as long as asked. Server errors (5xx) are retried with exponential backoff. Timeouts are NOT
retried: Telegram may have delivered the message already, and a duplicate is worse than a logged failure.

Fairness. At 20 messages a minute a group's outbound pace is scarce, and one member who floods commands could fill
it. So each chat has a `FairQueue` of senders waiting for their turn, one FIFO per member (the member whose command
or button press the reply answers; the bot's own messages share one more), served round robin: a member's replies
keep their order, and another member's reply waits for at most one message of each other waiting member, never
behind a flooder's backlog. A turn is handed out only when the chat's pace has room, so the choice of who sends
next is made at the moment a message can go. The holder of a turn sends all the parts of one reply (split long
texts, a file after its text) before the next turn: parts are never interleaved. Each member's line is capped:
past `max_queued_per_member`, the oldest reply that merely answers that member is dropped (and logged); messages
the bot starts itself and edits are never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Generic, TypeVar

from aiolimiter import AsyncLimiter
from telegram.error import NetworkError, RetryAfter, TimedOut
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

log = logging.getLogger(__name__)

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

MAX_RETRY_AFTER = 300.0  # never park a reply longer than this; beyond it, give up and log
BOT = ""  # the fairness key of messages the bot starts itself (reminders, rounds): no member asked for them


def retry_after_seconds(err: RetryAfter) -> float:
    """The wait a 429 asks for, in seconds (PTB 22 warns on the int/timedelta migration: read it quietly)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = err.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(0.0, seconds)


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, RetryAfter):
        return retry_after_seconds(exc) <= MAX_RETRY_AFTER
    # NetworkError covers 5xx answers and refused connections; TimedOut (a subclass) may mean "sent".
    return isinstance(exc, NetworkError) and not isinstance(exc, TimedOut)


class _Wait:
    """Wait what a 429 says, else exponential backoff for server errors."""

    def __init__(self, base: float, cap: float) -> None:
        self.base, self.cap = base, cap

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryAfter):
            return retry_after_seconds(exc)
        return float(min(self.cap, self.base * 2 ** (state.attempt_number - 1)))


class Dropped(Exception):
    """A queued reply was dropped: its member had too many replies waiting in the chat."""


class LeakyBucket:
    """`rate` messages per `period` seconds, bursts of up to `rate`; unlike aiolimiter's it can tell how long until
    there is room for one more without taking it (so a turn is handed out only when a message can go)."""

    def __init__(self, rate: float, period: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or period <= 0:
            raise ValueError("a pace needs a positive rate and period")
        self.capacity = max(1.0, float(rate))
        self.per_second = rate / period
        self.clock = clock
        self.level = 0.0
        self.last = clock()

    def _leak(self) -> None:
        now = self.clock()
        self.level = max(0.0, self.level - (now - self.last) * self.per_second)
        self.last = now

    def delay(self) -> float:
        """Seconds until one more message fits (0.0: now)."""
        self._leak()
        over = self.level + 1 - self.capacity
        return over / self.per_second if over > 1e-9 else 0.0

    def take(self) -> None:
        self._leak()
        self.level += 1


@dataclass
class _Entry(Generic[T]):
    item: T
    droppable: bool


class FairQueue(Generic[K, T]):
    """FIFO within a key, round robin across keys; at most `max_per_key` waiting per key.

    `push` returns what it had to drop to stay within the cap: the oldest droppable entries of that key (possibly
    the one just pushed); entries pushed with `droppable=False` are never dropped, so a key holding only those may
    exceed the cap. A key that empties leaves the rotation; when it comes back it joins at the end.
    """

    def __init__(self, max_per_key: int | None = None) -> None:
        if max_per_key is not None and max_per_key < 1:
            raise ValueError("max_per_key must be at least 1")
        self.max_per_key = max_per_key
        self._queues: OrderedDict[K, deque[_Entry[T]]] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def keys(self) -> list[K]:
        """The keys in the order they will be served."""
        return list(self._queues)

    def pending(self, key: K) -> int:
        return len(self._queues.get(key, ()))

    def push(self, key: K, item: T, *, droppable: bool = False) -> list[T]:
        line = self._queues.get(key)
        if line is None:
            line = self._queues[key] = deque()
        line.append(_Entry(item, droppable))
        self._size += 1
        dropped: list[T] = []
        if self.max_per_key is not None:
            while len(line) > self.max_per_key:
                oldest = next((e for e in line if e.droppable), None)
                if oldest is None:
                    break  # only entries that must not be dropped: keep them all
                line.remove(oldest)
                self._size -= 1
                dropped.append(oldest.item)
        return dropped

    def pop(self) -> tuple[K, T]:
        """The next entry: the head of the first key's line; that key then goes to the back of the rotation."""
        if not self._queues:
            raise IndexError("pop from an empty FairQueue")
        key, line = next(iter(self._queues.items()))
        entry = line.popleft()
        self._size -= 1
        if line:
            self._queues.move_to_end(key)
        else:
            del self._queues[key]
        return key, entry.item

    def discard(self, key: K, item: T) -> bool:
        """Take `item` out of `key`'s line (a waiter that gave up); False when it was not there."""
        line = self._queues.get(key)
        if line is None:
            return False
        for entry in line:
            if entry.item is item:
                line.remove(entry)
                self._size -= 1
                if not line:
                    del self._queues[key]
                return True
        return False

    def __iter__(self) -> Iterator[tuple[K, T]]:
        """Every entry, key by key (for inspection; the serving order is `pop`'s)."""
        for key, line in self._queues.items():
            for entry in line:
                yield key, entry.item


@dataclass
class _ChatTurns:
    """Who waits to send in one chat, whether someone is sending, and the timer that wakes the next sender."""

    waiting: FairQueue[Hashable, asyncio.Future[None]]
    busy: bool = False
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class Pacer:
    """Fair turns per chat, leaky buckets per chat, per group and overall; `call` paces and retries one request.

    Send inside `async with pacer.turn(chat_id, member):`; every request in it goes through `call`.
    """

    def __init__(
        self,
        *,
        overall_rate: float = 30,
        overall_period: float = 1.0,
        group_rate: float = 20,
        group_period: float = 60.0,
        chat_rate: float = 3,
        chat_period: float = 3.0,
        attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        max_chats: int = 10_000,
        max_queued_per_member: int = 10,
    ) -> None:
        self.overall = AsyncLimiter(overall_rate, overall_period)
        self.group_rate, self.group_period = group_rate, group_period
        self.chat_rate, self.chat_period = chat_rate, chat_period
        self.attempts, self.backoff, self.max_backoff = attempts, backoff, max_backoff
        self.max_chats = max_chats
        self.max_queued_per_member = max_queued_per_member
        self._buckets: OrderedDict[str, tuple[LeakyBucket, ...]] = OrderedDict()
        self._turns: dict[str, _ChatTurns] = {}  # only chats with a sender or someone waiting: bounded by use

    # ---- pace ---------------------------------------------------------------------------------------------
    def buckets(self, chat_id: str) -> tuple[LeakyBucket, ...]:
        """The chat's own pace, plus the group pace for groups, supergroups and channels (negative ids)."""
        found = self._buckets.get(chat_id)
        if found is None:
            found = (LeakyBucket(self.chat_rate, self.chat_period),)
            if chat_id.startswith("-"):
                found += (LeakyBucket(self.group_rate, self.group_period),)
            self._buckets[chat_id] = found
            if len(self._buckets) > self.max_chats:
                self._buckets.popitem(last=False)  # forget the least recently used chat
        self._buckets.move_to_end(chat_id)
        return found

    def delay(self, chat_id: str) -> float:
        """Seconds until the chat's pace has room for one more message."""
        return max(b.delay() for b in self.buckets(chat_id))

    async def acquire(self, chat_id: str) -> None:
        """Wait for room in the chat's pace and the overall one, and take it."""
        while (wait := self.delay(chat_id)) > 0:
            await asyncio.sleep(wait)
        for bucket in self.buckets(chat_id):
            bucket.take()
        await self.overall.acquire()

    # ---- turns --------------------------------------------------------------------------------------------
    @asynccontextmanager
    async def turn(
        self, chat_id: str, member: Hashable = BOT, *, droppable: bool = False
    ) -> AsyncIterator[None]:
        """Wait for `member`'s turn to send in the chat (round robin across members, FIFO within one).

        `droppable`: this reply only answers `member`, so past the member's cap it may be dropped for a newer one
        (raises `Dropped`). Turns are handed out when the pace has room; the holder sends every part, then leaves.
        """
        loop = asyncio.get_running_loop()
        chat = self._turns.get(chat_id)
        if chat is None:
            chat = self._turns[chat_id] = _ChatTurns(FairQueue(self.max_queued_per_member))
        ticket: asyncio.Future[None] = loop.create_future()
        for old in chat.waiting.push(member, ticket, droppable=droppable):
            log.warning(
                "Telegram: dropped the oldest queued reply to %s in chat %s (over %d waiting)",
                member,
                chat_id,
                self.max_queued_per_member,
            )
            if not old.done():
                old.set_exception(Dropped(f"over {self.max_queued_per_member} replies waiting for {member}"))
        self._hand_out(chat_id, chat)
        try:
            await ticket
        except BaseException:
            if ticket.done() and not ticket.cancelled() and ticket.exception() is None:
                self._leave(chat_id, chat)  # handed the turn just as we were cancelled: pass it on
            else:
                chat.waiting.discard(member, ticket)
                self._forget_if_idle(chat_id, chat)
            raise
        try:
            yield
        finally:
            self._leave(chat_id, chat)

    def waiting(self, chat_id: str) -> FairQueue[Hashable, asyncio.Future[None]] | None:
        """Who waits in the chat (for tests and diagnostics)."""
        chat = self._turns.get(chat_id)
        return chat.waiting if chat else None

    def _hand_out(self, chat_id: str, chat: _ChatTurns) -> None:
        """Give the turn to the next waiter when nobody sends and the pace has room; else set a timer for it."""
        if chat.busy or chat.timer is not None:
            return
        while chat.waiting:
            wait = self.delay(chat_id)
            if wait > 0:
                chat.timer = asyncio.get_running_loop().call_later(wait, self._on_timer, chat_id, chat)
                return
            _, ticket = chat.waiting.pop()
            if ticket.done():  # cancelled, not yet taken out
                continue
            chat.busy = True
            ticket.set_result(None)
            return
        self._forget_if_idle(chat_id, chat)

    def _on_timer(self, chat_id: str, chat: _ChatTurns) -> None:
        chat.timer = None
        self._hand_out(chat_id, chat)

    def _leave(self, chat_id: str, chat: _ChatTurns) -> None:
        chat.busy = False
        self._hand_out(chat_id, chat)

    def _forget_if_idle(self, chat_id: str, chat: _ChatTurns) -> None:
        if not chat.busy and not chat.waiting and chat.timer is None and self._turns.get(chat_id) is chat:
            del self._turns[chat_id]

    # ---- requests -----------------------------------------------------------------------------------------
    async def call(self, chat_id: str, request: Callable[[], Awaitable[T]]) -> T:
        """Pace and send one request; retried on 429 (after retry_after) and 5xx (backoff), never on timeouts."""

        async def attempt() -> T:
            await self.acquire(chat_id)
            return await request()

        retrying = AsyncRetrying(
            retry=retry_if_exception(is_retryable),
            wait=_Wait(self.backoff, self.max_backoff),
            stop=stop_after_attempt(self.attempts),
            before_sleep=_log_retry,
            reraise=True,
        )
        return await retrying(attempt)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("Telegram request failed (%s); retry %d", type(exc).__name__, state.attempt_number)
