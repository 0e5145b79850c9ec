"""Processes starting at once on a fresh store: each migrates and seeds under a store-wide lock, so all of them
start, the schema is built once and the sample data is loaded exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from community.courses.catalog import SAMPLE_CATALOG, read_catalog
from storage import db
from storage.models import Course, Member, PlatformAccount

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 3


@pytest.mark.slow
def test_processes_starting_at_once_on_a_fresh_store(fresh_url: str, tmp_path: Path) -> None:
    start_at = time.time() + 4.0  # every process imports first, then all start together
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.storage.start_worker",
                fresh_url,
                str(tmp_path / f"p{i}"),
                str(start_at),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-3000:] for _, err in outputs]
    seeded = [json.loads(out.strip().splitlines()[-1])["seeded"] for out, _ in outputs]
    assert sorted(seeded) == [False] * (PROCESSES - 1) + [True]
    engine = db.make_engine(fresh_url)
    try:
        assert db.current_revision(engine) is not None
        with db.session_scope(engine) as s:
            assert s.exec(select(func.count()).select_from(Course)).one() == len(read_catalog(SAMPLE_CATALOG))
            members = s.exec(select(func.count()).select_from(Member)).one()
            assert members == s.exec(select(func.count()).select_from(PlatformAccount)).one() > 0
    finally:
        engine.dispose()
