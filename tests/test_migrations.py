"""The migrations create the schema on an empty database, and agree with the models."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

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


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database: a SQLite file, or a throwaway PostgreSQL database when the suite has one."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data.sqlite3'}"
        return
    base = os.environ.get("QA_TEST_DATABASE_URL")
    if not base:
        pytest.skip("QA_TEST_DATABASE_URL is not set")
    name = f"qa_mig_{uuid.uuid4().hex[:10]}"

    async def admin(statement: str) -> None:
        engine = create_async_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_idempotency_scope_migration_keeps_rows_and_references(empty_database: str) -> None:
    """0003 changes the submission table's unique constraint (a table rebuild on SQLite) under rows that a
    rating references, both ways; keys entered by an account are scoped to it, the public's stay anonymous."""
    from sqlalchemy import select

    from qa_app.db import create_sessionmaker
    from qa_app.events import RecordingPublisher
    from qa_app.models import Role, Submission
    from qa_app.services import intake
    from qa_app.services.engines import ModerationEngines
    from tests.factories import make_episode, make_user

    url = empty_database
    upgrade(url)

    async def arrange() -> int:
        engine = create_engine(url)
        async with create_sessionmaker(engine)() as db:
            operator = await make_user(db, "tongdai", Role.OPERATOR)
            episode = await make_episode(db)
            for key, actor in (("call-1001", operator), ("web-1", None)):
                await intake.submit(
                    db,
                    ModerationEngines(),
                    RecordingPublisher(),
                    episode,
                    intake.SubmissionForm(text=f"Câu hỏi về lệ phí trước bạ số {key}", idempotency_key=key),
                    actor=actor,
                )
            first = await db.scalar(select(Submission).order_by(Submission.id))
            assert first is not None
            await db.execute(
                text("INSERT INTO rating (question_id, submission_id, score, created_at) VALUES (:q, :s, 5, :t)"),
                {"q": first.question_id, "s": first.id, "t": first.received_at},
            )
            await db.commit()
            operator_id = operator.id
        await engine.dispose()
        return operator_id

    async def scopes() -> list[tuple[str | None, str]]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT idempotency_key, idempotency_scope FROM submission ORDER BY id")
            )
            result = [(r[0], r[1]) for r in rows]
            assert (await connection.execute(text("SELECT count(*) FROM rating"))).scalar() == 1
            if connection.dialect.name == "sqlite":
                assert (await connection.execute(text("PRAGMA foreign_key_check"))).all() == []
        await engine.dispose()
        return result

    operator_id = asyncio.run(arrange())
    downgrade(url, "0002")
    upgrade(url)
    assert asyncio.run(scopes()) == [("call-1001", f"user:{operator_id}"), ("web-1", "")]
    assert _schema_diff(url) == []


def test_demo_air_time_migration_moves_the_local_digits_to_utc(tmp_path: Any) -> None:
    import sqlite3

    path = tmp_path / "old-demo.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}", "0006")
    columns = "slug, title, theme, description, status, answer_deadline_days, filler_phrases, studio_link_version"
    with sqlite3.connect(path) as connection:
        for slug, start in (("trach-nhiem-cong-vu-cai-cach-tthc", "20:00"), ("ky-khac", "20:00")):
            connection.execute(
                f"INSERT INTO episode ({columns}, air_start, air_end, created_at, updated_at) "  # noqa: S608
                "VALUES (?, 't', '', '', 'open', 10, '[]', 1, ?, ?, '2026-11-29 01:00:00.000000', "
                "'2026-11-29 01:00:00.000000')",
                (slug, f"2026-12-05 {start}:00.000000", "2026-12-05 21:00:00.000000"),
            )
    upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as connection:
        rows = dict(connection.execute("SELECT slug, air_start || ' ' || air_end FROM episode").fetchall())
    assert rows == {
        "trach-nhiem-cong-vu-cai-cach-tthc": "2026-12-05 13:00:00.000000 2026-12-05 14:00:00.000000",
        "ky-khac": "2026-12-05 20:00:00.000000 2026-12-05 21:00:00.000000",
    }


def test_routing_note_migration_takes_the_latest_note_from_the_audit(tmp_path: Any) -> None:
    import sqlite3

    path = tmp_path / "notes.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}", "0007")
    stamp = "2026-11-29 01:00:00.000000"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO episode (slug, title, theme, description, status, answer_deadline_days, filler_phrases, "
            "studio_link_version, created_at, updated_at) VALUES ('k', 't', '', '', 'open', 10, '[]', 1, ?, ?)",
            (stamp, stamp),
        )
        for _ in range(2):
            connection.execute(
                "INSERT INTO question (episode_id, public_text, search_text, status, priority, submission_count, "
                "duplicate_suggestions, route_suggestions, version, created_at, updated_at) "
                "VALUES (1, 'q', 'q', 'routed', 0, 1, '[]', '[]', 1, ?, ?)",
                (stamp, stamp),
            )
        for entity, note in ((1, "cũ"), (1, "mới nhất"), (1, None), (2, None)):
            connection.execute(
                "INSERT INTO audit_event (actor_label, action, entity_type, entity_id, note, at) "
                "VALUES ('bientap1', 'question.route', 'question', ?, ?, ?)",
                (entity, note, stamp),
            )
    upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as connection:
        notes = dict(connection.execute("SELECT id, routing_note FROM question").fetchall())
    assert notes == {1: "mới nhất", 2: None}
