"""The JSON API: happy paths and errors, never a 500 for bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from qa_app.models import Channel, EpisodeStatus, Submission
from qa_app.services import users as user_service
from tests.factories import make_episode, make_staff

TEXT = "Xin hỏi lệ phí cấp đổi giấy phép lái xe hạng B năm 2026 là bao nhiêu và nộp trực tuyến được không?"


@pytest.fixture
async def tokens(db: Any) -> dict[str, str]:
    await make_staff(db)
    await make_episode(db, title="Kỳ API", slug="ky-api")
    await make_episode(db, title="Kỳ nháp", slug="ky-nhap", status=EpisodeStatus.DRAFT)
    _, operator = await user_service.create_api_token(db, None, "operator", "hotline")
    _, producer = await user_service.create_api_token(db, None, "producer", "studio")
    return {"operator": operator, "producer": producer}


async def test_list_open_episodes(client: AsyncTestClient[Litestar], tokens: dict[str, str]) -> None:
    response = await client.get("/api/v1/episodes")
    assert response.status_code == 200
    assert [e["slug"] for e in response.json()] == ["ky-api"]
    assert set(response.json()[0]) == {"slug", "title", "theme", "status", "air_start", "air_end"}


async def test_public_web_submission_then_status(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], db: Any
) -> None:
    sent = {"text": TEXT, "contact": "0912 345 678", "consent": True, "idempotency_key": "app-1"}
    response = await client.post("/api/v1/episodes/ky-api/submissions", json=sent)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["tracking_code"].startswith("DH-") and body["status"] == "new" and body["question_id"] > 0
    again = await client.post("/api/v1/episodes/ky-api/submissions", json=sent)
    assert again.status_code == 201 and again.json()["tracking_code"] == body["tracking_code"]
    status = await client.get(f"/api/v1/submissions/{body['tracking_code']}")
    assert status.status_code == 200
    data = status.json()
    assert data["status"] == "new" and data["answer"] is None and "Đã tiếp nhận" in data["status_text"]
    assert "0912" not in status.text
    submission = await db.scalar(select(Submission))
    assert submission.channel is Channel.WEB


async def test_hotline_token_records_phone_channel(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], db: Any
) -> None:
    response = await client.post(
        "/api/v1/episodes/ky-api/submissions",
        json={"text": TEXT, "channel": "phone"},
        headers={"Authorization": f"Bearer {tokens['operator']}"},
    )
    assert response.status_code == 201, response.text
    submission = await db.scalar(select(Submission))
    assert submission.channel is Channel.PHONE and submission.entered_by_id is not None


@pytest.mark.parametrize(
    "payload, headers_key, status, fragment",
    [
        ({"text": TEXT, "channel": "phone"}, None, 401, "token"),
        ({"text": TEXT, "channel": "phone"}, "bad", 401, "token"),
        ({"text": TEXT}, "producer", 403, "không được phép"),
        ({"text": "ngắn"}, None, 422, "quá ngắn"),
        ({"text": "x\u0000" * 10}, None, 422, "NUL"),
        ({"text": TEXT, "contact": "không có"}, None, 422, "số điện thoại"),
        ({"text": 42}, None, 400, ""),
        ({}, None, 400, ""),
        ("not json", None, 400, ""),
    ],
)
async def test_errors_are_json(
    client: AsyncTestClient[Litestar],
    tokens: dict[str, str],
    payload: Any,
    headers_key: str | None,
    status: int,
    fragment: str,
) -> None:
    headers = {}
    if headers_key == "bad":
        headers["Authorization"] = "Bearer qa_not-a-real-token"
    elif headers_key:
        headers["Authorization"] = f"Bearer {tokens[headers_key]}"
    if isinstance(payload, str):
        response = await client.post(
            "/api/v1/episodes/ky-api/submissions",
            content=payload,
            headers={**headers, "Content-Type": "application/json"},
        )
    else:
        response = await client.post("/api/v1/episodes/ky-api/submissions", json=payload, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert fragment in response.json()["detail"]


async def test_unknown_episode_and_code(client: AsyncTestClient[Litestar], tokens: dict[str, str]) -> None:
    assert (await client.post("/api/v1/episodes/khong-co/submissions", json={"text": TEXT})).status_code == 404
    assert (await client.post("/api/v1/episodes/ky-nhap/submissions", json={"text": TEXT})).status_code == 409
    response = await client.get("/api/v1/submissions/DH-ZZZZZZ")
    assert response.status_code == 404 and response.json()["detail"]


async def test_session_cookie_does_not_authorise_the_api(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    from tests.conftest import login

    await login(client, "operator")
    response = await client.post("/api/v1/episodes/ky-api/submissions", json={"text": TEXT, "channel": "phone"})
    assert response.status_code == 401


async def test_openapi_documents_the_api(client: AsyncTestClient[Litestar]) -> None:
    schema = (await client.get("/api/schema/openapi.json")).json()
    assert "/api/v1/episodes/{slug}/submissions" in schema["paths"]
    assert "/api/v1/submissions/{code}" in schema["paths"]


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("text/plain", json.dumps({"text": TEXT})),
        ("application/x-www-form-urlencoded", "text=" + TEXT),
        ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--x--'),
        (None, json.dumps({"text": TEXT})),
    ],
)
async def test_the_api_takes_json_only(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], db: Any, content_type: str | None, body: str
) -> None:
    """What a cross-site form can send (text/plain, a form) is refused before anything is read."""
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post("/api/v1/episodes/ky-api/submissions", content=body.encode(), headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["status"] == 415 and "application/json" in response.json()["detail"]
    assert await db.scalar(select(func.count(Submission.id))) == 0


async def test_deeply_nested_json_is_a_bad_request(client: AsyncTestClient[Litestar], tokens: dict[str, str]) -> None:
    for depth in (40, 100_000):
        body = json.dumps({"text": TEXT, "extra": None}).replace("null", "[" * depth + "]" * depth)
        response = await client.post(
            "/api/v1/episodes/ky-api/submissions", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400 and "lồng nhau" in response.json()["detail"], response.text


async def test_wrong_types_are_explained_by_field(client: AsyncTestClient[Litestar], tokens: dict[str, str]) -> None:
    response = await client.post("/api/v1/episodes/ky-api/submissions", json={"text": 42, "contact": ["a"]})
    body = response.json()
    assert response.status_code == 400 and set(body) == {"error", "detail", "status", "errors"}
    assert "text" in body["errors"] and "không hợp lệ" in body["detail"]


async def test_control_characters_are_not_stored_from_the_api(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], db: Any
) -> None:
    """NUL reached PostgreSQL through the ``ward`` field: dropped now, with the other control characters."""
    payload = {"text": TEXT, "ward": "Phường\x00 Bến\x1b Thành", "name": "An\x00\x7f"}
    response = await client.post("/api/v1/episodes/ky-api/submissions", json=payload)
    assert response.status_code == 201, response.text
    submission = await db.scalar(select(Submission))
    assert submission.ward_text == "Phường Bến Thành" and submission.name == "An"


async def test_times_carry_their_offset(client: AsyncTestClient[Litestar], tokens: dict[str, str]) -> None:
    created = await client.post("/api/v1/episodes/ky-api/submissions", json={"text": TEXT})
    status = await client.get(f"/api/v1/submissions/{created.json()['tracking_code']}")
    assert status.json()["received_at"].endswith("+00:00") or status.json()["received_at"].endswith("Z")


async def test_an_undeclared_method_says_what_is_allowed(client: AsyncTestClient[Litestar]) -> None:
    response = await client.delete("/api/v1/episodes")
    assert response.status_code == 405 and "GET" in response.headers["allow"]
    assert response.json()["status"] == 405
