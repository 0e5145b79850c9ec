"""Background sentiment scoring off the message path.

``SentimentWorker.submit`` only enqueues (O(1), never awaits, never blocks); a single asyncio task collects up
to ``max_batch`` texts or waits at most ``max_delay`` seconds after the first one, scores the batch in a thread
(``asyncio.to_thread``) and hands ``[(key, result), ...]`` to ``on_scored`` (which stores them). When the bounded
queue is full, new texts are dropped and counted rather than slowing the chat down.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from community.signals.sentiment import SentimentAnalyzer, SentimentResult

__all__ = ["SentimentWorker"]

log = logging.getLogger(__name__)

Key = TypeVar("Key", bound=Hashable)
_STOP = object()


class SentimentWorker(Generic[Key]):
    """Asyncio batcher: ``submit(key, text)`` now, ``on_scored([(key, result), ...])`` a little later.

    ``on_scored`` may be a plain function or return an awaitable; it runs on the event loop. Its exceptions
    (and the analyzer's) are logged and the batch is skipped, so one bad batch never stops the worker.
    """

    def __init__(
        self,
        analyzer: SentimentAnalyzer,
        on_scored: Callable[[list[tuple[Key, SentimentResult]]], Any],
        max_batch: int = 256,
        max_delay: float = 0.5,
        max_queue: int = 10_000,
    ) -> None:
        if max_batch < 1 or max_queue < 1 or max_delay < 0:
            raise ValueError("max_batch and max_queue must be >= 1 and max_delay >= 0")
        self.analyzer = analyzer
        self.on_scored = on_scored
        self.max_batch = max_batch
        self.max_delay = max_delay
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max_queue)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.submitted = 0
        self.dropped = 0
        self.scored = 0
        self.failed = 0
        self.batches = 0

    @property
    def pending(self) -> int:
        """Texts waiting in the queue."""
        return self._queue.qsize()

    @property
    def running(self) -> bool:
        """True between ``start()`` and the end of ``stop()``."""
        return self._task is not None and not self._task.done()

    def submit(self, key: Key, text: str) -> bool:
        """Queue one text for scoring; returns False (and counts a drop) when full or stopping."""
        if self._stopping:
            self.dropped += 1
            return False
        try:
            self._queue.put_nowait((key, text))
        except asyncio.QueueFull:
            self.dropped += 1
            return False
        self.submitted += 1
        return True

    def start(self) -> None:
        """Start the background task (needs a running event loop); idempotent."""
        if self.running:
            return
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sentiment-worker")

    async def stop(self) -> None:
        """Stop accepting texts, score everything already queued, then end the task."""
        self._stopping = True
        if self._task is None:
            return
        # Wake a worker blocked on an empty queue; if the queue is full, the worker is not blocked and will
        # see _stopping once it has drained.
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_STOP)
        await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            if self._stopping and self._queue.empty():
                return
            batch = await self._collect()
            if batch:
                await self._process(batch)

    async def _collect(self) -> list[tuple[Key, str]]:
        """Wait for one item, then gather more until ``max_batch`` or ``max_delay`` (no waiting when stopping)."""
        batch: list[tuple[Key, str]] = []
        first = await self._queue.get()
        if first is not _STOP:
            batch.append(first)
        deadline = time.monotonic() + self.max_delay
        while len(batch) < self.max_batch:
            if not self._queue.empty():
                item = self._queue.get_nowait()
            else:
                remaining = deadline - time.monotonic()
                if self._stopping or remaining <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            if item is not _STOP:
                batch.append(item)
        return batch

    async def _process(self, batch: list[tuple[Key, str]]) -> None:
        """Score one batch in a thread and hand the results to ``on_scored``."""
        keys = [k for k, _ in batch]
        texts = [t for _, t in batch]
        try:
            results = await asyncio.to_thread(self.analyzer.score_batch, texts)
            outcome = self.on_scored(list(zip(keys, results, strict=True)))
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            self.failed += len(batch)
            log.exception("sentiment batch of %d failed", len(batch))
            return
        self.batches += 1
        self.scored += len(batch)
