"""Staff sessions while a Redis of the test's own is killed, then restarted empty (no persistence)."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from qa_app.app import create_app
from qa_app.availability import RedisGuard
from tests.conftest import login
from tests.factories import TEST_PASSWORD, make_staff
from tests.faults.procs import RedisServer


async def test_staff_keep_working_through_a_redis_outage_and_a_restart_that_lost_every_session(
    redis_server: RedisServer, settings_factory: Any, db: Any
) -> None:
    await make_staff(db)
    settings = settings_factory(redis_url=redis_server.url)
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        assert (await login(client, "moderator", TEST_PASSWORD)).status_code == 303
        moderator = dict(client.cookies)
        client.cookies.clear()
        assert (await login(client, "operator", TEST_PASSWORD)).status_code == 303
        operator = dict(client.cookies)

        async def workspace(cookies: dict[str, str]) -> Any:
            client.cookies.clear()
            client.cookies.update(cookies)
            return await client.get("/workspace/", follow_redirects=False)

        redis_server.kill()
        page = await workspace(moderator)
        assert page.status_code == 200 and "moderator" in page.text  # logged in before, still working
        assert (await workspace(operator)).status_code == 200
        client.cookies.clear()
        client.cookies.update(operator)
        await client.get("/workspace/")
        logout = await client.post(
            "/logout", data={"_csrf_token": client.cookies.get("qa_csrf") or ""}, follow_redirects=False
        )
        assert logout.status_code == 303
        assert (await workspace(operator)).status_code == 303  # the logout holds on this worker

        redis_server.start()  # empty: every session it held is gone
        # The worker skips Redis for a moment after a failure, then writes back what changed meanwhile.
        await asyncio.sleep(RedisGuard().cooldown + 0.5)
        page = await workspace(moderator)
        assert page.status_code == 200 and "moderator" in page.text  # not logged out by the recovery
        assert (await workspace(operator)).status_code == 303  # the logout did not come back to life
        redis = Redis.from_url(redis_server.url)
        stored = [key async for key in redis.scan_iter(f"{settings.redis_prefix}:sessions*")]
        await redis.aclose()
        assert stored, "the session used during the outage is in Redis again"
