"""Alembic environment: the engine comes from storage.db (no alembic.ini needed).

`storage.db.upgrade(engine)` (and so `cohort db upgrade`) passes the engine in `config.attributes`. Run by hand
(the `alembic` command with your own ini), the URL is the ini's `sqlalchemy.url` or $DATABASE_URL. Storage reads
no application settings: it imports nothing of `bot/`.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import MIGRATE_LOCK, lock_store, make_engine

target_metadata = SQLModel.metadata


def _engine() -> Engine:
    engine = context.config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError(
            "no database to migrate: run `cohort db upgrade`, or set sqlalchemy.url / DATABASE_URL"
        )
    return make_engine(url)


def run_migrations_online() -> None:
    with _engine().begin() as connection:
        # Two processes starting at once on a fresh store: the second waits here, then finds the schema current.
        lock_store(connection, MIGRATE_LOCK)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
