"""The fault suite: real processes killed and restarted (``-m faults``; ``make test`` runs it in both runs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qa_app.settings import Settings
from tests.faults.procs import PG_BIN, REDIS_SERVER, PostgresCluster, RedisServer, require


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def postgres_run(settings: Settings) -> None:
    """Skip in the SQLite run, before any process is started (list it before the process fixtures)."""
    if settings.is_sqlite:
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL + Redis run")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own on a free port (never the shared one)."""
    require(REDIS_SERVER, "redis-server")
    server = RedisServer()
    server.start()
    yield server
    server.kill()


@pytest.fixture
def pg_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster of the test's own, started (never the shared one)."""
    require(PG_BIN / "initdb", "PostgreSQL's initdb")
    cluster = PostgresCluster.create()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
