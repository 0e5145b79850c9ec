"""The console adapter, end to end as a person would use it: piped lines in, one reply block per line out."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.app import CohortApp

ROOT = Path(__file__).resolve().parents[3]


def run_chat(lines: str, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COHORT_DATA_DIR": str(db.parent), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "cohort.cli", "chat", "--db", str(db), *extra],
        input=lines,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=db.parent,
    )


def test_issue_scenario_through_cohort_chat(tmp_path: Path) -> None:
    script = "alice: /courses python\nalice: /rate 3 5\nbob: /rate 3 9\nbob: /course 3\n"
    r = run_chat(script, tmp_path / "c.db", "--seed")
    assert r.returncode == 0, r.stderr
    blocks = [b for b in r.stdout.split("\n\n") if b.strip()]
    assert len(blocks) == 4, r.stdout
    assert "match *python*" in blocks[0] and "Python for Absolute Beginners" in blocks[0]
    assert blocks[1].startswith("Rated *Async Python and Concurrency* 5/5")
    assert "from 1 to 5, not 9" in blocks[2] and "Usage: `/rate ID 1-5`" in blocks[2]
    assert "#3 *Async Python and Concurrency*" in blocks[3] and "5.0/5 from 1 rating" in blocks[3]


def test_buttons_are_numbered_and_pressable(tmp_path: Path) -> None:
    r = run_chat("/courses a\n1\n", tmp_path / "c.db", "--seed")
    assert r.returncode == 0, r.stderr
    first, second = [b for b in r.stdout.split("\n\n") if b.strip()]
    assert "[1] More ▸" in first
    assert "page 2 of" in second


def test_owner_flag_and_store_persist_between_runs(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    first = run_chat("ann: /course 1\nann: /rate 1 4\n", db, "--seed")
    assert first.returncode == 0
    before = int(re.search(r"from (\d+) rating", first.stdout).group(1))  # type: ignore[union-attr]
    r = run_chat("ann: /course 1\n", db)
    assert "Your rating: 4/5" in r.stdout and f"from {before + 1} ratings" in r.stdout


async def test_console_adapter_in_process(app: CohortApp, catalog: int) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(app, out=out, owner="olga")
    console.setup()
    app.add_adapter(console)
    code = await console.run(io.StringIO("/start\nolga: /help\n\n   \nzed: hello\n"))
    assert code == 0
    text = out.getvalue()
    assert "I'm Cohort" in text and "Cohort — what I can do" in text


def test_demo_seeds_trains_and_gives_personal_picks(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "COHORT_DATA_DIR": str(tmp_path),
        "COHORT_EMBEDDING_MODEL": "hashing",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    r = subprocess.run(
        [sys.executable, "-m", "cohort.cli", "demo", "--db", str(tmp_path / "d.db")],
        input="alice: /recommend\nnewbie: /recommend\n",
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "Type a line to send it" in r.stdout and "Trained on" in r.stderr
    alice, newbie = [b for b in r.stdout.split("\n\n") if "1. #" in b]
    assert "Picked for you" in alice and "because you rated" in alice
    assert "Popular here" in newbie
