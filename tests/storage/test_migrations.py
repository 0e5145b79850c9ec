"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from storage import db


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_upgrade_matches_models(kind: str, tmp_path, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    if kind == "postgres":
        from sqlalchemy import create_engine, text

        base = request.getfixturevalue("pg_database")
        url = base + "_mig"
        admin = create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    else:
        url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    db.upgrade(engine)  # idempotent
    assert db.current_revision(engine) is not None
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata
        )
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(conn).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    engine.dispose()
