"""The app object served by a real uvicorn in the test's own event loop.

For tests that need real concurrency over HTTP (Litestar's test client runs one request at a time)
and a handle on the app's runtime, e.g. to count password verifications with a recording fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import httpx
import uvicorn
from litestar import Litestar


@contextlib.asynccontextmanager
async def served(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for ``app`` served on a free local port (the peer address is 127.0.0.1)."""
    # Bound here and handed over: no other process can take the port between choosing and binding it.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", proxy_headers=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
            yield client
    finally:
        server.should_exit = True
        await task
        listener.close()


async def login_form(client: httpx.AsyncClient) -> dict[str, str]:
    """Fetch the login page for its CSRF cookie; returns the form fields to send with each attempt."""
    await client.get("/login")
    return {"_csrf_token": client.cookies.get("qa_csrf") or ""}
