"""The done-when once more, end to end: `cohort chat` as a subprocess with piped stdin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.bot.buddies.conftest import DESIGN_TALK, PYTHON_TALK

ROOT = Path(__file__).resolve().parents[3]


def _pairs(block: str) -> set[frozenset[str]]:
    """Pairs from the '(privately to X) 🤝 Your study buddy this week: *Y*.' lines of one round."""
    found = re.findall(r"\(privately to (\w+)\) 🤝 Your study buddy this week: \*(\w+)\*", block)
    return {frozenset(p) for p in found}


def test_console_done_when(tmp_path: Path) -> None:
    lines: list[str] = []
    for who, talk in (("ann", PYTHON_TALK), ("ben", PYTHON_TALK), ("cat", DESIGN_TALK), ("dan", DESIGN_TALK)):
        lines += [f"{who}: {t}" for t in talk]
    lines += [f"{who}: /buddy join" for who in ("ann", "ben", "cat", "dan")]
    lines += ["/buddy round"]
    lines += [f"eve: {t}" for t in PYTHON_TALK] + [f"fay: {t}" for t in DESIGN_TALK]
    lines += ["eve: /buddy join Python", "fay: /buddy join design"]
    lines += ["/buddy round", "/buddy round"]
    env = {**os.environ, "COHORT_EMBEDDING_MODEL": "hashing", "COHORT_DATA_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "cohort.cli", "chat", "--db", str(tmp_path / "c.db"), "--user", "owner"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rounds = proc.stdout.split("🤝 Buddy round:")[1:]
    assert len(rounds) == 3
    assert "4 members in 2 pairs" in rounds[0]
    assert _pairs(rounds[0]) == {frozenset({"ann", "ben"}), frozenset({"cat", "dan"})}
    assert "you both study Python" in rounds[0]
    seen = _pairs(rounds[0])
    for block in rounds[1:]:
        assert "6 members in 3 pairs" in block
        pairs = _pairs(block)
        assert len(pairs) == 3 and not pairs & seen
        seen |= pairs
