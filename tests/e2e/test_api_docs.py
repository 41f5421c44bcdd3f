"""The API documentation page renders in a browser under the Content-Security-Policy (development)."""

from __future__ import annotations

from typing import Any

from tests.live import LiveServer


def test_api_docs_render_without_csp_violations(live_server: LiveServer, page_factory: Any) -> None:
    page = page_factory()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    external: list[str] = []
    page.on(
        "request", lambda request: None if request.url.startswith(live_server.url) else external.append(request.url)
    )
    page.goto(live_server.url + "/api/schema")
    # RapiDoc renders into its shadow DOM: Playwright's text locators pierce it.
    page.get_by_text("Send a question").first.wait_for(timeout=15000)
    assert not external, external
    assert not [p for p in problems if "Content Security Policy" in p or "failed" in p], problems
