"""Is a backing service answering? The database-outage test and the guard every Redis call goes through.

Redis only accelerates (sessions, counters, presence, fan-out to other workers): when it does not answer,
each caller falls back to this process. The database is the source of truth: when it does not answer,
requests get 503 and a "try again in a few seconds", never a 500.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg.exceptions
from redis.exceptions import RedisError
from sqlalchemy import exc as sa_exc

logger = logging.getLogger("qa_app.availability")

T = TypeVar("T")

# SQLite says these when another process holds the file or the disk misbehaves; "no such table" and the
# like are bugs (a 500), not outages.
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o", "readonly", "disk is full")
_ASYNCPG_UNAVAILABLE = (
    asyncpg.exceptions.PostgresConnectionError,  # the connection failed or was lost
    asyncpg.exceptions.CannotConnectNowError,  # starting up or shutting down
    asyncpg.exceptions.AdminShutdownError,  # "terminating connection due to administrator command"
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,  # "connection is closed", "connection was closed in the middle of operation"
)
# Local file problems are bugs or misconfiguration, not a database that will be back in a moment.
_LOCAL_OS_ERRORS = (FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError, NotADirectoryError)


def database_unavailable(exc: BaseException) -> bool:
    """Did ``exc`` come from a database that cannot be reached right now (down, restarting, locked,
    pool exhausted), as opposed to a bug? Follows the chain of causes."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 10:
        seen.add(id(current))
        if _unavailable(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):  # pool exhausted, stale connection
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        if isinstance(exc.orig, sqlite3.OperationalError):
            return any(word in str(exc.orig).lower() for word in _SQLITE_TRANSIENT)
        return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    if isinstance(exc, _ASYNCPG_UNAVAILABLE):
        return True
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True
    # asyncpg's connect raises a bare OSError ("Multiple exceptions: …") when every address refuses.
    return isinstance(exc, OSError) and not isinstance(exc, _LOCAL_OS_ERRORS)


class RedisUnavailable(Exception):
    """Redis did not answer in time, or is being skipped after a recent failure: use the fallback."""


class RedisGuard:
    """Every Redis call of the request path goes through here: a time limit per call, and after a failure
    Redis is skipped for ``cooldown`` seconds, so that a dead Redis costs requests nothing (the first
    call after the cool-down probes it again)."""

    def __init__(self, *, timeout: float = 1.0, cooldown: float = 2.0) -> None:
        self.timeout = timeout
        self.cooldown = cooldown
        self._skip_until = 0.0
        self._down_since: float | None = None

    @property
    def up(self) -> bool:
        """False from a failure until a call succeeds again."""
        return self._down_since is None

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """``await call()`` within the time limit; RedisUnavailable when Redis fails or is being skipped."""
        if self._down_since is not None and time.monotonic() < self._skip_until:
            raise RedisUnavailable
        try:
            async with asyncio.timeout(self.timeout):  # not wait_for: it can swallow a cancellation on 3.11
                result = await call()
        except (RedisError, OSError, TimeoutError) as exc:
            self.failed(exc)
            raise RedisUnavailable from exc
        self.succeeded()
        return result

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        self._skip_until = now + self.cooldown
        if self._down_since is None:
            self._down_since = now
            logger.warning("Redis is not answering (%s): sessions, limits and presence use this process", exc)

    def succeeded(self) -> None:
        if self._down_since is not None:
            logger.warning("Redis answers again after %.1f s", time.monotonic() - self._down_since)
            self._down_since = None
