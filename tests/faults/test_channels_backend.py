"""The resilient channels backend between two "workers" (two plugins in this process) on a Redis of our own."""

from __future__ import annotations

import asyncio

from litestar.channels import ChannelsPlugin
from redis.asyncio import Redis

from qa_app.channels_backend import RESYNC, RESYNC_CHANNEL, ResilientChannelsBackend
from tests.faults.clients import until
from tests.faults.procs import RedisServer


def _worker(url: str) -> tuple[ChannelsPlugin, ResilientChannelsBackend]:
    backend = ResilientChannelsBackend(
        Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=2.0), key_prefix="qa-faults:channels"
    )
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True), backend


async def test_workers_hear_each_other_once_and_resume_with_a_resync_after_redis_restarts(
    redis_server: RedisServer,
) -> None:
    (plugin_a, backend_a), (plugin_b, backend_b) = _worker(redis_server.url), _worker(redis_server.url)
    heard: dict[str, list[bytes]] = {"a": [], "b": []}

    async def record(name: str, data: bytes) -> None:
        heard[name].append(data)

    async with plugin_a, plugin_b:
        sub_a = await plugin_a.subscribe(["board", RESYNC_CHANNEL])
        sub_b = await plugin_b.subscribe(["board", RESYNC_CHANNEL])
        async with (
            sub_a.run_in_background(lambda data: record("a", data)),
            sub_b.run_in_background(lambda data: record("b", data)),
        ):
            await until(lambda: backend_a.connected and backend_b.connected, 5)
            plugin_a.publish(b"one", "board")
            await until(lambda: heard["b"] == [b"one"], 5)
            await asyncio.sleep(0.5)
            assert heard == {"a": [b"one"], "b": [b"one"]}  # its own once (in process), never again via Redis

            redis_server.kill()
            plugin_a.publish(b"two", "board")  # Redis is gone: this worker's screens still hear it
            await until(lambda: b"two" in heard["a"], 5)
            await until(lambda: not backend_a.connected and not backend_b.connected, 10)

            redis_server.start()  # empty, as after a restart without persistence
            loop = asyncio.get_running_loop()
            back = loop.time()
            # Both re-sync (each may have missed the other's events), then events flow again.
            await until(lambda: RESYNC in heard["a"] and RESYNC in heard["b"], 5)
            plugin_b.publish(b"three", "board")
            await until(lambda: b"three" in heard["a"], 5)
            assert loop.time() - back < 5
            assert b"two" not in heard["b"]  # lost while Redis was down: the re-sync covers it
            client = Redis.from_url(redis_server.url)
            channels = await client.pubsub_channels("qa-faults:channels:*")
            await client.aclose()
            assert b"qa-faults:channels:board" in channels
        for backend in (backend_a, backend_b):
            await backend._redis.aclose()  # type: ignore[union-attr]
