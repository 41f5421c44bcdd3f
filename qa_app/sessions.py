"""The session store when Redis holds sessions: staff keep working while Redis is down.

Redis stays the shared store (a session works on every worker). This worker also keeps a bounded copy
of the sessions it has read or written, and while Redis does not answer it serves and updates that copy:
a staff member already logged in keeps working on this worker, and one whose request lands on a worker
that never saw their session logs in again there (the login works). What changed meanwhile (sessions
renewed, created or ended during the outage) is written to Redis as soon as it answers again, so nobody
is logged out by the recovery, and a logout made during the outage stays a logout.
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

WRITE_BACK_BATCH = 100  # changes written back per request after an outage (the rest on the next ones)


@dataclass
class _Copy:
    value: bytes
    expires_at: float | None  # monotonic


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
        self._unsynced: set[str] = set()  # written here while Redis did not answer: newer than Redis's
        self._deleted: set[str] = set()  # ended here while Redis did not answer: delete there too

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        if key in self._deleted:
            return None
        try:
            await self._write_back()
            if key in self._unsynced and (copy := self._copy(key)) is not None:
                await self._push(key, copy)  # ours is newer than what Redis holds, if anything
                return copy.value
            value = await self._guard.run(partial(self._primary.get, key, renew_for=renew_for))
        except RedisUnavailable:
            copy = self._copy(key)
            if copy is None:
                return None
            if renew_for is not None and copy.expires_at is not None:
                copy.expires_at = time.monotonic() + (_seconds(renew_for) or 0)
                self._unsynced.add(key)
            return copy.value
        if value is None:
            self._forget(key)  # ended elsewhere (logout, expiry) or lost by Redis: never revive it
            return None
        self._remember(key, value, _seconds(renew_for))
        return value

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        self._deleted.discard(key)
        copy = self._remember(key, data, _seconds(expires_in))
        self._unsynced.add(key)
        with contextlib.suppress(RedisUnavailable):
            await self._push(key, copy)

    async def delete(self, key: str) -> None:
        self._forget(key)
        try:
            await self._guard.run(partial(self._primary.delete, key))
        except RedisUnavailable:
            self._deleted.add(key)

    async def delete_all(self) -> None:
        self._copies.clear()
        self._unsynced.clear()
        with contextlib.suppress(RedisUnavailable):
            await self._guard.run(self._primary.delete_all)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        try:
            return await self._guard.run(partial(self._primary.expires_in, key))
        except RedisUnavailable:
            copy = self._copy(key)
            if copy is None or copy.expires_at is None:
                return None
            return max(0, int(copy.expires_at - time.monotonic()))

    async def delete_expired(self) -> None:
        """Forget this worker's expired copies (Redis expires its own keys)."""
        now = time.monotonic()
        for key in [k for k, c in self._copies.items() if c.expires_at is not None and c.expires_at <= now]:
            self._forget(key)

    def _copy(self, key: str) -> _Copy | None:
        copy = self._copies.get(key)
        if copy is not None and copy.expires_at is not None and copy.expires_at <= time.monotonic():
            self._forget(key)
            return None
        return copy

    def _forget(self, key: str) -> None:
        self._copies.pop(key, None)
        self._unsynced.discard(key)

    def _remember(self, key: str, value: bytes, expires_in: int | None) -> _Copy:
        expires_at = time.monotonic() + expires_in if expires_in is not None else None
        copy = _Copy(value, expires_at)
        self._copies[key] = copy
        self._copies.move_to_end(key)
        while len(self._copies) > self._max_entries:
            self._forget(next(iter(self._copies)))
        return copy

    async def _push(self, key: str, copy: _Copy) -> None:
        """Write this worker's copy to Redis (RedisUnavailable when it does not answer)."""
        expires_in = None if copy.expires_at is None else max(1, int(copy.expires_at - time.monotonic()))
        await self._guard.run(partial(self._primary.set, key, copy.value, expires_in=expires_in))
        self._unsynced.discard(key)

    async def _write_back(self) -> None:
        """What changed here while Redis was away reaches it before anything is read from it."""
        while self._deleted:
            key = next(iter(self._deleted))
            await self._guard.run(partial(self._primary.delete, key))
            self._deleted.discard(key)
        for key in list(self._unsynced)[:WRITE_BACK_BATCH]:
            copy = self._copy(key)
            if copy is None:
                self._unsynced.discard(key)
            else:
                await self._push(key, copy)
