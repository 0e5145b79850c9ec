"""Shared fixtures: a CohortApp on a fresh SQLite file (or PostgreSQL), a fake clock, and a chat driver.

PostgreSQL: tests marked or parametrised with "postgres" run against $COHORT_TEST_POSTGRES_URL (CI sets it and
starts the server). Each test session creates its own database and drops it at the end. Without the variable those
cases are skipped locally, and under CI (CI=true) that is an error rather than a silent skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table)
from bot.app import CohortApp
from bot.config import Settings
from bot.testing import TestBot
from common.clock import FakeClock
from storage import db

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PG_URL = os.environ.get("COHORT_TEST_POSTGRES_URL")


def pytest_report_header(config: pytest.Config) -> str:
    return f"store backends: sqlite, {'postgres (' + PG_URL + ')' if PG_URL else 'postgres NOT configured'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema, copied for each test (building it once is much faster).

    Built from the models; tests/storage/test_migrations.py checks that the Alembic migrations give the same schema.
    """
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("COHORT_TEST_POSTGRES_URL is not set under CI: the PostgreSQL tests must run there")
        pytest.skip("PostgreSQL not configured (set COHORT_TEST_POSTGRES_URL)")
    name = f"cohort_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(db.normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    engine = db.make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as c:
        c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Parametrise a test over both stores: use `engine` or `app` together with this fixture."""
    return str(request.param)


@pytest.fixture
def engine(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    kind = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    if kind == "postgres":
        url = request.getfixturevalue("pg_database")
        eng = db.make_engine(url)
        _truncate_pg(eng)
    else:
        path = tmp_path / "cohort.db"
        shutil.copy(sqlite_template, path)
        eng = db.make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings.from_env(
        data_dir=tmp_path,
        database_url=str(engine.url.render_as_string(hide_password=False)),
        model_dir=tmp_path / "models",
        rate_limit_per_minute=1000,
        embedding_model="hashing",
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, clock: FakeClock) -> CohortApp:
    return CohortApp(settings, engine=engine, clock=clock, migrate=False)


@pytest.fixture
def bot(app: CohortApp) -> TestBot:
    return TestBot(app)


@pytest.fixture
async def running(app: CohortApp) -> AsyncIterator[CohortApp]:
    """The app with its startup hooks run (sentiment worker, retention job); stopped (flushed) at the end."""
    await app.start()
    yield app
    await app.stop()


@pytest.fixture
def catalog(app: CohortApp) -> int:
    """The sample catalogue loaded into the store; returns the number of courses."""
    from community.demo import load_sample_catalog

    with db.session_scope(app.engine) as s:
        return load_sample_catalog(s)
