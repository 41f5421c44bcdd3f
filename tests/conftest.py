"""Fixtures: a fresh database per test (SQLite by default, PostgreSQL when QA_TEST_DATABASE_URL is set),
an app built by the factory for each test, and logged-in clients per role."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from qa_app.app import create_app
from qa_app.db import create_engine, create_sessionmaker
from qa_app.migrate import upgrade
from qa_app.models import Base
from qa_app.settings import Settings
from tests.factories import TEST_PASSWORD
from tests.live import live_server  # noqa: F401 - shared by realtime and e2e tests

ROOT = Path(__file__).resolve().parent.parent
logging.getLogger("httpx").setLevel(logging.WARNING)


def _pg_admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def pytest_report_header(config: pytest.Config) -> str:
    backend = os.environ.get("QA_TEST_DATABASE_URL", "sqlite (per-test file)")
    redis = os.environ.get("QA_TEST_REDIS_URL", "none (in-process channels)")
    return f"qa_app test database: {backend}; redis: {redis}"


@pytest.fixture(scope="session")
def worker_tag() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def pg_database_url(worker_tag: str) -> Iterator[str | None]:
    """A throwaway PostgreSQL database for this run, migrated once and dropped afterwards."""
    base = os.environ.get("QA_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    name = f"qa_test_{worker_tag}"
    url = make_url(base).set(database=name).render_as_string(hide_password=False)

    async def admin(statement: str) -> None:
        engine = create_async_engine(_pg_admin_url(base), isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    upgrade(url)
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file copied for each test (migrating per test would cost ~0.3 s)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _truncate_statement() -> str:
    tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    return f"TRUNCATE {tables} RESTART IDENTITY CASCADE"


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path, pg_database_url: str | None) -> Iterator[str]:
    if pg_database_url is None:
        path = tmp_path / "qa.sqlite3"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return

    async def truncate() -> None:
        engine = create_async_engine(pg_database_url)
        async with engine.begin() as connection:
            await connection.execute(text(_truncate_statement()))
        await engine.dispose()

    asyncio.run(truncate())
    yield pg_database_url


@pytest.fixture
def settings(tmp_path: Path, database_url: str, worker_tag: str) -> Settings:
    redis_url = os.environ.get("QA_TEST_REDIS_URL")
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=f"qa-test-{worker_tag}-{uuid.uuid4().hex[:6]}",
        secret_key="test-secret-key-" + "x" * 32,
        var_dir=tmp_path / "var",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
    ).resolved()


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A database session of its own (not the app's) to arrange and inspect data."""
    engine = create_engine(settings.database_url)
    async with create_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


def csrf_token(client: AsyncTestClient[Any]) -> str:
    return client.cookies.get("qa_csrf") or ""


async def login(client: AsyncTestClient[Any], username: str, password: str = TEST_PASSWORD) -> Any:
    await client.get("/login")
    return await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )


async def post_form(client: AsyncTestClient[Any], url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form the way the browser does: with the CSRF field."""
    payload = dict(data or {})
    payload["_csrf_token"] = csrf_token(client)
    return await client.post(url, data=payload, **kwargs)


def toast_region(page: str) -> str:
    """The inside of the page's one toast region (``<div id="toasts">`` of base.html), toasts and all."""
    start = page.index(">", page.index('id="toasts"')) + 1
    depth = 1
    for tag in re.finditer(r"<(/?)div\b", page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page[start : start + tag.start()]
    raise AssertionError("the toast region is not closed")


def toast_texts(html: str) -> list[str]:
    """The text of each toast (``class="toast"``) in ``html``, without its undo button."""
    return [text.strip() for text in re.findall(r'<div class="toast"[^>]*>([^<]*)', html)]


@pytest.fixture
def settings_factory(settings: Settings) -> Any:
    def make(**changes: Any) -> Settings:
        return replace(settings, **changes)

    return make
