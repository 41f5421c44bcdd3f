"""The accountability page on a phone and a desk, and the printed report, in Chromium: screenshots in
test-artifacts/, no console error, no horizontal scrolling on the phone, the charts drawn."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.after import scenario
from tests.e2e.conftest import ARTIFACTS, run_db
from tests.e2e.test_foundation_screens import log_in
from tests.live import LiveServer


@pytest.fixture
def known(live_server: LiveServer) -> LiveServer:
    async def work(db: Any) -> None:
        await scenario.build(db, live_server.settings.secret_key)

    run_db(live_server.settings, work)
    return live_server


def watched(page: Any) -> list[str]:
    errors: list[str] = []

    def console(message: Any) -> None:
        # The browser's own favicon probe is no error of the page (the site has no icon).
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.mark.parametrize(
    ("name", "viewport"),
    [("phone", {"width": 390, "height": 844}), ("desk", {"width": 1440, "height": 900})],
)
def test_accountability_page_reads_at_a_glance(
    known: LiveServer, page_factory: Any, name: str, viewport: dict[str, int]
) -> None:
    options: dict[str, Any] = {"viewport": viewport}
    if name == "phone":
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    page = page_factory(**options)
    errors = watched(page)
    page.goto(f"{known.url}/giai-trinh/{scenario.SLUG}")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-figure=on_time_rate]").inner_text() == "25 %"
    assert page.locator("figure.chart svg").count() >= 5
    # Every chart is drawn inside its box, and the page never scrolls sideways.
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    for box in page.locator("figure.chart svg").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)"):
        assert 200 < box <= viewport["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"accountability-{name}.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"accountability-{name}-first-screen.png"))
    page.locator("figure.chart").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"accountability-{name}-charts.png"))
    page.goto(f"{known.url}/giai-trinh/{scenario.SLUG}/so-xay-dung")
    assert page.locator("[data-figure=on_time_rate]").inner_text() == "50 %"
    page.screenshot(path=str(ARTIFACTS / f"accountability-department-{name}.png"), full_page=True)
    assert not errors, errors


def test_printed_report(known: LiveServer, page_factory: Any) -> None:
    page = page_factory(viewport={"width": 1280, "height": 900})
    errors = watched(page)
    log_in(page, known, "moderator")
    page.goto(f"{known.url}/reports/{scenario.SLUG}")
    assert page.locator("[data-figure=questions]").inner_text() == "8"
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("form.no-print")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    page.emulate_media(media="screen")
    page.screenshot(path=str(ARTIFACTS / "report-screen.png"), full_page=True)
    assert not errors, errors
