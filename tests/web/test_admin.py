"""Admin screens: episodes, officials, departments, users, audit trail."""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from qa_app.models import AuditEvent, Department, Episode, EpisodeStatus, User
from tests.conftest import csrf_token, login, post_form
from tests.factories import make_staff


@pytest.fixture
async def admin_client(client: AsyncTestClient[Litestar], db: Any) -> AsyncTestClient[Litestar]:
    await make_staff(db)
    await login(client, "admin")
    return client


async def test_create_edit_and_move_an_episode_through_its_life(
    admin_client: AsyncTestClient[Litestar], db: Any
) -> None:
    departments = list(await db.scalars(select(Department).limit(3)))
    response = await post_form(
        admin_client,
        "/admin/episodes",
        {
            "title": "Giao thông và chống ngập",
            "theme": "Hạ tầng đô thị",
            "air_start": "2026-12-12T20:00",
            "air_end": "2026-12-12T21:00",
            "answer_deadline_days": "7",
            "department_ids": [str(d.id) for d in departments],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    episode = await db.scalar(select(Episode).where(Episode.slug == "giao-thong-va-chong-ngap"))
    assert episode is not None and episode.status is EpisodeStatus.DRAFT
    page = (await admin_client.get(f"/admin/episodes/{episode.id}")).text
    assert 'value="2026-12-12T20:00"' in page  # stored in UTC, shown in Asia/Ho_Chi_Minh
    # Edit: every field changes, and the change is what the database and the page then hold.
    response = await post_form(
        admin_client,
        f"/admin/episodes/{episode.id}",
        {
            "title": "Chống ngập mùa mưa",
            "slug": "chong-ngap-mua-mua",
            "theme": "Thoát nước",
            "air_start": "2026-12-19T19:30",
            "air_end": "2026-12-19T20:45",
            "answer_deadline_days": "12",
            "department_ids": [str(departments[0].id)],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == f"/admin/episodes/{episode.id}?saved=1"
    await db.refresh(episode)
    assert (episode.title, episode.slug, episode.theme) == ("Chống ngập mùa mưa", "chong-ngap-mua-mua", "Thoát nước")
    assert episode.answer_deadline_days == 12
    await db.refresh(episode, ["departments"])
    assert [d.id for d in episode.departments] == [departments[0].id]
    page = (await admin_client.get(f"/admin/episodes/{episode.id}")).text
    assert 'value="2026-12-19T19:30"' in page and 'value="2026-12-19T20:45"' in page
    assert 'value="2026-12-12T20:00"' not in page
    assert "2026-12-19 12:30" in str(episode.air_start)  # 19:30 in Ho Chi Minh City is 12:30 UTC
    for status in ("open", "live", "closed", "archived"):
        response = await post_form(admin_client, f"/admin/episodes/{episode.id}/status", {"status": status})
        assert response.status_code == 200
        await db.refresh(episode)
        assert episode.status.value == status
    response = await post_form(admin_client, f"/admin/episodes/{episode.id}/status", {"status": "open"})
    assert response.status_code == 409
    actions = [e.action for e in await db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "episode"))]
    assert actions.count("episode.status") == 4 and "episode.create" in actions and "episode.update" in actions


async def test_episode_validation_keeps_input(admin_client: AsyncTestClient[Litestar]) -> None:
    response = await post_form(
        admin_client,
        "/admin/episodes",
        {"title": "", "theme": "Chủ đề <b>giữ lại</b>", "air_start": "hôm qua", "answer_deadline_days": "500"},
    )
    assert response.status_code == 422
    assert "Chủ đề &lt;b&gt;giữ lại&lt;/b&gt;" in response.text
    assert 'aria-invalid="true"' in response.text


async def test_officials_can_be_added_and_removed(admin_client: AsyncTestClient[Litestar], db: Any) -> None:
    await post_form(admin_client, "/admin/episodes", {"title": "Kỳ có lãnh đạo", "answer_deadline_days": "10"})
    episode = await db.scalar(select(Episode))
    department = await db.scalar(select(Department).where(Department.code == "so-y-te"))
    await post_form(
        admin_client,
        f"/admin/episodes/{episode.id}/officials",
        {"official_name": "Nguyễn Văn A", "official_title": "Giám đốc Sở Y tế", "official_department": department.id},
    )
    page = (await admin_client.get(f"/admin/episodes/{episode.id}")).text
    assert "Nguyễn Văn A" in page and "Giám đốc Sở Y tế" in page
    await db.refresh(episode)
    official_id = episode.officials[0].id
    await post_form(admin_client, f"/admin/episodes/{episode.id}/officials/{official_id}/delete")
    assert "Nguyễn Văn A" not in (await admin_client.get(f"/admin/episodes/{episode.id}")).text


async def test_department_import_file_and_errors(admin_client: AsyncTestClient[Litestar], db: Any) -> None:
    catalogue = [{"code": "so-moi", "name": "Sở Mới", "short": "SM", "description": "Thử", "keywords": ["a"]}]
    response = await admin_client.post(
        "/admin/departments/import",
        headers={"x-csrftoken": csrf_token(admin_client)},
        files={"file": ("departments.json", json.dumps(catalogue).encode(), "application/json")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert await db.scalar(select(Department.name).where(Department.code == "so-moi")) == "Sở Mới"
    bad = await admin_client.post(
        "/admin/departments/import",
        headers={"x-csrftoken": csrf_token(admin_client)},
        files={"file": ("x.json", io.BytesIO(b"{not json"), "application/json")},
    )
    assert bad.status_code == 422 and "JSON" in bad.text


async def test_department_edit(admin_client: AsyncTestClient[Litestar], db: Any) -> None:
    department = await db.scalar(select(Department).where(Department.code == "so-y-te"))
    response = await post_form(
        admin_client,
        f"/admin/departments/{department.id}",
        {
            "name": "Sở Y tế TP.HCM",
            "short_name": "SYT",
            "description": "Y tế",
            "keywords": "bệnh viện, BHYT",
            "active": "on",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    await db.refresh(department)
    assert department.name == "Sở Y tế TP.HCM" and department.keywords == ["bệnh viện", "BHYT"]


def shown_password(page: str) -> str:
    """The password a notice shows once (four groups of four, as generate_password makes them)."""
    found = re.findall(r"\(chỉ hiển thị một lần\): ([a-z2-9]{4}(?:-[a-z2-9]{4}){3})", page)
    assert len(found) == 1, page
    return found[0]


@contextlib.asynccontextmanager
async def second_browser(client: AsyncTestClient[Litestar], app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Another browser on the app ``client`` already started, through the same portal: a test client of
    its own would run the app's startup and shutdown again on another event loop and close the app's
    Redis connections from there."""
    other = AsyncTestClient(app=app, base_url="http://testserver.local")
    other.blocking_portal = client.blocking_portal
    yield other  # nothing to close: its transport is the portal's


async def test_users_create_deactivate_reactivate_reset(
    admin_client: AsyncTestClient[Litestar], app: Litestar, db: Any
) -> None:
    response = await post_form(
        admin_client,
        "/admin/users",
        {"username": "canbo.yte", "display_name": "Cán bộ Y tế", "role": "officer", "department": "so-y-te"},
    )
    assert response.status_code == 200 and "canbo.yte" in response.text
    first = shown_password(response.text)
    refused = await post_form(admin_client, "/admin/users", {"username": "x", "role": "officer"})
    assert refused.status_code == 422
    user = await db.scalar(select(User).where(User.username == "canbo.yte"))

    async with second_browser(admin_client, app) as officer:
        assert (await login(officer, "canbo.yte", first)).status_code == 303
        assert (await officer.get("/department", follow_redirects=False)).status_code == 200

        # Deactivated: the open session ends and the password no longer opens one.
        await post_form(admin_client, f"/admin/users/{user.id}/deactivate")
        await db.refresh(user)
        assert not user.active
        assert (await officer.get("/department", follow_redirects=False)).status_code == 303
        assert (await login(officer, "canbo.yte", first)).status_code == 422  # the form again, with an error

        # Re-activated: the same password works again.
        response = await post_form(admin_client, f"/admin/users/{user.id}/activate")
        assert response.status_code == 200
        await db.refresh(user)
        assert user.active
        assert (await login(officer, "canbo.yte", first)).status_code == 303
        assert (await officer.get("/department", follow_redirects=False)).status_code == 200

        # Reset: the session opened with the old password ends; the old one fails, the new one works.
        response = await post_form(admin_client, f"/admin/users/{user.id}/reset-password")
        assert response.status_code == 200
        second = shown_password(response.text)
        assert second != first
        assert (await officer.get("/department", follow_redirects=False)).status_code == 303
        assert (await login(officer, "canbo.yte", first)).status_code == 422
        assert (await officer.get("/department", follow_redirects=False)).status_code == 303
        assert (await login(officer, "canbo.yte", second)).status_code == 303
        assert (await officer.get("/department", follow_redirects=False)).status_code == 200

    actions = [e.action for e in await db.scalars(select(AuditEvent).where(AuditEvent.entity_id == user.id))]
    assert {"user.deactivate", "user.activate", "user.reset_password"} <= set(actions), actions
    admin = await db.scalar(select(User).where(User.username == "admin"))
    refused = await post_form(admin_client, f"/admin/users/{admin.id}/deactivate")
    assert refused.status_code == 422


async def test_audit_page_filters(admin_client: AsyncTestClient[Litestar]) -> None:
    await post_form(admin_client, "/admin/episodes", {"title": "Kỳ kiểm toán", "answer_deadline_days": "10"})
    page = (await admin_client.get("/admin/audit?action=episode.")).text
    assert "admin tạo kỳ phát sóng" in page and "tạo tài khoản" not in page
    assert '"action": "episode.create"' in html.unescape(page)  # the raw record, one click away
    page = (await admin_client.get("/admin/audit?who=admin")).text
    assert "admin đăng nhập" in page


async def test_personal_data_page_and_purge(admin_client: AsyncTestClient[Litestar], db: Any) -> None:
    from datetime import timedelta

    from qa_app.events import RecordingPublisher
    from qa_app.models import Question, QuestionStatus, Submission
    from qa_app.services import intake
    from qa_app.services.engines import ModerationEngines
    from qa_app.timeutil import utcnow
    from tests.factories import make_episode

    episode = await make_episode(db)
    form = intake.SubmissionForm(
        text="Đèn đường hẻm nhà tôi hư cả tháng, gọi 0903 123 456 không ai sửa",
        contact="0912345678",
        consent_contact=True,
    )
    result = await intake.submit(db, ModerationEngines(), RecordingPublisher(), episode, form)
    question = await db.get(Question, result.question_id)
    question.status, question.updated_at = QuestionStatus.REJECTED, utcnow() - timedelta(days=120)
    await db.commit()

    page = (await admin_client.get("/admin/personal-data")).text
    assert "Dữ liệu cá nhân" in page and "Làm sạch ngay" in page
    response = await post_form(admin_client, "/admin/personal-data/purge", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/personal-data?done=1"
    page = (await admin_client.get(response.headers["location"])).text
    assert "Đã làm sạch 1 phiếu gửi." in page
    db.expire_all()
    submission = await db.scalar(select(Submission).where(Submission.tracking_code == result.tracking_code))
    assert submission.contact is None and "0903" not in submission.raw_text
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
    assert event is not None and event.actor_label == "admin"


async def test_a_citizens_request_search_export_erase(admin_client: AsyncTestClient[Litestar], db: Any) -> None:
    from qa_app.events import RecordingPublisher
    from qa_app.models import Submission
    from qa_app.services import intake
    from qa_app.services.engines import ModerationEngines
    from tests.factories import make_episode

    episode = await make_episode(db)
    engines, publisher = ModerationEngines(), RecordingPublisher()
    mine = []
    for text in (
        "Đèn đường hẻm nhà tôi hư cả tháng, nhà tôi ở số 12 hẻm 34 không ai sửa",
        "Rác ở chợ không ai thu gom",
    ):
        form = intake.SubmissionForm(text=text, name="Lê Thị Hoa", contact="0912 345 678", consent_contact=True)
        mine.append(await intake.submit(db, engines, publisher, episode, form))
    other = await intake.submit(
        db,
        engines,
        publisher,
        episode,
        intake.SubmissionForm(text="Cống thoát nước bị tắc", contact="0987654321", consent_contact=True),
    )

    bad = await post_form(admin_client, "/admin/personal-data/search", {"contact": "không phải số"})
    assert bad.status_code == 422 and "Vui lòng nhập số điện thoại hoặc địa chỉ email." in bad.text
    page = await post_form(admin_client, "/admin/personal-data/search", {"contact": "+84 912 345 678"})
    assert page.status_code == 200
    assert all(r.tracking_code in page.text for r in mine) and other.tracking_code not in page.text
    exported = await post_form(admin_client, "/admin/personal-data/export", {"contact": "0912345678"})
    assert exported.headers["content-disposition"].startswith("attachment")
    records = exported.json()
    assert {r["tracking_code"] for r in records} == {r.tracking_code for r in mine}
    assert records[0]["name"] == "Lê Thị Hoa" and records[0]["consent_contact"] is True

    erased = await post_form(
        admin_client, "/admin/personal-data/erase", {"contact": "0912345678"}, follow_redirects=False
    )
    assert erased.headers["location"] == "/admin/personal-data?erased=2"
    assert "Đã xóa dữ liệu cá nhân của 2 phiếu gửi." in (await admin_client.get(erased.headers["location"])).text
    db.expire_all()
    for result in mine:
        row = await db.scalar(select(Submission).where(Submission.tracking_code == result.tracking_code))
        assert row.contact is None and row.name is None and "34" not in row.raw_text
    untouched = await db.scalar(select(Submission).where(Submission.tracking_code == other.tracking_code))
    assert untouched.contact == "0987654321"
    again = await post_form(admin_client, "/admin/personal-data/search", {"contact": "0912345678"})
    assert "Không có dữ liệu nào gắn với thông tin liên hệ này." in again.text
    actions = [e.action for e in await db.scalars(select(AuditEvent).where(AuditEvent.action.like("personal_data.%")))]
    assert (
        actions.count("personal_data.search") == 2
        and "personal_data.export" in actions
        and "personal_data.erase" in actions
    )
    audit_text = " ".join(
        str(e.after) for e in await db.scalars(select(AuditEvent).where(AuditEvent.action.like("personal_data.%")))
    )
    assert "0912345678" not in audit_text  # the audit says who by fingerprint only


async def test_holidays_screen_moves_written_answer_deadlines(admin_client: AsyncTestClient[Litestar], db: Any) -> None:
    from datetime import UTC, date, datetime

    from qa_app.events import RecordingPublisher
    from qa_app.services import intake
    from qa_app.services import moderation_actions as actions
    from qa_app.services.engines import ModerationEngines
    from tests.factories import make_episode

    episode = await make_episode(db, slug="ky-nghi-le")
    episode.air_start = datetime(2030, 1, 7, 13, 0, tzinfo=UTC)  # Monday 7 January 2030, 20:00 in the city
    episode.answer_deadline_days = 3
    await db.commit()
    moderator = await db.scalar(select(User).where(User.username == "moderator"))
    ctx = actions.ActionContext(db=db, actor=moderator, publisher=RecordingPublisher(), engines=ModerationEngines())

    async def routed_due(text: str) -> date:
        form = intake.SubmissionForm(text=text)
        asked = await intake.submit(db, ctx.engines, ctx.publisher, episode, form)
        question = await actions.route(ctx, asked.question_id, "so-xay-dung")
        return question.due_date

    # Mon 7 + 3 working days = Thu 10.
    assert await routed_due("Xin hỏi tiến độ xây cầu Thủ Thiêm 4 đến đâu rồi, bao giờ thông xe?") == date(2030, 1, 10)

    holiday = {"day": "2030-01-09", "name": "Ngày nghỉ kiểm thử"}
    response = await post_form(admin_client, "/admin/holidays", holiday, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/holidays"
    page = (await admin_client.get("/admin/holidays")).text
    assert "Ngày nghỉ kiểm thử" in page and 'action="/admin/holidays/2030-01-09/delete"' in page
    again = await post_form(admin_client, "/admin/holidays", {"day": "2030-01-09", "name": "Lần nữa"})
    assert again.status_code == 422 and 'id="day-error"' in again.text
    unnamed = await post_form(admin_client, "/admin/holidays", {"day": "2030-01-14", "name": " "})
    assert unnamed.status_code == 422 and 'id="name-error"' in unnamed.text
    # Wednesday 9 is skipped now: Tue 8, Thu 10, Fri 11.
    assert await routed_due("Đề nghị cho biết lịch nạo vét kênh Nhiêu Lộc năm nay thế nào?") == date(2030, 1, 11)

    response = await post_form(admin_client, "/admin/holidays/2030-01-09/delete", follow_redirects=False)
    assert response.status_code == 303
    assert "Ngày nghỉ kiểm thử" not in (await admin_client.get("/admin/holidays")).text
    assert await routed_due("Bao giờ phường lắp thêm đèn chiếu sáng cho hẻm 45 Trần Hưng Đạo?") == date(2030, 1, 10)
    assert (await post_form(admin_client, "/admin/holidays/2030-01-09/delete")).status_code == 404
    actions_logged = [e.action for e in await db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "holiday"))]
    assert actions_logged == ["holiday.add", "holiday.delete"]
