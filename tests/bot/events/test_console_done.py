"""The issue's "done when", end to end through `cohort chat` (real processes, real time, about a minute):
an owner adds an event 90 s ahead with a reminder 60 s before, alice says she's going; the bot is killed and
restarted; the reminder appears exactly once about 30 s after the event was created, naming alice."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


class Lines:
    """stdout of a process, line by line, with the monotonic time each line arrived."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.q: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[tuple[float, str]] = []
        assert proc.stdout is not None
        self.stream = proc.stdout
        self.thread = threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        """After the process ended: let the reader reach end of file, then close the pipe."""
        self.thread.join(timeout=5)
        self.stream.close()

    def _pump(self, stream) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            self.q.put((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, needle: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                at, line = self.q.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append((at, line))
            if needle in line:
                return at
        raise AssertionError(f"{needle!r} not seen in {timeout}s; got: {[s for _, s in self.seen][-20:]}")

    def drain(self) -> list[str]:
        while True:
            try:
                self.seen.append(self.q.get_nowait())
            except queue.Empty:
                return [s for _, s in self.seen]


def cohort_chat(tmp: Path, linger: float, stdin: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'cohort.db'}",
        "COHORT_DATA_DIR": str(tmp),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("COHORT_REMINDER_POLL_SECONDS", None)  # the default poll, as a user would run it
    return subprocess.Popen(
        [sys.executable, "-m", "cohort.cli", "chat", "--linger", str(linger)],
        cwd=ROOT,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_reminder_survives_kill_and_restart(tmp_path: Path) -> None:
    first = cohort_chat(tmp_path, linger=120, stdin=subprocess.PIPE)
    second: subprocess.Popen[str] | None = None
    readers: list[Lines] = []
    try:
        out1 = Lines(first)
        readers.append(out1)
        assert first.stdin is not None
        first.stdin.write("me: /event add Study hall | in 90 seconds | remind 1m\n")
        first.stdin.flush()
        out1.wait_for("Save it?", timeout=60)
        first.stdin.write("me: 1\n")  # press Save
        first.stdin.flush()
        created = out1.wait_for("Saved as event", timeout=20)
        first.stdin.write("alice: 1\nbob: 3\n")  # alice: going, bob: not going (buttons of the card)
        first.stdin.flush()
        out1.wait_for("Noted: not going", timeout=20)
        first.send_signal(signal.SIGKILL)  # killed, not stopped
        first.wait(timeout=10)
        assert not any("Reminder:" in s for s in out1.drain())

        second = cohort_chat(tmp_path, linger=60, stdin=subprocess.DEVNULL)
        out2 = Lines(second)
        readers.append(out2)
        fired = out2.wait_for("Reminder:", timeout=60)
        time.sleep(
            max(0.0, created + 45 - time.monotonic())
        )  # long enough to see a duplicate if there were one
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)
        lines = out2.drain()
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        if first.stdin is not None:
            first.stdin.close()
        for r in readers:
            r.close()
    after = fired - created
    print(f"reminder appeared {after:.1f}s after the event was created")
    assert 25 <= after <= 40, f"reminder {after:.1f}s after the event was created"
    assert sum("Reminder:" in s for s in lines) == 1, lines
    going = [s for s in lines if s.startswith("Going (")]
    assert going == ["Going (1): alice"], lines
    assert sum(s.startswith("(privately to alice)") for s in lines) == 1, lines
    assert not any("bob" in s for s in lines)
