"""Engine, sessions and schema migrations (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


# Store-wide locks, taken by processes that may start at the same time on a fresh store.
MIGRATE_LOCK = "cohort:migrate"
SEED_LOCK = "cohort:seed"


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL advisory locks are keyed by a bigint)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def lock_store(conn: Connection, name: str) -> None:
    """Hold the store-wide lock `name` until `conn`'s transaction ends: other processes taking it wait.

    PostgreSQL: a transaction-level advisory lock (`pg_advisory_xact_lock`), released at commit or rollback.
    SQLite: `BEGIN IMMEDIATE`, the database's write lock (one lock for every name), so it must be the first
    statement of the transaction; a waiting process retries for the connection's busy timeout (30 s)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})
    elif dialect == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:  # pragma: no cover - Cohort runs on SQLite and PostgreSQL
        raise NotImplementedError(f"no store lock for {dialect}")


@contextmanager
def locked_session(engine: Engine, name: str) -> Iterator[Session]:
    """`session_scope` holding the store-wide lock `name` for the whole transaction (seeding a fresh store)."""
    with session_scope(engine) as s:
        lock_store(s.connection(), name)
        yield s


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent). Runs in one transaction under `MIGRATE_LOCK`
    (storage/migrations/env.py), so processes starting at once on a fresh store migrate it one after the other."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


T = TypeVar("T")
P = ParamSpec("P")


class Store:
    """The store as services see it: sessions, and store work run off the event loop.

    Every store call made from async code goes through `run` (a session in a worker thread, committed on success)
    or `call` (any blocking function in a worker thread), so one slow query never stalls the other chats.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def session(self) -> AbstractContextManager[Session]:
        """A committed-on-success session for synchronous code (already off the loop)."""
        return session_scope(self.engine)

    async def run(self, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(session, *args, **kwargs)` in a worker thread inside one transaction."""

        def work() -> T:
            with session_scope(self.engine) as s:
                return fn(s, *args, **kwargs)

        return await asyncio.to_thread(work)

    async def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Any blocking function (a service method that opens its own sessions) in a worker thread."""
        return await asyncio.to_thread(fn, *args, **kwargs)
