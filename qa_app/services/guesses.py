"""A per-address limit on wrong guesses of secret codes (tracking codes, rating codes).

Only misses are counted, so a citizen who looks up their own code a hundred times never notices,
while someone trying codes runs out after a few dozen. A miss is counted after the look-up, so a
burst sent at once could all pass the check before the first miss is counted: the look-ups of one
address are therefore let through a few at a time (per worker), which bounds that overshoot.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from qa_app.i18n import gettext as _
from qa_app.security import Counter, address_bucket
from qa_app.services.errors import Throttled


@dataclass(frozen=True)
class Guess:
    """One look-up under way; call :meth:`missed` when the code was wrong."""

    limiter: GuessLimiter
    key: str

    async def missed(self) -> None:
        await self.limiter.counter.hit(self.key, self.limiter.window)


class GuessLimiter:
    IN_FLIGHT_PER_ADDRESS = 4

    def __init__(self, counter: Counter, limit: tuple[int, int]) -> None:
        self.counter = counter
        self.limit, self.window = limit
        self._gates: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @contextlib.asynccontextmanager
    async def guess(self, ip: str) -> AsyncIterator[Guess]:
        """Throttled (429) when the address has missed too often in the window."""
        place = address_bucket(ip)
        gate, users = self._gates.get(place) or (asyncio.Semaphore(self.IN_FLIGHT_PER_ADDRESS), 0)
        self._gates[place] = (gate, users + 1)
        try:
            async with gate:
                key = f"guess:ip:{place}"
                if await self.counter.get(key) >= self.limit:
                    raise Throttled(
                        _("Too many wrong codes from your connection. Please wait a few minutes and try again.")
                    )
                yield Guess(self, key)
        finally:
            gate, users = self._gates[place]
            if users <= 1:
                del self._gates[place]
            else:
                self._gates[place] = (gate, users - 1)
