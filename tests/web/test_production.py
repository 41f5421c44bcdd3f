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
