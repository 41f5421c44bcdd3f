"""Engine and session factory. SQLite gets WAL, synchronous=FULL, foreign keys and one connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # FULL: an acknowledged submission survives a power cut, not only a process kill.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)


def create_engine(database_url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for ``database_url`` with the settings this application relies on."""
    url = make_url(database_url)
    kwargs: dict[str, Any] = {"echo": echo}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLite has one writer; a single pooled connection serialises writes in the app instead of
        # in busy-retry loops, which keeps the tail latency low.
        kwargs.update(poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0, pool_timeout=30)
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: templates render objects after the commit without lazy loads.
    return async_sessionmaker(engine, expire_on_commit=False)
