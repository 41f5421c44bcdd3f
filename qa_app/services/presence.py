"""Who is editing which question right now (shown on the card to other moderators).

Soft and short-lived: an entry expires after ``TTL_SECONDS`` unless renewed; shared through Redis when
the app runs several workers, in memory otherwise. A hint, never a reason to fail: while Redis does not
answer, nobody is shown as editing.
"""

from __future__ import annotations

import contextlib
import time
from functools import partial
from typing import Any

from qa_app.availability import RedisGuard, RedisUnavailable

TTL_SECONDS = 90


class Presence:
    def __init__(self, redis: Any | None = None, prefix: str = "qa", guard: RedisGuard | None = None) -> None:
        self._redis = redis
        self._prefix = prefix
        self._guard = guard or RedisGuard()
        self._local: dict[int, tuple[str, float]] = {}

    def _key(self, question_id: int) -> str:
        return f"{self._prefix}:editing:{question_id}"

    async def start(self, question_id: int, who: str) -> None:
        if self._redis is not None:
            with contextlib.suppress(RedisUnavailable):
                await self._guard.run(partial(self._redis.set, self._key(question_id), who, ex=TTL_SECONDS))
        else:
            self._local[question_id] = (who, time.monotonic() + TTL_SECONDS)

    async def stop(self, question_id: int, who: str) -> None:
        if await self.editor(question_id) != who:
            return
        if self._redis is not None:
            with contextlib.suppress(RedisUnavailable):
                await self._guard.run(partial(self._redis.delete, self._key(question_id)))
        else:
            self._local.pop(question_id, None)

    async def editor(self, question_id: int) -> str | None:
        if self._redis is not None:
            try:
                value = await self._guard.run(partial(self._redis.get, self._key(question_id)))
            except RedisUnavailable:
                return None
            return value.decode() if isinstance(value, bytes) else value
        who, expires = self._local.get(question_id, ("", 0.0))
        return who if expires > time.monotonic() else None

    async def editors(self, question_ids: list[int]) -> dict[int, str]:
        """Editors of many questions at once (one round trip)."""
        if not question_ids:
            return {}
        if self._redis is not None:
            try:
                values = await self._guard.run(partial(self._redis.mget, [self._key(q) for q in question_ids]))
            except RedisUnavailable:
                return {}
            return {
                q: (v.decode() if isinstance(v, bytes) else v) for q, v in zip(question_ids, values, strict=True) if v
            }
        now = time.monotonic()
        return {q: who for q in question_ids if (entry := self._local.get(q)) and entry[1] > now for who in [entry[0]]}
