"""The migrations create the schema on an empty database, and agree with the models."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from qa_app.db import create_engine
from qa_app.migrate import downgrade, upgrade
from qa_app.models import Base


def _schema_diff(url: str) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
        await engine.dispose()
        return diff

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(run())


def test_upgrade_empty_sqlite_then_down_and_up_again(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    assert {t.name for t in Base.metadata.sorted_tables} <= _tables(url)
    assert _schema_diff(url) == []
    downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}
    upgrade(url)
    assert _schema_diff(url) == []


def test_migrated_test_database_matches_models(database_url: str) -> None:
    """Runs on PostgreSQL too when the suite is pointed at it (QA_TEST_DATABASE_URL)."""
    assert _schema_diff(database_url) == []


def test_sqlite_pragmas(tmp_path: Any) -> None:
    from sqlalchemy import text

    url = f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite3'}"

    async def run() -> tuple[Any, ...]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            values = tuple(
                [
                    (await connection.execute(text(f"PRAGMA {name}"))).scalar()
                    for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
                ]
            )
        pool_size = engine.pool.size()  # type: ignore[attr-defined]
        await engine.dispose()
        return (*values, pool_size)

    assert asyncio.run(run()) == ("wal", 2, 1, 5000, 1)
