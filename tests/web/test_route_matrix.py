"""Role × route matrix: every route of the app must have an entry here, or this test fails.

Access classes: PUBLIC (anyone), STAFF (any logged-in role), ADMIN. Anonymous callers of protected
screens are sent to the login page (303); logged-in callers without the role get 403.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute, WebSocketRoute
from litestar.testing import AsyncTestClient

from qa_app.events import RecordingPublisher
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from tests.conftest import login, post_form
from tests.factories import make_episode, make_staff

PUBLIC = "public"
STAFF = frozenset({"operator", "moderator", "officer", "producer", "admin"})
ADMIN = frozenset({"admin"})
DESK = frozenset({"operator", "moderator", "admin"})
MOD = frozenset({"moderator", "admin"})
DEPT = frozenset({"officer", "admin"})
PROD = frozenset({"producer", "admin"})
REPORT = frozenset({"moderator", "producer", "admin"})
# Studio control API: a producer's bearer token only; a session cookie never authorises the API.
TOKEN = "token"
ROLES = ["anonymous", "operator", "moderator", "officer_a", "producer", "admin"]

EXPECTED: dict[tuple[str, str], str | frozenset[str]] = {
    ("GET", "/ky/{slug:str}"): PUBLIC,
    ("POST", "/ky/{slug:str}/gui-cau-hoi"): PUBLIC,
    ("GET", "/ky/{slug:str}/cau-hoi-tuong-tu"): PUBLIC,
    ("GET", "/phuong-xa"): PUBLIC,
    ("GET", "/tra-cuu"): PUBLIC,
    ("GET", "/tra-cuu/{code:str}"): PUBLIC,
    ("GET", "/api/v1/episodes"): PUBLIC,
    ("POST", "/api/v1/episodes/{slug:str}/submissions"): PUBLIC,
    ("GET", "/api/v1/submissions/{code:str}"): PUBLIC,
    ("GET", "/operator"): DESK,
    ("POST", "/operator/submissions"): DESK,
    ("GET", "/operator/similar"): DESK,
    ("GET", "/moderation"): MOD,
    ("GET", "/moderation/questions/{question_id:int}"): MOD,
    ("GET", "/moderation/questions/{question_id:int}/card"): MOD,
    ("GET", "/moderation/questions/{question_id:int}/targets"): MOD,
    ("GET", "/moderation/questions/{question_id:int}/merge"): MOD,
    ("GET", "/moderation/ward-options"): MOD,
    ("POST", "/moderation/questions/{question_id:int}/route"): MOD,
    ("POST", "/moderation/questions/{question_id:int}/reject"): MOD,
    ("POST", "/moderation/questions/{question_id:int}/reopen"): MOD,
    ("POST", "/moderation/questions/{question_id:int}/priority"): MOD,
    ("POST", "/moderation/questions/{question_id:int}/merge"): MOD,
    ("POST", "/moderation/questions/{question_id:int}/wording"): MOD,
    ("POST", "/moderation/questions/{question_id:int}/approve-wording"): MOD,
    ("POST", "/moderation/questions/{question_id:int}/editing"): MOD,
    ("POST", "/moderation/submissions/{submission_id:int}/split"): MOD,
    ("POST", "/moderation/history/{event_id:int}/undo"): MOD,
    ("POST", "/moderation/answers/{answer_id:int}/review"): MOD,
    ("GET", "/moderation/settings"): MOD,
    ("POST", "/moderation/settings"): MOD,
    ("WS", "/ws/moderation/{episode_id:int}"): MOD,
    ("POST", "/moderation/reroutes/{request_id:int}/decide"): MOD,
    ("POST", "/moderation/questions/{question_id:int}/publish"): MOD,
    ("GET", "/department"): DEPT,
    ("GET", "/department/questions/{question_id:int}"): DEPT,
    ("POST", "/department/questions/{question_id:int}/draft"): DEPT,
    ("POST", "/department/questions/{question_id:int}/submit"): DEPT,
    ("POST", "/department/questions/{question_id:int}/reroute"): DEPT,
    ("POST", "/department/questions/{question_id:int}/check"): DEPT,
    ("WS", "/ws/department"): DEPT,
    ("GET", "/producer"): PROD,
    ("POST", "/producer/{episode_id:int}/rundown"): PROD,
    ("POST", "/producer/{episode_id:int}/rundown/{item_id:int}/{action:str}"): PROD,
    ("POST", "/producer/{episode_id:int}/order"): PROD,
    ("POST", "/producer/{episode_id:int}/on-air"): PROD,
    ("POST", "/producer/{episode_id:int}/on-air/{action:str}"): PROD,
    ("POST", "/producer/{episode_id:int}/studio-link/revoke"): PROD,
    ("WS", "/ws/producer/{episode_id:int}"): PROD,
    ("GET", "/studio/{episode_id:int}/{token:str}"): PUBLIC,
    ("WS", "/ws/studio/{episode_id:int}/{token:str}"): PUBLIC,
    ("GET", "/truc-tiep/{slug:str}"): PUBLIC,
    ("WS", "/ws/public/{episode_id:int}"): PUBLIC,
    ("GET", "/danh-gia/{question_id:int}"): PUBLIC,
    ("POST", "/danh-gia/{question_id:int}"): PUBLIC,
    ("GET", "/api/v1/episodes/{slug:str}/rundown"): TOKEN,
    ("POST", "/api/v1/episodes/{slug:str}/on-air"): TOKEN,
    ("POST", "/api/v1/episodes/{slug:str}/on-air/next"): TOKEN,
    ("POST", "/api/v1/episodes/{slug:str}/on-air/done"): TOKEN,
    ("GET", "/admin/holidays"): ADMIN,
    ("POST", "/admin/holidays"): ADMIN,
    ("POST", "/admin/holidays/{day:str}/delete"): ADMIN,
    ("GET", "/admin/personal-data"): ADMIN,
    ("POST", "/admin/personal-data/purge"): ADMIN,
    ("POST", "/admin/personal-data/search"): ADMIN,
    ("POST", "/admin/personal-data/export"): ADMIN,
    ("POST", "/admin/personal-data/erase"): ADMIN,
    ("GET", "/operator/import"): DESK,
    ("POST", "/operator/import"): DESK,
    ("GET", "/operator/import/{token:str}"): DESK,
    ("POST", "/operator/import/{token:str}"): DESK,
    ("GET", "/"): PUBLIC,
    ("GET", "/ngon-ngu/{locale:str}"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/static/{file_path:path}"): PUBLIC,
    ("GET", "/api/schema"): PUBLIC,
    ("GET", "/api/schema/rapidoc"): PUBLIC,
    ("GET", "/api/schema/openapi.json"): PUBLIC,
    ("GET", "/api/schema/{path:str}"): PUBLIC,
    ("GET", "/workspace"): STAFF,
    ("WS", "/ws/workspace/{episode_id:int}"): STAFF,
    ("GET", "/admin"): ADMIN,
    ("GET", "/admin/episodes"): ADMIN,
    ("POST", "/admin/episodes"): ADMIN,
    ("GET", "/admin/episodes/new"): ADMIN,
    ("GET", "/admin/episodes/{episode_id:int}"): ADMIN,
    ("POST", "/admin/episodes/{episode_id:int}"): ADMIN,
    ("POST", "/admin/episodes/{episode_id:int}/status"): ADMIN,
    ("POST", "/admin/episodes/{episode_id:int}/officials"): ADMIN,
    ("POST", "/admin/episodes/{episode_id:int}/officials/{official_id:int}/delete"): ADMIN,
    ("GET", "/admin/departments"): ADMIN,
    ("POST", "/admin/departments/import"): ADMIN,
    ("GET", "/admin/departments/{department_id:int}"): ADMIN,
    ("POST", "/admin/departments/{department_id:int}"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{user_id:int}/deactivate"): ADMIN,
    ("POST", "/admin/users/{user_id:int}/activate"): ADMIN,
    ("POST", "/admin/users/{user_id:int}/reset-password"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/department/commitments"): DEPT,
    ("POST", "/department/commitments/{commitment_id:int}/claim"): DEPT,
    ("GET", "/moderation/commitments"): MOD,
    ("POST", "/moderation/commitments/{commitment_id:int}/review"): MOD,
    ("POST", "/moderation/commitments/{commitment_id:int}/drop"): MOD,
    ("GET", "/loi-hua/{token:str}"): PUBLIC,
    ("POST", "/loi-hua/{token:str}"): PUBLIC,
    ("GET", "/ngung-nhan-tin/{token:str}"): PUBLIC,
    ("POST", "/ngung-nhan-tin/{token:str}"): PUBLIC,
    ("GET", "/admin/notifications"): ADMIN,
    ("POST", "/admin/notifications/{message_id:int}/send-again"): ADMIN,
    ("GET", "/giai-trinh/{slug:str}"): PUBLIC,
    ("GET", "/giai-trinh/{slug:str}/{code:str}"): PUBLIC,
    ("GET", "/reports"): REPORT,
    ("GET", "/reports/{slug:str}"): REPORT,
    ("POST", "/reports/{slug:str}/export"): REPORT,
}

# Concrete values for path parameters; ids refer to rows that the fixture creates.
PATH_VALUES = {
    "slug": "ky-kiem-thu",
    "code": "DH-ZZZZZZ",
    "token": "no-such-upload",
    "question_id": "1",
    "submission_id": "999",
    "event_id": "999",
    "answer_id": "999",
    "request_id": "999",
    "item_id": "999",
    "action": "up",
    "day": "2026-01-01",
    "locale": "en",
    "file_path": "css/app.css",
    "path": "rapidoc",
    "episode_id": "1",
    "official_id": "999",
    "department_id": "1",
    "user_id": "999",
    "commitment_id": "999",
    "message_id": "999",
}


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    routes = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method in route.methods - {"HEAD", "OPTIONS"}:
                routes.add((method, route.path))
        elif isinstance(route, WebSocketRoute):
            routes.add(("WS", route.path))
    return routes


def concrete(path: str, values: dict[str, str] | None = None) -> str:
    values = {**PATH_VALUES, **(values or {})}
    return re.sub(r"\{(\w+):\w+\}", lambda m: values[m.group(1)], path)


def test_every_route_has_an_entry(app: Litestar) -> None:
    routes = app_routes(app)
    missing = routes - EXPECTED.keys()
    stale = EXPECTED.keys() - routes
    assert not missing, f"routes without an entry in the role matrix: {sorted(missing)}"
    assert not stale, f"matrix entries for routes that no longer exist: {sorted(stale)}"


# Query strings the GET routes need to answer 200.
QUERIES = {
    "/operator/similar": "?episode=1&text=giay+phep+xay+dung",
    # The one question there is: a merge into itself is "not found" (no such target).
    "/moderation/questions/{question_id:int}/merge": "?target_id=1",
}


def allowed(access: str | frozenset[str], role: str) -> bool:
    return access == PUBLIC or (access != TOKEN and role.removesuffix("_a") in access)


@pytest.mark.parametrize("role", ROLES)
async def test_role_matrix(client: AsyncTestClient[Litestar], db: Any, role: str) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    submitted = await intake.submit(
        db,
        ModerationEngines(),
        RecordingPublisher(),
        episode,
        intake.SubmissionForm(text="Hỏi về giấy phép xây dựng nhà ở riêng lẻ"),
    )
    values = {"code": submitted.tracking_code}
    if role != "anonymous":
        response = await login(client, role)
        assert response.status_code in (200, 303), response.text
    for (method, path), access in sorted(EXPECTED.items()):
        if method == "WS" or path in {"/login", "/logout"}:
            continue  # websockets: tests/realtime; login/logout: test_auth
        url = concrete(path, values) + (QUERIES.get(path, "") if method == "GET" else "")
        if access == TOKEN:
            response = await (client.get(url) if method == "GET" else client.post(url, json={"question_id": 1}))
            assert response.status_code == 401, f"{role} on {method} {url}: {response.status_code}"
            continue
        if method == "GET":
            response = await client.get(url, follow_redirects=False)
        else:
            response = await post_form(client, url, {}, follow_redirects=False)
        status = response.status_code
        if allowed(access, role):
            assert status not in (401, 403), f"{role} refused on {method} {url}: {status}"
            assert status < 500, f"{role} got {status} on {method} {url}"
            if method == "GET":
                # An officer asking for a question outside their department gets "not found".
                maybe_missing = (
                    "{token" in path
                    or path.startswith(("/department/questions", "/danh-gia", "/giai-trinh/{slug:str}/"))
                    or path == "/moderation/questions/{question_id:int}/merge"
                )
                ok = (200, 301, 302, 303, 307, 404) if maybe_missing else (200, 301, 302, 303, 307)
                assert status in ok, f"{role} got {status} on GET {url}"
        elif role == "anonymous":
            assert status == 303 and response.headers["location"].startswith("/login"), (
                f"anonymous on {method} {url}: {status}"
            )
        else:
            assert status == 403, f"{role} on {method} {url}: expected 403, got {status}"
