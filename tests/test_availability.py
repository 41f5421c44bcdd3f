"""What counts as "the database is unavailable", and the session store's promises while Redis comes and goes."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar.stores.memory import MemoryStore
from sqlalchemy import exc as sa_exc

from qa_app.availability import RedisGuard, database_unavailable
from qa_app.sessions import FallbackSessionStore


def _wrapped(orig: BaseException, cls: type[sa_exc.DBAPIError] = sa_exc.OperationalError) -> BaseException:
    return cls("SELECT 1", {}, orig)  # type: ignore[arg-type]


def _caused(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    "exc, unavailable",
    [
        (ConnectionRefusedError(111, "Connect call failed"), True),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed"), True),
        (TimeoutError(), True),
        (sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached"), True),
        (_wrapped(sqlite3.OperationalError("database is locked")), True),
        (_wrapped(sqlite3.OperationalError("disk I/O error")), True),
        (_wrapped(sqlite3.OperationalError("no such table: question")), False),
        (_wrapped(Exception("connection is closed"), sa_exc.InterfaceError), True),
        (_wrapped(sqlite3.IntegrityError("UNIQUE constraint failed"), sa_exc.IntegrityError), False),
        (_caused(RuntimeError("render failed"), ConnectionResetError()), True),
        (ValueError("bad"), False),
        (FileNotFoundError("template"), False),
        (KeyError(-1), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_database_unavailable_tells_outages_from_bugs(exc: BaseException, unavailable: bool) -> None:
    assert database_unavailable(exc) is unavailable


class FlakyStore(MemoryStore):
    """Redis as the session store sees it: answers, refuses (down), or comes back empty (restart)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise ConnectionRefusedError(111, "Connect call failed")

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        self._check()
        return await super().get(key, renew_for)

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        self._check()
        await super().set(key, value, expires_in)

    async def delete(self, key: str) -> None:
        self._check()
        await super().delete(key)


KEYS = st.sampled_from(["s1", "s2"])
DOWN, UP = ("down", None, None), ("up", None, None)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), KEYS, st.binary(min_size=1, max_size=4)),
        st.tuples(st.just("get"), KEYS, st.none()),
        st.tuples(st.just("delete"), KEYS, st.none()),
        st.tuples(st.sampled_from(["down", "up", "restart"]), st.none(), st.none()),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS)
# Renewed here while Redis was away, then Redis answers with the older value: ours wins.
@example(steps=[("set", "s1", b"a"), DOWN, ("set", "s1", b"b"), UP, ("get", "s1", None)])
# Ended here while Redis was away (which still holds it): stays ended when Redis answers.
@example(steps=[("set", "s1", b"a"), DOWN, ("delete", "s1", None), UP, ("get", "s1", None)])
def test_a_session_never_comes_back_after_logout_nor_with_a_stale_value(steps: list[tuple[str, str, bytes]]) -> None:
    async def run() -> None:
        primary = FlakyStore()
        store = FallbackSessionStore(primary, RedisGuard(timeout=1.0, cooldown=0.0))
        last: dict[str, bytes | None] = {}
        lost: set[str] = set()  # Redis restarted empty since this worker last wrote the key
        for action, key, value in steps:
            if action == "set":
                await store.set(key, value, expires_in=3600)
                last[key] = value
                lost.discard(key)
            elif action == "delete":
                await store.delete(key)
                last[key] = None
            elif action == "get":
                got = await store.get(key, renew_for=3600)
                assert got in (last.get(key), None), "never a stale value, never an ended session"
                if not primary.down and key not in lost:
                    assert got == last.get(key)
            elif action == "down":
                primary.down = True
            elif action == "up":
                primary.down = False
            else:
                primary.down = False
                await primary.delete_all()
                lost.update(last)

    asyncio.run(run())
