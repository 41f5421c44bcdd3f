"""Health check, security headers, locale switch, error pages."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from qa_app.app import create_app
from tests.factories import make_episode


async def test_healthz_ok(client: AsyncTestClient[Litestar], settings: Any) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    expected = {"status": "ok", "database": "ok"} | ({"redis": "ok"} if settings.redis_url else {})
    assert response.json() == expected


async def test_healthz_503_when_database_unreachable(settings_factory: Any) -> None:
    # Nothing listens on port 1: the connection is refused, as when the database server is down.
    broken = settings_factory(database_url="postgresql+asyncpg://postgres@127.0.0.1:1/qa")
    async with AsyncTestClient(app=create_app(broken)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_security_headers(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_no_inline_script_in_pages(client: AsyncTestClient[Litestar], db: Any) -> None:
    await make_episode(db)
    for url in ("/", "/login"):
        text = (await client.get(url)).text
        assert "<script>" not in text and " on" + "click=" not in text and "onchange=" not in text


async def test_home_lists_public_episodes_only(client: AsyncTestClient[Litestar], db: Any) -> None:
    from qa_app.models import EpisodeStatus

    await make_episode(db, title="Kỳ đang mở", status=EpisodeStatus.OPEN)
    await make_episode(db, title="Kỳ nháp bí mật", status=EpisodeStatus.DRAFT)
    text = (await client.get("/")).text
    assert "Kỳ đang mở" in text and "Kỳ nháp bí mật" not in text


async def test_locale_switch_to_english_and_back(client: AsyncTestClient[Litestar]) -> None:
    vi = (await client.get("/login")).text
    assert "Đăng nhập" in vi
    response = await client.get("/ngon-ngu/en?next=/login", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    en = (await client.get("/login")).text
    assert '<html lang="en">' in en and "Staff login" in en
    await client.get("/ngon-ngu/vi")
    assert "Đăng nhập" in (await client.get("/login")).text


async def test_unknown_page_is_a_vietnamese_404(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.text


async def test_static_assets_are_vendored_and_pinned(client: AsyncTestClient[Litestar]) -> None:
    page = (await client.get("/")).text
    for asset in (
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/vendor/htmx-ext-ws-2.0.4.min.js",
        "/static/vendor/pico-2.1.1.min.css",
    ):
        assert asset in page
        response = await client.get(asset)
        assert response.status_code == 200 and len(response.content) > 1000
    htmx = (await client.get("/static/vendor/htmx-2.0.11.min.js")).text
    assert 'version:"2.0.11"' in htmx.replace(" ", "")


async def test_favicon_is_served_and_linked(client: AsyncTestClient[Litestar]) -> None:
    assert 'rel="icon" href="/favicon.ico' in (await client.get("/")).text
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/x-icon")
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an icon directory (its image is a PNG)
