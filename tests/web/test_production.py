"""Production hardening (issue 11, finding 9): HSTS, no server banner, no documentation page.

The OpenAPI schema stays public (integrators load it); the documentation page exists outside
production only, from a vendored script (no CDN: the Content-Security-Policy would block it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from qa_app.app import STRICT_TRANSPORT_SECURITY, create_app
from qa_app.settings import Settings
from tests.web.serving import free_port

SECRET = "production-secret-" + "k" * 40
EXTERNAL_SCRIPT = re.compile(r"<script[^>]+src=\"(?:https?:)?//", re.IGNORECASE)


@pytest.fixture
async def production(settings_factory: Any) -> Any:
    app = create_app(settings_factory(environment="production", secret_key=SECRET))
    async with AsyncTestClient(app=app, base_url="https://qa.example.vn") as client:
        yield client


async def test_production_sends_hsts_and_keeps_the_schema_but_no_docs_page(
    production: AsyncTestClient[Litestar],
) -> None:
    home = await production.get("/")
    assert home.headers["strict-transport-security"] == STRICT_TRANSPORT_SECURITY
    assert "content-security-policy" in home.headers
    for path in ("/api/schema", "/api/schema/rapidoc", "/api/schema/scalar", "/api/schema/swagger"):
        response = await production.get(path)
        assert response.status_code == 404, path
        assert not EXTERNAL_SCRIPT.search(response.text) and "rapi-doc" not in response.text
    schema = await production.get("/api/schema/openapi.json")
    assert schema.status_code == 200 and "/api/v1/episodes/{slug}/submissions" in schema.json()["paths"]
    assert schema.headers["strict-transport-security"] == STRICT_TRANSPORT_SECURITY


async def test_development_docs_page_loads_no_external_script(client: AsyncTestClient[Litestar]) -> None:
    page = await client.get("/api/schema")
    assert page.status_code == 200 and "<rapi-doc" in page.text
    assert not EXTERNAL_SCRIPT.search(page.text) and "<script>" not in page.text  # no inline script either
    script = re.search(r'<script type="module" src="(/static/vendor/rapidoc-[\d.]+\.min\.js)"', page.text)
    assert script is not None
    assert (await client.get(script.group(1))).status_code == 200
    assert "strict-transport-security" not in page.headers


def test_qa_app_run_sends_no_server_banner_in_production(settings: Settings, tmp_path: Path) -> None:
    """The real command: uvicorn's ``server: uvicorn`` header is off; HSTS is on."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(
        QA_ENV="production",
        QA_SECRET_KEY=SECRET,
        QA_DATABASE_URL=settings.database_url,
        QA_VAR_DIR=str(tmp_path / "var"),
        QA_REDIS_PREFIX=settings.redis_prefix,
    )
    if settings.redis_url:
        env["QA_REDIS_URL"] = settings.redis_url
    qa_app = Path(sys.executable).parent / "qa-app"
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [str(qa_app), "run", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        deadline, response = time.monotonic() + 30, None
        while time.monotonic() < deadline and response is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            except httpx.HTTPError:
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(0.2)
        assert response is not None, (tmp_path / "server.log").read_text()
        assert "server" not in response.headers, response.headers
        assert response.headers["strict-transport-security"] == STRICT_TRANSPORT_SECURITY
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _set_cookies(response: Any) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the whole header, attributes included)."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def _attributes(header: str) -> set[str]:
    return {part.strip().split("=", 1)[0].lower() for part in header.split(";")[1:]}


async def test_production_cookies_are_secure_and_http_only(production: AsyncTestClient[Litestar], db: Any) -> None:
    from tests.factories import TEST_PASSWORD, make_staff

    await make_staff(db)
    form = await production.get("/login")
    csrf = _set_cookies(form)["qa_csrf"]
    assert "secure" in _attributes(csrf), csrf
    response = await production.post(
        "/login",
        data={"username": "moderator", "password": TEST_PASSWORD, "_csrf_token": production.cookies.get("qa_csrf")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookies = _set_cookies(response)
    session = [header for name, header in cookies.items() if name.startswith("qa_session")]
    device = [header for name, header in cookies.items() if name.startswith("qa_device")]
    assert session and device, cookies
    for header in session + device:
        assert {"secure", "httponly"} <= _attributes(header), header


async def test_cookies_outside_production_are_not_secure(client: AsyncTestClient[Litestar], db: Any) -> None:
    """The other side of the check above: over plain http (development, tests) a Secure cookie would be lost."""
    from tests.factories import TEST_PASSWORD, make_staff

    await make_staff(db)
    form = await client.get("/login")
    assert "secure" not in _attributes(_set_cookies(form)["qa_csrf"])
    response = await client.post(
        "/login",
        data={"username": "moderator", "password": TEST_PASSWORD, "_csrf_token": client.cookies.get("qa_csrf")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert not any("secure" in _attributes(header) for header in _set_cookies(response).values())
