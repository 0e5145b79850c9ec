"""Keeping within Telegram's limits: a queue-like pace per group and overall, and retries that wait out a 429.

Telegram allows about 20 messages a minute in one group and 30 a second overall; past that it answers 429 with
`retry_after`. We pace ourselves with leaky buckets (aiolimiter) so a burst waits in line instead of failing, and
still honour a 429 (another process on the same token, or stricter limits) by waiting exactly as long as asked.
Server errors (5xx) are retried with exponential backoff. Timeouts are NOT retried: Telegram may have delivered
the message already, and a duplicate is worse than a logged failure.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from aiolimiter import AsyncLimiter
from telegram.error import NetworkError, RetryAfter, TimedOut
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RETRY_AFTER = 300.0  # never park a reply longer than this; beyond it, give up and log


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


class Pacer:
    """Leaky buckets per group chat and overall; `call` paces, then runs the request with retries."""

    def __init__(
        self,
        *,
        overall_rate: float = 30,
        overall_period: float = 1.0,
        group_rate: float = 20,
        group_period: float = 60.0,
        attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        max_chats: int = 10_000,
    ) -> None:
        self.overall = AsyncLimiter(overall_rate, overall_period)
        self.group_rate, self.group_period = group_rate, group_period
        self.attempts, self.backoff, self.max_backoff = attempts, backoff, max_backoff
        self.max_chats = max_chats
        self._groups: OrderedDict[str, AsyncLimiter] = OrderedDict()
        self._locks: OrderedDict[str, asyncio.Lock] = OrderedDict()

    def _group_limiter(self, chat_id: str) -> AsyncLimiter:
        limiter = self._groups.get(chat_id)
        if limiter is None:
            limiter = self._groups[chat_id] = AsyncLimiter(self.group_rate, self.group_period)
            if len(self._groups) > self.max_chats:
                self._groups.popitem(last=False)  # forget the least recently used chat
        self._groups.move_to_end(chat_id)
        return limiter

    def chat_lock(self, chat_id: str) -> asyncio.Lock:
        """One sender per chat at a time (FIFO), so the parts of a long reply are never interleaved."""
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
            if len(self._locks) > self.max_chats:
                oldest, old_lock = next(iter(self._locks.items()))
                if not old_lock.locked():
                    del self._locks[oldest]
        self._locks.move_to_end(chat_id)
        return lock

    async def acquire(self, chat_id: str) -> None:
        if chat_id.startswith("-"):  # groups, supergroups and channels have negative ids
            await self._group_limiter(chat_id).acquire()
        await self.overall.acquire()

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
