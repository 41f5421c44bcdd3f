"""A background job that runs shortly after the app starts, then every ``interval`` seconds.

The purges and sweeps are idempotent, so every worker may run them; a failed run is logged and tried
again at the next interval, never stopping the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger("qa_app.periodic")

__all__ = ["Periodic"]


class Periodic:
    """Subclasses say what one run does (:meth:`run_once`); this class owns the loop and its task."""

    name = "periodic"
    failure = "a periodic job failed"

    def __init__(
        self,
        *,
        interval: float,
        delay: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval, self.delay = interval, delay
        self.sleep = sleep  # the clock it waits on: a test sets a controllable one before the app starts
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        await self.sleep(self.delay)
        while True:
            try:
                await self.run_once()
            except Exception:  # retried at the next interval
                logger.exception(self.failure)
            await self.sleep(self.interval)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
