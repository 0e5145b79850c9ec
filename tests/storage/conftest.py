"""Fixtures for the store tests: a store that does not exist yet, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage import db


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a store that does not exist yet (SQLite: no file; PostgreSQL: an empty database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'cohort.db'}"
        return
    base = request.getfixturevalue("pg_database")
    name = f"cohort_start_{uuid.uuid4().hex[:8]}"
    admin = create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
