"""Login, logout, session rotation, throttling, deactivation."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from qa_app.models import Role
from qa_app.services import users as user_service
from qa_app.web.auth import safe_next
from tests.conftest import csrf_token, login, post_form
from tests.factories import FAST_PASSWORDS, TEST_PASSWORD, import_departments, make_user


@pytest.fixture
async def moderator(db: Any) -> Any:
    return await make_user(db, "bientap", Role.MODERATOR)


async def test_login_page_is_vietnamese_and_accessible(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/login")
    assert response.status_code == 200
    assert '<html lang="vi">' in response.text
    assert 'for="username"' in response.text and 'for="password"' in response.text
    assert "Đăng nhập" in response.text


async def test_login_then_logout(client: AsyncTestClient[Litestar], moderator: Any) -> None:
    response = await login(client, "bientap")
    assert response.status_code == 303 and response.headers["location"] == "/workspace"
    page = await client.get("/workspace")
    assert page.status_code == 200 and "bientap" in page.text
    response = await post_form(client, "/logout", follow_redirects=False)
    assert response.status_code == 303
    response = await client.get("/workspace", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_logout_invalidates_the_session_server_side(client: AsyncTestClient[Litestar], moderator: Any) -> None:
    await login(client, "bientap")
    stolen = client.cookies.get("qa_session")
    await post_form(client, "/logout")
    client.cookies.clear()
    client.cookies.set("qa_session", stolen, domain="testserver.local")
    response = await client.get("/workspace", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_session_id_rotates_at_login(client: AsyncTestClient[Litestar], moderator: Any) -> None:
    await client.get("/login")
    # Plant a session id before login, as a fixation attacker would.
    planted = "a" * 64
    client.cookies.set("qa_session", planted, domain="testserver.local")
    response = await client.post(
        "/login",
        data={"username": "bientap", "password": TEST_PASSWORD, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    new_id = client.cookies.get("qa_session", domain="testserver.local")
    assert new_id and new_id != planted
    assert (await client.get("/workspace", follow_redirects=False)).status_code == 200
    client.cookies.set("qa_session", planted, domain="testserver.local")
    response = await client.get("/workspace", follow_redirects=False)
    assert response.status_code == 303


async def test_wrong_password_is_refused_with_vietnamese_message(
    client: AsyncTestClient[Litestar], moderator: Any
) -> None:
    response = await login(client, "bientap", "sai-mat-khau-roi")
    assert response.status_code == 422
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.text
    assert 'value="bientap"' in response.text  # what was typed is kept


async def test_throttling_per_account(client: AsyncTestClient[Litestar], moderator: Any, settings: Any) -> None:
    for _ in range(settings.login_max_failures_per_account):
        assert (await login(client, "bientap", "sai-mat-khau-roi")).status_code == 422
    response = await login(client, "bientap")  # even the right password waits now
    assert response.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in response.text


async def test_throttling_per_ip_across_accounts(app: Litestar, db: Any, settings_factory: Any) -> None:
    await make_user(db, "nguoi-dung", Role.MODERATOR)
    async with AsyncTestClient(app=app) as client:
        limit = app.state.runtime.settings.login_max_attempts_per_ip
        for attempt in range(limit):
            response = await login(client, f"khong-ton-tai-{attempt}", "sai-mat-khau-roi")
            assert response.status_code == 422
        assert (await login(client, "nguoi-dung")).status_code == 429


async def test_deactivated_user_is_cut_off_at_the_next_request(
    client: AsyncTestClient[Litestar], db: Any, moderator: Any
) -> None:
    await login(client, "bientap")
    assert (await client.get("/workspace")).status_code == 200
    await user_service.deactivate_user(db, None, "bientap")
    response = await client.get("/workspace", follow_redirects=False)
    assert response.status_code == 303
    assert (await login(client, "bientap")).status_code == 422


async def test_password_reset_ends_existing_sessions(
    client: AsyncTestClient[Litestar], db: Any, moderator: Any
) -> None:
    await login(client, "bientap")
    await user_service.reset_password(db, FAST_PASSWORDS, None, "bientap", "mat-khau-moi-2026")
    response = await client.get("/workspace", follow_redirects=False)
    assert response.status_code == 303
    assert (await login(client, "bientap", "mat-khau-moi-2026")).status_code == 303


async def test_login_redirects_back_to_the_page_asked_for(client: AsyncTestClient[Litestar], db: Any) -> None:
    await import_departments(db)
    await make_user(db, "quantri", Role.ADMIN)
    response = await client.get("/admin/users", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/admin/users"
    await client.get("/login?next=/admin/users")
    response = await client.post(
        "/login",
        data={
            "username": "quantri",
            "password": TEST_PASSWORD,
            "next": "/admin/users",
            "_csrf_token": csrf_token(client),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/admin/users"


async def test_htmx_request_of_anonymous_user_gets_hx_redirect(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/workspace", headers={"HX-Request": "true"})
    assert response.headers.get("hx-redirect", "").startswith("/login")


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/admin/users", "/admin/users"),
        ("https://evil.example/", "/workspace"),
        ("//evil.example/x", "/workspace"),
        ("javascript:alert(1)", "/workspace"),
        ("", "/workspace"),
    ],
)
def test_safe_next_never_leaves_the_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


async def test_session_cookie_flags(client: AsyncTestClient[Litestar], moderator: Any) -> None:
    response = await login(client, "bientap")
    cookie = response.headers.get("set-cookie", "")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("samesite", "SameSite")
