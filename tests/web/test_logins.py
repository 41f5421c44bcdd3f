"""Login throttling under concurrency and from several places, through a real HTTP server.

The app is served by uvicorn in the test's loop (``served``) so that requests really run at once and
the runtime's ``Passwords`` can be replaced by a recording one.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from typing import Any

import httpx
import pytest
from litestar import Litestar

from qa_app.app import create_app
from qa_app.models import Role
from qa_app.security import Passwords
from tests.factories import TEST_PASSWORD, make_user
from tests.web.served import login_form, served


class RecordingPasswords(Passwords):
    """Counts verifications, how many ran at once and on which threads."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(time_cost=1, memory_cost=1024, **kwargs)
        self.verified = 0
        self.running = 0
        self.most_at_once = 0
        self.threads: set[int] = set()
        self._lock = threading.Lock()

    def verify_now(self, password_hash: str | None, password: str) -> bool:
        with self._lock:
            self.verified += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads.add(threading.get_ident())
        try:
            time.sleep(0.02)  # as long as a real hash, roughly: concurrent requests overlap here
            return super().verify_now(password_hash, password)
        finally:
            with self._lock:
                self.running -= 1


def _attempt(form: dict[str, str], username: str, password: str) -> dict[str, str]:
    return {**form, "username": username, "password": password}


async def test_concurrent_guesses_at_one_account_are_counted_before_verifying(
    app: Litestar, db: Any, settings: Any
) -> None:
    await make_user(db, "bientap", Role.MODERATOR)
    recording = RecordingPasswords()
    app.state.runtime.passwords = recording
    async with served(app) as client:
        form = await login_form(client)
        responses = await asyncio.gather(
            *(client.post("/login", data=_attempt(form, "bientap", f"doan-sai-{i:02d}-mat-khau")) for i in range(40))
        )
    statuses = Counter(r.status_code for r in responses)
    limit = settings.login_max_failures_per_account
    assert recording.verified <= limit, statuses
    assert statuses == {422: recording.verified, 429: 40 - recording.verified}
    # Off the event loop (the loop runs on this thread), never more at once than the bound.
    assert threading.get_ident() not in recording.threads
    assert recording.most_at_once <= recording.concurrency


async def test_a_login_storm_queues_and_overflow_is_told_to_retry(app: Litestar, db: Any) -> None:
    recording = RecordingPasswords(concurrency=1, max_waiting=3)
    app.state.runtime.passwords = recording
    async with served(app) as client:
        form = await login_form(client)
        responses = await asyncio.gather(
            *(client.post("/login", data=_attempt(form, f"khong-co-{i}", "sai-mat-khau-roi")) for i in range(20))
        )
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {422, 503} and statuses[503] >= 1, statuses
    assert recording.most_at_once == 1
    busy = next(r for r in responses if r.status_code == 503)
    assert "Đang có nhiều người đăng nhập cùng lúc" in busy.text


@pytest.fixture
def behind_proxy(settings_factory: Any) -> Litestar:
    """The app behind a reverse proxy on 127.0.0.1, so tests choose client addresses by X-Forwarded-For."""
    return create_app(settings_factory(trusted_proxies=("127.0.0.1",)))


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_a_strangers_failures_do_not_lock_the_user_out_from_their_address(
    behind_proxy: Litestar, db: Any, settings: Any
) -> None:
    await make_user(db, "bientap", Role.MODERATOR)
    async with served(behind_proxy) as client:
        form = await login_form(client)
        stranger = [
            (await client.post("/login", data=_attempt(form, "bientap", "doan-sai-mat-khau"), headers=_from(ip)))
            for ip in ["203.0.113.7"] * 8
        ]
        assert [r.status_code for r in stranger] == [422] * settings.login_max_failures_per_account + [429] * (
            8 - settings.login_max_failures_per_account
        )
        assert "Đăng nhập sai quá nhiều lần" in stranger[-1].text
        real = await client.post(
            "/login", data=_attempt(form, "bientap", TEST_PASSWORD), headers=_from("198.51.100.20")
        )
        assert real.status_code == 303 and real.headers["location"] == "/workspace"


async def test_distributed_guessing_meets_a_ceiling_that_known_places_pass(
    behind_proxy: Litestar, db: Any, settings: Any
) -> None:
    await make_user(db, "bientap", Role.MODERATOR)
    ceiling = settings.login_max_attempts_per_account_from_new_places
    async with served(behind_proxy) as client:
        form = await login_form(client)
        base = client.base_url
        # The real user logs in once from the newsroom, in their browser (which keeps a device cookie).
        async with httpx.AsyncClient(base_url=base, cookies=client.cookies) as browser:
            first = await browser.post(
                "/login", data=_attempt(form, "bientap", TEST_PASSWORD), headers=_from("198.51.100.20")
            )
            assert first.status_code == 303
            device_cookies = {k: v for k, v in browser.cookies.items() if k.startswith("qa_device_")}
        assert device_cookies
        # A botnet: one wrong guess from each of many addresses, until the account's ceiling refuses.
        refused = None
        for n in range(1, ceiling + 2):
            response = await client.post(
                "/login", data=_attempt(form, "bientap", "doan-sai-mat-khau"), headers=_from(f"192.0.2.{n}")
            )
            if response.status_code == 429:
                refused = n
                break
            assert response.status_code == 422
        assert refused is not None and refused <= ceiling
        assert "từ nơi khác" in response.text
        late = await client.post("/login", data=_attempt(form, "bientap", TEST_PASSWORD), headers=_from("192.0.2.250"))
        assert late.status_code == 429  # a new place, even with the right password, waits
        # The user's own address, and their browser from anywhere, still get in.
        home = await client.post(
            "/login", data=_attempt(form, "bientap", TEST_PASSWORD), headers=_from("198.51.100.20")
        )
        assert home.status_code == 303
        async with httpx.AsyncClient(base_url=base, cookies={**dict(client.cookies), **device_cookies}) as laptop:
            away = await laptop.post(
                "/login", data=_attempt(form, "bientap", TEST_PASSWORD), headers=_from("192.0.2.251")
            )
        assert away.status_code == 303


async def test_a_forged_device_cookie_is_not_trusted(behind_proxy: Litestar, db: Any, settings: Any) -> None:
    await make_user(db, "bientap", Role.MODERATOR)
    async with served(behind_proxy) as client:
        form = await login_form(client)
        async with httpx.AsyncClient(base_url=client.base_url, cookies=client.cookies) as browser:
            await browser.post("/login", data=_attempt(form, "bientap", TEST_PASSWORD), headers=_from("198.51.100.20"))
            name, value = next((k, v) for k, v in browser.cookies.items() if k.startswith("qa_device_"))
        nonce, _, signature = value.partition(".")
        forged = {name: f"other{nonce}.{signature}"}
        async with httpx.AsyncClient(base_url=client.base_url, cookies={**dict(client.cookies), **forged}) as thief:
            statuses = [
                (
                    await thief.post(
                        "/login", data=_attempt(form, "bientap", "doan-sai-mat-khau"), headers=_from("198.51.100.20")
                    )
                ).status_code
                for _ in range(settings.login_max_failures_per_account + 1)
            ]
        # Counted under the address, as any browser without a valid cookie.
        assert statuses[-1] == 429
