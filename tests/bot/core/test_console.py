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
from tests.helpers import messages_of

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
    assert "message 1: [1] More ▸" in first
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


async def console_session(app: CohortApp, lines: str, *, owner: str = "olga") -> list[str]:
    """Lines through an in-process console: what it printed for each input line ("" when nothing)."""
    out = io.StringIO()
    console = ConsoleAdapter(app, out=out, owner=owner)
    console.setup()
    app.add_adapter(console)
    blocks = []
    for line in lines.splitlines():
        before = len(out.getvalue())
        await console.handle_line(line)
        blocks.append(out.getvalue()[before:].strip())
    return blocks


def test_a_press_of_another_members_picks_is_refused(tmp_path: Path) -> None:
    """The issue: `alice: 6` pressed a button on bob's picks. Now the number names bob's message and alice is told
    it is not hers; bob's own press (by message number) works."""
    r = run_chat("bob: /recommend 2\nalice: 2\nalice: 1.2\nbob: 1.2\n", tmp_path / "c.db", "--seed")
    assert r.returncode == 0, r.stderr
    picks, bare, numbered, own = [b for b in r.stdout.split("\n\n") if b.strip()]
    assert "message 1: [1] 👍" in picks and "[2] ✋ Not for me" in picks
    assert bare == numbered == "(privately to alice) That button is for someone else."
    assert own.startswith("Got it, I won't suggest")


async def test_buttons_are_numbered_per_message_and_pressed_by_number(app: CohortApp, catalog: int) -> None:
    blocks = await console_session(
        app, "alice: hello\nalice: /forget\nalice: /courses a\nbob: 1.2\nalice: 1.2\nbob: 2.1\n"
    )
    _, confirm, page, refused, cancelled, more = blocks
    assert _ == ""  # plain chat gets no answer
    assert "message 1: [1] Yes, forget me  [2] Cancel" in confirm
    assert "message 2: [1] More ▸" in page
    assert refused == "(privately to bob) Only the member who asked can confirm their own /forget."
    assert cancelled == "Cancelled: nothing was deleted."
    assert "(page 2 of" in more  # paging is open to anyone


async def test_a_bare_number_presses_only_the_buttons_just_shown(app: CohortApp, catalog: int) -> None:
    """The issue: `carol: 1` after an answer without buttons pressed a button of an older message."""
    blocks = await console_session(app, "carol: /courses a\ncarol: /help\ncarol: 1\ncarol: 1.1\n")
    assert "message 1: [1] More ▸" in blocks[0]
    assert blocks[2] == "(the last answer has no buttons: press one with MESSAGE.BUTTON, e.g. 1.1)"
    assert "(page 2 of" in blocks[3]


async def test_odd_digits_and_plus_one_are_chat_not_presses(app: CohortApp, catalog: int) -> None:
    """`²`, `３` and `+1` are not button numbers (isdigit() took `²` and int() then failed)."""
    out = io.StringIO()
    console = ConsoleAdapter(app, out=out)
    console.setup()
    app.add_adapter(console)
    await console.run(io.StringIO("/courses a\n²\n３\n+1\n1.²\n"))
    text = out.getvalue()
    assert "(error" not in text and "(page 2 of" not in text
    assert [m.text for m in messages_of(app, "me") if not m.is_command] == ["²", "３", "+1", "1.²"]


async def test_a_rate_limited_member_gets_one_notice_and_no_no_reply_lines(app: CohortApp) -> None:
    app.dispatcher.limiter = type(app.dispatcher.limiter)(2)
    blocks = await console_session(
        app, "zed: /help\nzed: /start\nzed: /help\nzed: /help\nzed: /nosuch\nann: /start\n"
    )
    assert "(no reply)" not in "\n".join(blocks)
    assert "what I can do" in blocks[0] and "I'm Cohort" in blocks[1]
    assert blocks[2] == "You're sending commands faster than I can answer. Please wait a minute."
    assert blocks[3:5] == ["", ""]  # silence: not even a "(no reply)" line
    assert "I'm Cohort" in blocks[5]


async def test_a_command_answered_by_a_direct_message_prints_no_no_reply_line(app: CohortApp) -> None:
    """`/link` sends its code itself (a direct message) and answers nothing more: the block is just the code."""
    [block] = await console_session(app, "ann: /link")
    assert block.startswith("(privately to ann)") and "(no reply)" not in block
