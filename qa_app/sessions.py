"""The session store when Redis holds sessions: staff keep working while Redis is down.

Redis stays the shared store (a session works on every worker). This worker also keeps a bounded copy
of the sessions it has read or written, and while Redis does not answer it serves and updates that copy:
a staff member already logged in keeps working on this worker, and one whose request lands on a worker
that never saw their session logs in again there (the login works). What changed meanwhile is written
back to Redis when it answers again (a session renewed, created or ended during the outage), so nobody is
logged out by the recovery, and a logout during the outage does not come back to life.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from litestar.stores.base import Store

from qa_app.availability import RedisGuard, RedisUnavailable


@dataclass
class _Copy:
    value: bytes
    expires_at: float | None  # monotonic
    unsynced: bool  # written while Redis did not answer: Redis has not got it yet


def _seconds(value: int | timedelta | None) -> int | None:
    if value is None:
        return None
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


class FallbackSessionStore(Store):
    """``primary`` (Redis) when it answers, this worker's copy when it does not."""

    def __init__(self, primary: Store, guard: RedisGuard, *, max_entries: int = 20_000) -> None:
        self._primary = primary
        self._guard = guard
        self._max_entries = max_entries
        self._copies: OrderedDict[str, _Copy] = OrderedDict()
        self._deleted: set[str] = set()  # ended while Redis did not answer: delete there when it does

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        if key in self._deleted:
            return None
        try:
            await self._write_back()
            value = await self._guard.run(lambda: self._primary.get(key, renew_for=renew_for))
        except RedisUnavailable:
            copy = self._copy(key)
            if copy is None:
                return None
            if renew_for is not None and copy.expires_at is not None:
                copy.expires_at = time.monotonic() + (_seconds(renew_for) or 0)
                copy.unsynced = True
            return copy.value
        if value is not None:
            self._remember(key, value, _seconds(renew_for), unsynced=False)
            return value
        copy = self._copy(key)
        if copy is None or not copy.unsynced:
            self._copies.pop(key, None)  # ended elsewhere (logout, expiry): never revive it
            return None
        await self._sync(key, copy)  # made or renewed here while Redis was away
        return copy.value

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        self._deleted.discard(key)
        copy = self._remember(key, data, _seconds(expires_in), unsynced=True)
        await self._sync(key, copy)

    async def delete(self, key: str) -> None:
        self._copies.pop(key, None)
        try:
            await self._guard.run(lambda: self._primary.delete(key))
        except RedisUnavailable:
            self._deleted.add(key)

    async def delete_all(self) -> None:
        self._copies.clear()
        with contextlib.suppress(RedisUnavailable):
            await self._guard.run(self._primary.delete_all)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        try:
            return await self._guard.run(lambda: self._primary.expires_in(key))
        except RedisUnavailable:
            copy = self._copy(key)
            if copy is None or copy.expires_at is None:
                return None
            return max(0, int(copy.expires_at - time.monotonic()))

    async def delete_expired(self) -> None:
        """Forget this worker's expired copies (Redis expires its own keys)."""
        now = time.monotonic()
        for key in [k for k, c in self._copies.items() if c.expires_at is not None and c.expires_at <= now]:
            del self._copies[key]

    def _copy(self, key: str) -> _Copy | None:
        copy = self._copies.get(key)
        if copy is not None and copy.expires_at is not None and copy.expires_at <= time.monotonic():
            del self._copies[key]
            return None
        return copy

    def _remember(self, key: str, value: bytes, expires_in: int | None, *, unsynced: bool) -> _Copy:
        expires_at = time.monotonic() + expires_in if expires_in is not None else None
        copy = _Copy(value, expires_at, unsynced)
        self._copies[key] = copy
        self._copies.move_to_end(key)
        while len(self._copies) > self._max_entries:
            self._copies.popitem(last=False)
        return copy

    async def _sync(self, key: str, copy: _Copy) -> None:
        expires_in = None if copy.expires_at is None else max(1, int(copy.expires_at - time.monotonic()))
        try:
            await self._guard.run(lambda: self._primary.set(key, copy.value, expires_in=expires_in))
        except RedisUnavailable:
            copy.unsynced = True
            return
        copy.unsynced = False

    async def _write_back(self) -> None:
        """Logouts made while Redis was away reach it before anything is read from it."""
        while self._deleted:
            key = next(iter(self._deleted))
            await self._guard.run(partial(self._primary.delete, key))
            self._deleted.discard(key)
