"""A strict page walker for the browser tests: every console error, page error, failed request, error
status and ``htmx:oobErrorNoTarget`` is recorded, axe-core (vendored in ``static/vendor/``) runs on each
screen, and each screen is photographed at its size into ``test-artifacts/``. ``finish()`` fails the
test if anything was recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS

AXE = "/static/vendor/axe-core-4.14.1.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map(
                  n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 160))}));
}"""


@dataclass
class Walk:
    page: Any
    base_url: str
    name: str
    problems: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    screens: list[str] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.page.set_default_timeout(10_000)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        # htmx logs its error events (htmx:oobErrorNoTarget, htmx:swapError…) with console.error.
        refused = re.search(r"responded with a status of (\d+)", message.text)
        if refused and int(refused.group(1)) in self.allowed_statuses:
            return  # the browser's own note on a refusal the walk provoked
        if message.type == "error":
            self.problems.append(f"console error on {self.page.url}: {message.text} ({message.location.get('url')})")

    def _request_failed(self, request: Any) -> None:
        failure = request.failure or ""
        # A navigation that replaces the page aborts what the old page still had in flight.
        if "ERR_ABORTED" in failure:
            return
        self.problems.append(f"request failed: {request.method} {request.url} {failure}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.status not in self.allowed_statuses:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    @contextmanager
    def allowing(self, *statuses: int) -> Iterator[None]:
        """A refusal the walk provokes on purpose (a form sent with errors)."""
        self.allowed_statuses.update(statuses)
        try:
            yield
        finally:
            self.allowed_statuses.difference_update(statuses)

    def visit(self, path: str, screen: str) -> None:
        self.page.goto(self.base_url + path)
        self.check(screen)

    def settle(self) -> None:
        self.page.wait_for_load_state("load")
        for holder in self.page.locator("[ws-connect]").all():
            expect(holder).to_have_attribute("data-live", "open", timeout=10_000)

    def check(self, screen: str, *, full_page: bool = True) -> None:
        """Wait for the page's live regions, run axe-core on it and photograph it."""
        self.settle()
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(url=self.base_url + AXE)
        found = self.page.evaluate(RUN_AXE)
        for violation in found:
            self.violations.append(
                f"{screen} ({self.page.url}): {violation['impact']} {violation['id']} – {violation['help']}\n      "
                + "\n      ".join(violation["nodes"])
            )
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"walk-{self.name}-{screen}.png"), full_page=full_page)
        self.screens.append(screen)

    def finish(self) -> None:
        report = []
        if self.problems:
            report.append("errors:\n  " + "\n  ".join(self.problems))
        if self.violations:
            report.append("axe-core serious/critical violations:\n  " + "\n  ".join(self.violations))
        assert not report, f"walk of {self.name} over {self.screens}:\n" + "\n".join(report)
