"""First contact races: many threads (and two processes) meeting the same new members in the same new groups at
once create each group, member, account and membership exactly once, raise nothing and leave no orphan rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import col, select

from storage import db
from storage.db import Store
from storage.models import Group, Member, Membership, PlatformAccount
from tests.community.ingest.contact_worker import GROUPS, identify_all

pytestmark = pytest.mark.usefixtures("backend")

ROOT = Path(__file__).resolve().parents[3]
MEMBERS = 60


def assert_each_once(engine: Engine, members: int) -> None:
    with db.session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Group)).one() == len(GROUPS)
        assert s.exec(select(func.count()).select_from(Member)).one() == members
        assert s.exec(select(func.count()).select_from(PlatformAccount)).one() == members
        assert s.exec(select(func.count()).select_from(Membership)).one() == members * len(GROUPS)
        orphans = s.exec(
            select(Member.id).where(~col(Member.id).in_(select(PlatformAccount.member_id)))
        ).all()
        assert orphans == []
        accounts = s.exec(select(PlatformAccount.platform_user_id, PlatformAccount.member_id)).all()
        assert len({uid for uid, _ in accounts}) == members and len({m for _, m in accounts}) == members


def test_first_contact_from_threads(engine: Engine) -> None:
    assert identify_all(Store(engine), members=MEMBERS) == []
    assert_each_once(engine, MEMBERS)
    # seen again: nothing new
    assert identify_all(Store(engine), members=MEMBERS) == []
    assert_each_once(engine, MEMBERS)


@pytest.mark.slow
def test_first_contact_from_two_processes(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    start_at = time.time() + 3.0  # both import first, then start together
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.community.ingest.contact_worker", url, str(start_at), str(MEMBERS)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    results = [json.loads(out.strip().splitlines()[-1]) if out.strip() else {} for out, _ in outputs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    assert [r.get("errors") for r in results] == [0, 0], results
    assert_each_once(engine, MEMBERS)
