"""Each demo role logs in through the real login page and sees its own navigation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, run_db
from tests.factories import TEST_PASSWORD, make_episode, make_staff
from tests.live import LiveServer

# Every link of each role's menu, in order (templates/_nav.html), then the log-out button.
NAV = {
    "admin": [
        "Bàn làm việc",
        "Biên tập",
        "Cam kết",
        "Báo cáo",
        "Bàn tiếp nhận",
        "Kịch bản phát sóng",
        "Hộp thư đơn vị",
        "Kỳ phát sóng",
        "Đơn vị",
        "Người dùng",
        "Ngày lễ",
        "Dữ liệu cá nhân",
        "Tin nhắn gửi người dân",
        "Nhật ký hệ thống",
    ],
    "moderator": ["Bàn làm việc", "Biên tập", "Cam kết", "Báo cáo", "Bàn tiếp nhận"],
    "operator": ["Bàn làm việc", "Bàn tiếp nhận"],
    "producer": ["Bàn làm việc", "Báo cáo", "Kịch bản phát sóng"],
    "officer_a": ["Bàn làm việc", "Hộp thư đơn vị"],
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
    navigation = page.get_by_role("navigation", name="Điều hướng chính")
    links = [text.strip() for text in navigation.get_by_role("link").all_inner_texts()]
    # The brand, the role's own links, and the language switch: nothing more, nothing less.
    assert links == ["Dân hỏi – Chính quyền trả lời", *NAV[username], "English"], links
    expect(navigation.get_by_role("button", name=f"Đăng xuất ({username})")).to_be_visible()
    expect(page.locator("#status-counters")).to_be_visible()
    # The live counters' websocket has opened (not merely "not closed": a socket that never opened
    # would pass that).
    expect(page.locator("[ws-connect]")).to_have_attribute("data-live", "open", timeout=10_000)
    if username == "officer_a":
        expect(navigation.locator(".badge")).to_have_text("Sở XD")


def test_wrong_password_then_login_on_a_phone(seeded: LiveServer, page_factory: Any) -> None:
    page = page_factory(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(seeded.url + "/login")
    page.get_by_label("Tên đăng nhập").fill("moderator")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert").filter(has_text="Sai tên đăng nhập")).to_be_visible()
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("moderator")
    log_in(page, seeded, "moderator")
    expect(page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Biên tập")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workspace-phone.png"), full_page=True)


def test_admin_creates_an_officer_through_the_boosted_form(seeded: LiveServer, page_factory: Any) -> None:
    page = page_factory(viewport={"width": 1280, "height": 900})
    log_in(page, seeded, "admin")
    page.goto(seeded.url + "/admin/users")
    page.get_by_label("Tên đăng nhập").fill("canbo.yte2")
    page.get_by_label("Vai trò").select_option("officer")
    page.get_by_label("Đơn vị (chỉ dành cho cán bộ đơn vị)").select_option("so-y-te")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.get_by_role("status").filter(has_text="canbo.yte2")).to_be_visible()
    expect(page.locator("table")).to_contain_text("canbo.yte2")
    # An officer without a department is refused with the reason next to the field, what was typed kept.
    page.get_by_label("Tên đăng nhập").fill("canbo.khongdonvi")
    page.get_by_label("Vai trò").select_option("officer")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.locator("#department-error")).to_be_visible()
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("canbo.khongdonvi")
