"""The fair queue and the pacer on their own: order within a member, round robin across members, caps, the pace."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable

import pytest

from adapters.telegram.pacing import Dropped, FairQueue, LeakyBucket, Pacer

CHAT = "42"  # a private chat: only the chat's own pace applies


# ---- FairQueue ------------------------------------------------------------------------------------------------
def drain(q: FairQueue[str, str]) -> list[str]:
    out = []
    while q:
        out.append(q.pop()[1])
    return out


def test_fair_queue_is_fifo_within_a_key_and_round_robin_across_keys() -> None:
    q: FairQueue[str, str] = FairQueue()
    for item in ["a1", "a2", "a3", "a4", "b1", "b2", "c1"]:
        q.push(item[0], item)
    assert len(q) == 7 and q.keys() == ["a", "b", "c"]
    assert drain(q) == ["a1", "b1", "c1", "a2", "b2", "a3", "a4"]
    assert len(q) == 0 and not q
    with pytest.raises(IndexError):
        q.pop()


def test_a_key_that_comes_back_joins_the_end_of_the_rotation() -> None:
    q: FairQueue[str, str] = FairQueue()
    q.push("a", "a1")
    q.push("b", "b1")
    assert q.pop() == ("a", "a1")  # a's line is empty: a leaves the rotation
    q.push("a", "a2")
    q.push("c", "c1")
    assert drain(q) == ["b1", "a2", "c1"]


def test_the_cap_drops_the_oldest_droppable_entries_of_that_key_only() -> None:
    q: FairQueue[str, str] = FairQueue(max_per_key=3)
    for item, droppable in [("keep", False), ("a0", True), ("a1", True)]:
        assert q.push("a", item, droppable=droppable) == []
    assert q.push("b", "b0", droppable=True) == []
    assert q.push("a", "a2", droppable=True) == ["a0"]  # a 4th entry of "a": its oldest droppable one goes
    assert q.push("a", "a3", droppable=True) == ["a1"]
    assert q.pending("a") == 3 and q.pending("b") == 1 and len(q) == 4
    assert drain(q) == ["keep", "b0", "a2", "a3"]


def test_the_cap_keeps_order_and_what_must_not_be_dropped() -> None:
    q: FairQueue[str, str] = FairQueue(max_per_key=2)
    q.push("a", "edit1", droppable=False)
    q.push("a", "edit2", droppable=False)
    assert q.push("a", "edit3", droppable=False) == []  # nothing droppable: over the cap rather than lost
    assert q.push("a", "answer", droppable=True) == ["answer"]  # the only droppable one is the newest
    assert q.pending("a") == 3
    q2: FairQueue[str, str] = FairQueue(max_per_key=2)
    for item in ["x1", "x2", "x3", "x4", "x5"]:
        q2.push("x", item, droppable=True)
    assert drain(q2) == ["x4", "x5"]  # the newest survive, still in order
    assert drain(q) == ["edit1", "edit2", "edit3"]


def test_discard_takes_one_entry_out() -> None:
    q: FairQueue[str, str] = FairQueue()
    a1, a2 = "a1", "a2"
    q.push("a", a1)
    q.push("a", a2)
    q.push("b", "b1")
    assert q.discard("a", a1) and not q.discard("a", a1) and not q.discard("zzz", a1)
    assert q.discard("b", "b1") and q.keys() == ["a"]
    assert drain(q) == ["a2"]


# ---- LeakyBucket ----------------------------------------------------------------------------------------------
def test_leaky_bucket_allows_a_burst_then_the_pace() -> None:
    now = [100.0]
    b = LeakyBucket(3, 3.0, clock=lambda: now[0])  # about one a second, bursts of three
    for _ in range(3):
        assert b.delay() == 0.0
        b.take()
    assert b.delay() == pytest.approx(1.0)
    now[0] += 0.25
    assert b.delay() == pytest.approx(0.75)
    now[0] += 0.75
    assert b.delay() == 0.0
    with pytest.raises(ValueError):
        LeakyBucket(0, 1.0)


def test_groups_are_paced_by_the_chat_and_the_group_buckets() -> None:
    pacer = Pacer()
    assert len(pacer.buckets("1001")) == 1  # a private chat
    assert len(pacer.buckets("-1001234567890")) == 2  # a group: also 20 a minute


# ---- Pacer.turn -----------------------------------------------------------------------------------------------
def fast(**kw: float) -> Pacer:
    options: dict[str, float] = {"chat_rate": 1, "chat_period": 0.05, "overall_rate": 1000}
    options.update(kw)
    return Pacer(**options)  # type: ignore[arg-type]


async def send_as(
    pacer: Pacer, member: Hashable, label: str, log: list[str], *, droppable: bool = False
) -> None:
    async with pacer.turn(CHAT, member, droppable=droppable):
        await pacer.acquire(CHAT)  # what a send does inside its turn
        log.append(label)


async def test_turns_are_fifo_per_member_and_round_robin_across_members() -> None:
    pacer, log = fast(), []
    tasks = [asyncio.create_task(send_as(pacer, "alice", f"a{i}", log)) for i in range(5)]
    await asyncio.sleep(0)  # alice's flood is queued first...
    tasks += [asyncio.create_task(send_as(pacer, "bob", f"b{i}", log)) for i in range(2)]
    tasks.append(asyncio.create_task(send_as(pacer, "carol", "c0", log)))  # ...then bob and carol
    await asyncio.gather(*tasks)
    # a0 went at once; then one of each waiting member in turn, each member in its own order.
    assert log == ["a0", "a1", "b0", "c0", "a2", "b1", "a3", "a4"]
    assert pacer.waiting(CHAT) is None  # an idle chat is forgotten


async def test_the_next_sender_is_chosen_when_the_pace_has_room() -> None:
    pacer, log = fast(chat_period=0.3), []
    alice = [asyncio.create_task(send_as(pacer, "alice", f"a{i}", log)) for i in range(3)]
    await asyncio.sleep(0.1)  # a0 sent; a1 waits for the pace
    bob = asyncio.create_task(send_as(pacer, "bob", "b0", log))
    await asyncio.gather(*alice, bob)
    # Bob came while a1 waited for room: he is served right after a1, not after alice's whole backlog.
    assert log == ["a0", "a1", "b0", "a2"]


async def test_a_members_backlog_is_capped_and_the_oldest_answers_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    pacer, log = fast(max_queued_per_member=3), []
    first = asyncio.create_task(send_as(pacer, "alice", "a0", log, droppable=True))
    await asyncio.sleep(0)
    flood = [asyncio.create_task(send_as(pacer, "alice", f"a{i}", log, droppable=True)) for i in range(1, 7)]
    reminder = asyncio.create_task(send_as(pacer, "alice", "keep", log, droppable=False))
    bob = asyncio.create_task(send_as(pacer, "bob", "b0", log, droppable=True))
    results = await asyncio.gather(first, *flood, reminder, bob, return_exceptions=True)
    dropped = [r for r in results if isinstance(r, Dropped)]
    assert len(dropped) == 4  # a1..a4: alice may have 3 waiting, and "keep" is never dropped
    assert log == ["a0", "a5", "b0", "a6", "keep"]
    assert sum("dropped the oldest queued reply" in r.getMessage() for r in caplog.records) == 4
    assert pacer.waiting(CHAT) is None


async def test_a_waiter_that_gives_up_leaves_the_line_and_the_turns_go_on() -> None:
    pacer, log = fast(chat_period=0.2), []
    a0 = asyncio.create_task(send_as(pacer, "alice", "a0", log))
    await asyncio.sleep(0)
    a1 = asyncio.create_task(send_as(pacer, "alice", "a1", log))
    b0 = asyncio.create_task(send_as(pacer, "bob", "b0", log))
    await asyncio.sleep(0.05)
    a1.cancel()
    await asyncio.gather(a0, b0)
    assert a1.cancelled()
    assert log == ["a0", "b0"]
    assert pacer.waiting(CHAT) is None


async def test_a_holder_that_is_cancelled_passes_the_turn_on() -> None:
    pacer, log = fast(), []
    entered = asyncio.Event()

    async def stuck() -> None:
        async with pacer.turn(CHAT, "alice"):
            entered.set()
            await asyncio.sleep(3600)

    holder = asyncio.create_task(stuck())
    await entered.wait()
    bob = asyncio.create_task(send_as(pacer, "bob", "b0", log))
    await asyncio.sleep(0.05)
    assert log == []  # bob waits for alice's turn to end
    holder.cancel()
    await asyncio.wait_for(bob, 1.0)
    assert log == ["b0"]


async def test_turns_in_different_chats_do_not_wait_for_each_other() -> None:
    pacer = fast(chat_period=5.0)
    async with pacer.turn("1", "alice"):
        await pacer.acquire("1")
        async with asyncio.timeout(0.5):
            async with pacer.turn("2", "bob"):  # chat 2 has its own turns and pace
                await pacer.acquire("2")
