"""Passwords, API tokens, shared counters for throttling, and the websocket Origin check."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import ipaddress
import os
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from qa_app.availability import RedisGuard, RedisUnavailable

TOKEN_PREFIX = "qa_"  # noqa: S105 - a prefix, not a secret
T = TypeVar("T")


def _lower_priority() -> None:
    """Run argon2 below the event loop's priority: a login may wait a little, the loop must not.
    On Linux the nice value is per thread, and argon2's own lane threads inherit it."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# Shared by every Passwords of the process; each bounds its own concurrency below this.
_HASHING_THREADS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="argon2", initializer=_lower_priority)


class PasswordsBusy(Exception):
    """More password checks are queued than :class:`Passwords` accepts to wait for."""


class Passwords:
    """Argon2id hashing with the cost taken from settings, off the event loop.

    Each hash or verification runs in a worker thread (argon2-cffi releases the GIL), at most
    ``concurrency`` at a time per event loop: with the production cost one takes 64 MiB and ~0.15 s
    of CPU, so a login storm queues here instead of freezing the loop or eating memory. Beyond
    ``max_waiting`` queued calls, :class:`PasswordsBusy` is raised at once.
    """

    def __init__(
        self, time_cost: int = 3, memory_cost: int = 65536, *, concurrency: int = 2, max_waiting: int = 256
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)
        self.concurrency = max(1, concurrency)
        self.max_waiting = max_waiting
        # One gate per event loop: an asyncio primitive belongs to the loop it is used in.
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._waiting = 0
        # Verified against when the user does not exist, so that timing does not reveal usernames.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await self._off_loop(self.hash_now, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Does ``password`` match? An unknown user (``None``) costs as much as a known one."""
        return await self._off_loop(self.verify_now, password_hash, password)

    def hash_now(self, password: str) -> str:
        """Hash in the calling thread: for worker threads and commands, never the event loop."""
        return self._hasher.hash(password)

    def verify_now(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _off_loop(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.concurrency)
        if gate.locked() and self._waiting >= self.max_waiting:
            raise PasswordsBusy
        self._waiting += 1
        try:
            await gate.acquire()
        finally:
            self._waiting -= 1
        # The slot is given back when the thread is done, even if the request is cancelled first:
        # a cancelled caller must not let more hashes run at once than the bound.
        job = loop.run_in_executor(_HASHING_THREADS, functools.partial(work, *args))
        job.add_done_callback(lambda _: gate.release())
        return await asyncio.shield(job)


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_signature(secret: str, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, message), signature)


class Counter(Protocol):
    """A fixed-window counter shared by every worker that uses the same backend."""

    async def hit(self, key: str, window_seconds: int) -> int:
        """Count one event under ``key`` and return the count in the current window."""
        ...

    async def get(self, key: str) -> int: ...

    async def reset(self, key: str) -> None: ...


class MemoryCounter:
    """Per-process counter: right for the embedded single-worker deployment and for tests."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}

    async def hit(self, key: str, window_seconds: int, amount: int = 1) -> int:
        now = time.monotonic()
        count, expires = self._counts.get(key, (0, 0.0))
        if expires <= now:
            count, expires = 0, now + window_seconds
        count += amount
        self._counts[key] = (count, expires)
        if len(self._counts) > 100_000:
            self._evict(now)
        return count

    async def get(self, key: str) -> int:
        count, expires = self._counts.get(key, (0, 0.0))
        return count if expires > time.monotonic() else 0

    async def reset(self, key: str) -> None:
        self._counts.pop(key, None)

    def _evict(self, now: float) -> None:
        for key in [k for k, (_, exp) in self._counts.items() if exp <= now]:
            del self._counts[key]


class RedisCounter:
    """Atomic INCR + EXPIRE in Redis, so limits hold across workers (Litestar's limiter is per process)."""

    def __init__(self, redis: object, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def hit(self, key: str, window_seconds: int) -> int:
        full = f"{self._prefix}:count:{key}"
        pipe = self._redis.pipeline()  # type: ignore[attr-defined]
        pipe.incr(full)
        pipe.expire(full, window_seconds, nx=True)
        count, _ = await pipe.execute()
        return int(count)

    async def get(self, key: str) -> int:
        value = await self._redis.get(f"{self._prefix}:count:{key}")  # type: ignore[attr-defined]
        return int(value or 0)

    async def reset(self, key: str) -> None:
        await self._redis.delete(f"{self._prefix}:count:{key}")  # type: ignore[attr-defined]


class FallbackCounter:
    """Counts in Redis while it answers and in this process's memory while it does not.

    The fallback, documented in the README: limits on what citizens send (submissions, ratings,
    look-ups) fail open, i.e. each worker counts on its own, so a citizen is never refused because
    Redis blinked; login attempts are counted stricter, each failure weighing ``strict_weight`` (the
    number of workers, at least 2), so a guesser spread over the workers gets no more tries than with
    Redis.
    """

    def __init__(
        self,
        redis: RedisCounter,
        guard: RedisGuard,
        *,
        strict_prefixes: tuple[str, ...] = ("login:",),
        strict_weight: int = 1,
    ) -> None:
        self._redis = redis
        self._guard = guard
        self._memory = MemoryCounter()
        self._strict_prefixes = strict_prefixes
        self._strict_weight = max(1, strict_weight)

    async def hit(self, key: str, window_seconds: int) -> int:
        try:
            return await self._guard.run(partial(self._redis.hit, key, window_seconds))
        except RedisUnavailable:
            weight = self._strict_weight if key.startswith(self._strict_prefixes) else 1
            return await self._memory.hit(key, window_seconds, amount=weight)

    async def get(self, key: str) -> int:
        try:
            return await self._guard.run(partial(self._redis.get, key))
        except RedisUnavailable:
            return await self._memory.get(key)

    async def reset(self, key: str) -> None:
        await self._memory.reset(key)
        with contextlib.suppress(RedisUnavailable):
            await self._guard.run(partial(self._redis.reset, key))


def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...], *, required: bool) -> bool:
    """Is a websocket handshake's ``Origin`` the page's own host or an explicitly allowed origin?

    Browsers always send Origin on websocket handshakes; only non-browser clients omit it, which
    ``required`` refuses (staff sockets) or accepts (read-only public sockets).
    """
    if not origin:
        return not required
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return False
    return host is not None and parts.netloc.lower() == host.lower()


def address_bucket(ip: str) -> str:
    """The unit that per-address limits count: an IPv4 address, or the /64 of an IPv6 address
    (one subscriber usually holds a whole /64 and could rotate through it)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)
