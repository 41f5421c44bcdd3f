"""Each demo role logs in through the real login page and sees its own navigation."""

from __future__ import annotations

from typing import Any

import pytest

from qa_app.models import Role
from tests.e2e.conftest import ARTIFACTS, run_db
from tests.factories import TEST_PASSWORD, make_episode, make_staff
from tests.live import LiveServer

NAV = {
    "admin": ["Kỳ phát sóng", "Đơn vị", "Người dùng", "Nhật ký"],
    "moderator": [],
    "operator": [],
    "producer": [],
    "officer_a": [],
}


def log_in(page: Any, server: LiveServer, username: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/workspace")


@pytest.fixture
def seeded(live_server: LiveServer) -> LiveServer:
    async def work(db: Any) -> None:
        await make_staff(db)
        await make_episode(db, title="Kỳ thử trình duyệt")

    run_db(live_server.settings, work)
    return live_server


@pytest.mark.parametrize("username", list(NAV))
def test_role_sees_its_navigation(seeded: LiveServer, page_factory: Any, username: str) -> None:
    page = page_factory()
    log_in(page, seeded, username)
    navigation = page.get_by_role("navigation", name="Điều hướng chính").inner_text()
    for label in NAV[username]:
        assert label in navigation
    if username != "admin":
        assert "Người dùng" not in navigation and "Nhật ký" not in navigation
    assert page.locator("#status-counters").is_visible()
    # The live counters' websocket connects (the ws extension marks nothing as closed).
    page.wait_for_timeout(500)
    assert page.locator("[ws-connect]").get_attribute("data-live") != "closed"
    if username == "officer_a":
        assert "Sở Xây dựng" in page.content() or "SXD" in page.content()


def test_wrong_password_then_login_on_a_phone(seeded: LiveServer, page_factory: Any) -> None:
    page = page_factory(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(seeded.url + "/login")
    page.get_by_label("Tên đăng nhập").fill("moderator")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.get_by_role("alert").filter(has_text="Sai tên đăng nhập").is_visible()
    log_in(page, seeded, "moderator")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workspace-phone.png"), full_page=True)
    assert Role.MODERATOR.value == "moderator"


def test_admin_creates_an_officer_through_the_boosted_form(seeded: LiveServer, page_factory: Any) -> None:
    page = page_factory(viewport={"width": 1280, "height": 900})
    log_in(page, seeded, "admin")
    page.goto(seeded.url + "/admin/users")
    page.get_by_label("Tên đăng nhập").fill("canbo.yte2")
    page.get_by_label("Vai trò").select_option("officer")
    page.get_by_label("Đơn vị (chỉ dành cho cán bộ đơn vị)").select_option("so-y-te")
    page.get_by_role("button", name="Tạo tài khoản").click()
    notice = page.get_by_role("status").filter(has_text="canbo.yte2")
    notice.wait_for(timeout=5000)
    assert "canbo.yte2" in page.locator("table").inner_text()
    # An officer without a department is refused with the reason next to the field, what was typed kept.
    page.get_by_label("Tên đăng nhập").fill("canbo.khongdonvi")
    page.get_by_label("Vai trò").select_option("officer")
    page.get_by_role("button", name="Tạo tài khoản").click()
    page.locator("#department-error").wait_for(timeout=5000)
    assert page.get_by_label("Tên đăng nhập").input_value() == "canbo.khongdonvi"
