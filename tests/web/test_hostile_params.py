"""Every route, every integer it reads (path, query, form field, JSON field), with values no id can
have: never a 5xx. An id outside 1..2^31-1 in a path is "not found"; in a query string or a form,
"bad request" or ignored."""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest
from litestar import Litestar
from litestar.params import ParameterKwarg, ParamType
from litestar.routes import HTTPRoute, WebSocketRoute
from litestar.testing import AsyncTestClient

from qa_app.events import RecordingPublisher
from qa_app.services import intake
from qa_app.services import users as user_service
from qa_app.services.engines import ModerationEngines
from tests.conftest import login, post_form
from tests.factories import make_episode, make_staff
from tests.web.test_route_matrix import PATH_VALUES

HOSTILE = ["-1", str(2**31), str(2**63), "99999999999999999999"]
# Every integer a form of ours reads (qa_app/web/*.py: int_field, int_list and the rundown order).
INT_FORM_FIELDS = [
    "answer_deadline_days",
    "department_ids",
    "official_department",
    "join_question_id",
    "version",
    "priority",
    "target_id",
    "episode_id",
    "question_id",
    "order",
]
INT_PATH = re.compile(r"\{(\w+):int\}")


def int_query_params(route: HTTPRoute | WebSocketRoute) -> set[str]:
    """Integer parameters of the route's handlers that are not path parameters or dependencies."""
    names: set[str] = set()
    path_params = set(route.path_parameters)
    for handler in route.route_handlers:
        dependencies = set(handler.resolve_dependencies())
        for name, definition in handler.parsed_fn_signature.parameters.items():
            if name in path_params or name in dependencies or name in {"request", "socket", "data"}:
                continue
            kwarg = definition.kwarg_definition
            if isinstance(kwarg, ParameterKwarg) and kwarg.param_type not in (None, ParamType.QUERY):
                continue
            types = {definition.annotation, *get_args(definition.annotation)}
            if int in types:
                names.add(kwarg.name if isinstance(kwarg, ParameterKwarg) and kwarg.name else name)
    return names


def url_with(path: str, values: dict[str, str]) -> str:
    merged = {**PATH_VALUES, **values}
    return re.sub(r"\{(\w+):\w+\}", lambda m: merged[m.group(1)], path)


@pytest.fixture
async def admin_client(client: AsyncTestClient[Litestar], db: Any) -> AsyncTestClient[Litestar]:
    await make_staff(db)
    episode = await make_episode(db)
    await intake.submit(
        db,
        ModerationEngines(),
        RecordingPublisher(),
        episode,
        intake.SubmissionForm(text="Hỏi về giấy phép xây dựng nhà ở riêng lẻ"),
    )
    assert (await login(client, "admin")).status_code == 303
    return client


async def test_every_integer_parameter_of_every_route_is_bounded(
    app: Litestar, admin_client: AsyncTestClient[Litestar]
) -> None:
    client = admin_client
    failures: list[str] = []
    seen_path = seen_query = 0

    async def call(method: str, url: str, form: dict[str, Any] | None = None) -> int:
        if method == "GET":
            response = await client.get(url, follow_redirects=False)
        else:
            response = await post_form(client, url, form or {}, follow_redirects=False)
        if response.status_code >= 500:
            failures.append(f"{method} {url} {form or ''} -> {response.status_code}")
        return response.status_code

    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/api/v1/episodes/{slug:str}/on-air"):
            continue  # the studio control API: below, with a token
        methods = sorted(route.methods - {"HEAD", "OPTIONS"})
        for method in methods:
            if route.path in ("/login", "/logout"):
                continue
            for name in INT_PATH.findall(route.path):
                seen_path += 1
                for value in HOSTILE:
                    status = await call(method, url_with(route.path, {name: value}))
                    if status not in (404, 303):  # 303: a screen that sends the caller elsewhere
                        failures.append(f"{method} {route.path} {name}={value} -> {status}, not 404")
            base = url_with(route.path, {})
            for name in int_query_params(route) if method == "GET" else ():
                seen_query += 1
                for value in HOSTILE:
                    await call(method, f"{base}?{name}={value}")
            if method == "POST":
                for value in HOSTILE:
                    await call(method, base, dict.fromkeys(INT_FORM_FIELDS, value))
    assert seen_path > 30 and seen_query >= 8, (seen_path, seen_query)
    assert not failures, "\n".join(failures)


async def test_studio_control_api_bounds_question_ids(admin_client: AsyncTestClient[Litestar], db: Any) -> None:
    _, token = await user_service.create_api_token(db, None, "producer", "studio")
    headers = {"Authorization": f"Bearer {token}"}
    for value in HOSTILE:
        response = await admin_client.post(
            "/api/v1/episodes/ky-kiem-thu/on-air",
            content=f'{{"question_id": {value}}}',
            headers=headers | {"Content-Type": "application/json"},
        )
        assert response.status_code in (400, 404, 409, 422), (value, response.status_code, response.text)
        assert response.json()["detail"]


# Every field name our templates post (grep 'name="…"' templates/), each given control characters.
FORM_FIELDS = (
    "version name department contact text ward_code official_name episode_id decision consent_contact username "
    "status reason q password note episode comment channel action ward_text title target_id suggested suggest "
    "slug score role question_id official_title official join_question_id idempotency_key filler_phrases "
    "description department_ids day consent_name_on_air code body auto_merge answer_deadline_days air_start "
    "air_end who ward theme sort short_name priority official_department next ma keywords entity due "
    "display_name commitments commitment_what commitment_due active evidence verdict format contacts"
).split()
DIRTY = "Nội dung\x00 thử\x01 nghiệm\x1b đủ dài\x7f cho câu\x85 hỏi này, cảm ơn\x08"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def str_query_params(route: HTTPRoute) -> set[str]:
    names: set[str] = set()
    for handler in route.route_handlers:
        dependencies = set(handler.resolve_dependencies())
        for name, definition in handler.parsed_fn_signature.parameters.items():
            if name in route.path_parameters or name in dependencies or name in {"request", "socket", "data"}:
                continue
            if str in {definition.annotation, *get_args(definition.annotation)}:
                kwarg = definition.kwarg_definition
                names.add(kwarg.name if isinstance(kwarg, ParameterKwarg) and kwarg.name else name)
    return names


async def test_no_control_character_reaches_the_database(
    app: Litestar, admin_client: AsyncTestClient[Litestar], db: Any
) -> None:
    """NUL, escape, DEL and C1 controls in every form field, query string and path of every route, and in
    every field of the JSON API: nothing answers 5xx, and no stored text holds one."""
    from urllib.parse import quote

    from sqlalchemy import JSON, String, Text, select

    from qa_app.models import Base

    client = admin_client
    failures = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path == "/logout":
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            url = url_with(route.path, {})
            if method == "GET":
                query = "&".join(f"{name}={quote(DIRTY)}" for name in sorted(str_query_params(route)))
                response = await client.get(f"{url}?{query}" if query else url, follow_redirects=False)
            elif route.path.startswith("/api/"):
                response = await client.post(url, json=dict.fromkeys(["text", "name", "ward", "contact"], DIRTY))
            else:
                response = await post_form(client, url, dict.fromkeys(FORM_FIELDS, DIRTY), follow_redirects=False)
            if response.status_code >= 500:
                failures.append(f"{method} {url} -> {response.status_code}")
            for name, kind in route.path_parameters.items():
                if kind.type is str and name != "file_path":
                    dirty = url_with(route.path, {name: "a%00b%1B"})
                    response = await (client.get(dirty) if method == "GET" else post_form(client, dirty, {}))
                    if response.status_code != 404:
                        failures.append(f"{method} {dirty} -> {response.status_code}, not 404")
    ward = {"text": "Xin hỏi lệ phí trước bạ nhà đất năm nay là bao nhiêu?", "ward": "Phường\x00 Bến\x1f Thành"}
    response = await client.post("/api/v1/episodes/ky-kiem-thu/submissions", json=ward)
    assert response.status_code == 201, response.text
    assert not failures, "\n".join(failures)

    stored, cleaned = [], 0
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        for row in (await db.execute(select(*columns))).all() if columns else []:
            for column, value in zip(columns, row, strict=True):
                for text in strings(value):
                    cleaned += "Nội dung thử nghiệm" in text
                    if CONTROL.search(text):
                        stored.append(f"{table.name}.{column.name}: {text!r}"[:200])
    assert not stored, "\n".join(stored)
    assert cleaned >= 5, "the dirty values were refused everywhere: the test proves nothing"


def strings(value: Any) -> list[str]:
    """Every string in a column value (JSON columns hold lists and objects)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []
