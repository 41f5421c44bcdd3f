"""Clients for the fault suite: servers of our own, sockets that keep everything they hear, submissions."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from qa_app.settings import Settings
from tests.live import LiveServer, free_port


def server(settings: Settings, log: Path, **env: str) -> LiveServer:
    """A uvicorn worker of its own (not started) on ``settings``' database; ``env`` adds QA_* variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    port = free_port()
    base.update(
        QA_ENV="test",
        QA_DATABASE_URL=settings.database_url,
        QA_SECRET_KEY=settings.secret_key,
        QA_VAR_DIR=str(settings.var_dir),
        QA_REDIS_PREFIX=settings.redis_prefix,
        QA_PORT=str(port),
    )
    if settings.redis_url:
        base["QA_REDIS_URL"] = settings.redis_url
    base.update(env)
    return LiveServer(settings=settings, port=port, env=base, log=log)


@contextlib.contextmanager
def running(*servers: LiveServer) -> Iterator[None]:
    try:
        for each in servers:
            each.start()
        yield
    finally:
        for each in servers:
            each.stop()


@dataclass
class Screen:
    """A websocket that keeps every message it receives (and when), like a browser's live region."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    messages: list[tuple[float, str]] = field(default_factory=list)
    closed: int | None = None  # close code once closed

    def saw(self, needle: str, since: float = 0.0) -> bool:
        return any(needle in text for at, text in self.messages if at >= since)

    def when(self, needle: str, since: float = 0.0) -> float | None:
        return next((at for at, text in self.messages if at >= since and needle in text), None)

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[Screen]:
        loop = asyncio.get_running_loop()
        async with websockets.connect(self.url, additional_headers=self.headers, max_size=None) as ws:

            async def read() -> None:
                try:
                    async for message in ws:
                        self.messages.append((loop.time(), str(message)))
                except websockets.ConnectionClosed:
                    pass
                self.closed = ws.close_code

            task = asyncio.create_task(read())
            try:
                yield self
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def until(condition: Callable[[], bool], seconds: float, what: str = "") -> None:
    try:
        async with asyncio.timeout(seconds):
            while not condition():  # noqa: ASYNC110 - polling what other tasks and processes change
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {seconds} s: {what}") from None


async def web_submit(client: httpx.AsyncClient, slug: str, text: str, key: str) -> httpx.Response:
    """The citizen's form, as the browser sends it (CSRF cookie from the page, then the POST)."""
    if not client.cookies.get("qa_csrf"):
        await client.get(f"/ky/{slug}")
    return await client.post(
        f"/ky/{slug}/gui-cau-hoi",
        data={"text": text, "idempotency_key": key, "_csrf_token": client.cookies.get("qa_csrf") or ""},
    )


async def api_submit(client: httpx.AsyncClient, slug: str, text: str, key: str, **extra: Any) -> httpx.Response:
    payload = {"text": text, "idempotency_key": key, **extra}
    return await client.post(f"/api/v1/episodes/{slug}/submissions", json=payload)
