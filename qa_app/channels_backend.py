"""Live updates that survive Redis going away.

(Time limits use ``asyncio.timeout``, not ``wait_for``: on Python 3.11 ``wait_for`` can swallow a
cancellation, and a background task that ignores its cancellation hangs the worker's shutdown.)

Litestar's Redis pub/sub backend subscribes once: when Redis restarts, its listener task dies and no
socket hears another event until the workers restart. This backend instead

- delivers every event to this worker's own subscribers in process, at once, so a worker never freezes
  while Redis is down; Redis only carries events to the *other* workers (each message is tagged with its
  worker, and a worker drops its own when they come back from Redis);
- keeps its Redis subscription alive: it reconnects with a short back-off, re-subscribes to every channel
  with local subscribers, and notices a silently dead subscription by its own heartbeat not echoing back;
- asks for a **re-sync** after any gap: when the subscription comes back (this worker may have missed
  others' events) it re-syncs its own sockets and tells the other workers to re-sync theirs (they may
  have missed this worker's). A re-sync is the message :data:`RESYNC` on :data:`RESYNC_CHANNEL`, which
  every live socket subscribes to and answers with a fresh snapshot of its region.

Without Redis (one worker) it is a plain in-process backend that still carries re-sync requests (the live
publisher asks for one after a database outage).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from collections.abc import AsyncGenerator, Iterable
from typing import Any

from litestar.channels.backends.base import ChannelsBackend

logger = logging.getLogger("qa_app.live")

RESYNC_CHANNEL = "qa:resync"
RESYNC = b"\x00resync"

_HEARTBEAT = b"H"
_RESYNC_ALL = b"R"
_ORIGIN_BYTES = 16


class ResilientChannelsBackend(ChannelsBackend):
    HEARTBEAT_SECONDS = 2.0
    STALE_SECONDS = 7.0  # no echo of our own heartbeat for this long: the subscription is dead
    RETRY_MAX_SECONDS = 1.0
    RESYNC_DEBOUNCE_SECONDS = 0.3  # requests this close together make one re-sync
    MAX_OUTBOX = 2000
    OP_TIMEOUT_SECONDS = 2.0

    def __init__(self, redis: Any | None = None, *, key_prefix: str = "qa:channels") -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._control = f"{key_prefix}:control".encode()
        self._origin = secrets.token_hex(_ORIGIN_BYTES // 2).encode()
        self._channels: set[str] = set()  # channels with subscribers in this worker
        self._queue: asyncio.Queue[tuple[str, bytes]] | None = None
        self._outbox: deque[tuple[list[str], bytes]] = deque(maxlen=self.MAX_OUTBOX)
        self._outbox_ready: asyncio.Event | None = None
        self._pubsub: Any | None = None
        self._stale = False
        self._publish_lost = False  # an event did not reach the other workers: they must re-sync
        self._resync_pending: asyncio.TimerHandle | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._first_attempt: asyncio.Event | None = None
        self.connected = False  # the Redis subscription is live
        self.resyncs = 0  # re-syncs delivered to this worker's sockets

    # -- ChannelsBackend -------------------------------------------------------------------------

    async def on_startup(self) -> None:
        self._queue = asyncio.Queue()
        self._outbox_ready = asyncio.Event()
        self._first_attempt = asyncio.Event()
        if self._redis is not None:
            self._tasks = [
                asyncio.create_task(self._listen(), name="channels-listen"),
                asyncio.create_task(self._send(), name="channels-send"),
            ]
            # Serve with the subscription in place when Redis answers; start anyway when it does not.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.OP_TIMEOUT_SECONDS):
                    await self._first_attempt.wait()

    async def on_shutdown(self) -> None:
        """Stop talking to Redis (the app calls this before it closes the Redis client; idempotent)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=self.OP_TIMEOUT_SECONDS)
        self.connected = False
        if self._resync_pending is not None:
            self._resync_pending.cancel()
        await self._close_pubsub()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        assert self._queue is not None, "on_startup first"
        names = list(channels)
        for name in names:
            if name == RESYNC_CHANNEL:
                self.request_resync()
            elif name in self._channels:
                self._queue.put_nowait((name, data))
        if self._redis is None:
            return
        if not self.connected:
            self._publish_lost = True  # the others re-sync when the subscription is back
            return
        self._outbox.append((names, data))
        assert self._outbox_ready is not None
        self._outbox_ready.set()

    async def subscribe(self, channels: Iterable[str]) -> None:
        new = [c for c in channels if c not in self._channels]
        self._channels.update(new)
        await self._remote_call("subscribe", [c for c in new if c != RESYNC_CHANNEL])

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        gone = [c for c in channels if c in self._channels]
        self._channels.difference_update(gone)
        await self._remote_call("unsubscribe", [c for c in gone if c != RESYNC_CHANNEL])

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        assert self._queue is not None, "on_startup first"
        while True:
            channel, data = await self._queue.get()
            if channel in self._channels:
                yield channel, data

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        return []

    # -- re-sync -----------------------------------------------------------------------------------

    def request_resync(self) -> None:
        """Every socket of this worker takes a fresh snapshot shortly (requests close together: once)."""
        if self._resync_pending is None:
            loop = asyncio.get_running_loop()
            self._resync_pending = loop.call_later(self.RESYNC_DEBOUNCE_SECONDS, self._deliver_resync)

    def _deliver_resync(self) -> None:
        self._resync_pending = None
        self.resyncs += 1
        if self._queue is not None and RESYNC_CHANNEL in self._channels:
            self._queue.put_nowait((RESYNC_CHANNEL, RESYNC))

    # -- Redis -------------------------------------------------------------------------------------

    def _remote_name(self, channel: str) -> bytes:
        return f"{self._prefix}:{channel}".encode()

    async def _remote_call(self, method: str, channels: list[str]) -> None:
        pubsub = self._pubsub
        if not channels or pubsub is None or not self.connected:
            return  # the listener subscribes to every local channel when it (re)connects
        try:
            async with asyncio.timeout(self.OP_TIMEOUT_SECONDS):
                await getattr(pubsub, method)(*[self._remote_name(c) for c in channels])
        except Exception as exc:  # Redis errors, timeouts, a connection closing under us
            logger.warning("live updates: Redis %s failed (%s); reconnecting", method, exc)
            self._stale = True

    async def _listen(self) -> None:
        """Keep one subscription alive for as long as the worker runs."""
        assert self._redis is not None
        delay = 0.1
        lost = False
        while True:
            pubsub = self._redis.pubsub()
            try:
                wanted = [self._remote_name(c) for c in self._channels if c != RESYNC_CHANNEL]
                async with asyncio.timeout(self.OP_TIMEOUT_SECONDS):
                    await pubsub.subscribe(self._control, *wanted)
                self._pubsub, self._stale, self.connected = pubsub, False, True
                # Channels that gained their first subscriber while we were subscribing.
                missing = [c for c in self._channels if c != RESYNC_CHANNEL and self._remote_name(c) not in wanted]
                await self._remote_call("subscribe", missing)
                if lost:
                    logger.warning("live updates: Redis subscription restored; every screen re-syncs")
                    self.request_resync()  # we may have missed the others' events
                    self._publish_lost = True  # and they ours: the sender tells them
                    self._wake_sender()
                lost, delay = False, 0.1
                self._attempted()
                await self._read(pubsub)
            except asyncio.CancelledError:
                await self._close_pubsub(pubsub)
                raise
            except Exception as exc:
                if not lost:
                    logger.warning("live updates: Redis subscription lost (%s); serving this worker's screens", exc)
                self.connected, self._pubsub, lost = False, None, True
                self._attempted()
                await self._close_pubsub(pubsub)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.RETRY_MAX_SECONDS)

    def _attempted(self) -> None:
        if self._first_attempt is not None:
            self._first_attempt.set()

    async def _read(self, pubsub: Any) -> None:
        """Deliver what other workers publish; returns only by raising when the subscription dies."""
        assert self._redis is not None and self._queue is not None
        loop = asyncio.get_running_loop()
        last_echo = loop.time()
        next_beat = 0.0
        prefix = len(self._prefix) + 1
        while True:
            now = loop.time()
            if self._stale:
                raise ConnectionError("a subscription change failed")
            if now - last_echo > self.STALE_SECONDS:
                raise ConnectionError(f"no heartbeat for {self.STALE_SECONDS:.0f} s")
            if now >= next_beat:
                next_beat = now + self.HEARTBEAT_SECONDS
                async with asyncio.timeout(self.OP_TIMEOUT_SECONDS):
                    await self._redis.publish(self._control, self._origin + _HEARTBEAT)
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if not message or message.get("type") != "message":
                continue
            channel, payload = message["channel"], message["data"]
            origin, body = payload[:_ORIGIN_BYTES], payload[_ORIGIN_BYTES:]
            if channel == self._control:
                if origin == self._origin:
                    last_echo = loop.time()
                elif body == _RESYNC_ALL:
                    self.request_resync()
                continue
            if origin == self._origin:
                continue  # delivered in process when it was published
            name = channel.decode()[prefix:]
            if name in self._channels:
                self._queue.put_nowait((name, body))

    def _wake_sender(self) -> None:
        if self._outbox_ready is not None:
            self._outbox_ready.set()

    async def _send(self) -> None:
        """Publish to the other workers in the background, so a slow Redis never delays this worker."""
        assert self._redis is not None and self._outbox_ready is not None
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            while (self._outbox or self._publish_lost) and self.connected:
                batch = [self._outbox.popleft() for _ in range(min(len(self._outbox), 100))]
                pipe = self._redis.pipeline(transaction=False)
                if self._publish_lost:
                    pipe.publish(self._control, self._origin + _RESYNC_ALL)
                for names, data in batch:
                    for name in names:
                        if name == RESYNC_CHANNEL:
                            pipe.publish(self._control, self._origin + _RESYNC_ALL)
                        else:
                            pipe.publish(self._remote_name(name), self._origin + data)
                try:
                    async with asyncio.timeout(self.OP_TIMEOUT_SECONDS):
                        await pipe.execute()
                except Exception as exc:
                    logger.warning("live updates: could not publish to Redis (%s)", exc)
                    self._publish_lost = True
                    await asyncio.sleep(0.2)
                else:
                    self._publish_lost = False
            if not self.connected:
                self._outbox.clear()  # nobody hears them now; the re-sync after reconnecting covers them

    async def _close_pubsub(self, pubsub: Any | None = None) -> None:
        pubsub = pubsub or self._pubsub
        if pubsub is None:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):
                await pubsub.aclose()
