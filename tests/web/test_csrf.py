"""CSRF: every state-changing route refuses a request without a valid token."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import csrf_token, login
from tests.factories import make_episode, make_staff
from tests.web.test_route_matrix import EXPECTED, concrete

# RFC 8058 one-click unsubscribe: a mail client posts without cookies; the HMAC-signed token in the
# path authorises it (tests/after/test_notifications.py checks that a forged token is refused).
SIGNED_LINK_POSTS = {"/ngung-nhan-tin/{token:str}"}


async def test_every_post_route_refuses_without_token(client: AsyncTestClient[Litestar], db: Any) -> None:
    await make_staff(db)
    await make_episode(db)
    await login(client, "admin")
    posts = [
        path
        for (method, path) in EXPECTED
        if method == "POST" and not path.startswith("/api/") and path not in SIGNED_LINK_POSTS
    ]
    assert posts
    for path in posts:
        response = await client.post(concrete(path), data={"x": "1"}, follow_redirects=False)
        assert response.status_code == 403, f"POST {path} without CSRF token: {response.status_code}"
        response = await client.post(
            concrete(path), data={"_csrf_token": "forged" + csrf_token(client)[6:]}, follow_redirects=False
        )
        assert response.status_code == 403, f"POST {path} with a forged token: {response.status_code}"


async def test_token_in_htmx_header_is_accepted(client: AsyncTestClient[Litestar], db: Any) -> None:
    await make_staff(db)
    await login(client, "admin")
    response = await client.post(
        "/admin/departments/import", headers={"x-csrftoken": csrf_token(client)}, follow_redirects=False
    )
    assert response.status_code == 303


async def test_token_from_another_session_is_refused(client: AsyncTestClient[Litestar], db: Any) -> None:
    await make_staff(db)
    await client.get("/login")
    other_token = csrf_token(client)
    client.cookies.clear()
    await login(client, "admin")
    assert csrf_token(client) != other_token
    response = await client.post("/logout", headers={"x-csrftoken": other_token}, follow_redirects=False)
    assert response.status_code == 403
