"""One bad request never hurts another citizen's (issue 11, finding 1).

Random mixes of valid and hostile submissions, sent at once through a real server over the web form
and the JSON API, so that they share the intake writer's batches: every valid one is stored exactly
once under the code it was given, every invalid one is refused with a 4xx, and nothing answers 5xx.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from qa_app.app import create_app
from qa_app.models import QuestionStatus, Submission
from qa_app.services import intake
from qa_app.services.intake_writer import IntakeWriter
from qa_app.settings import Settings
from tests.factories import import_departments, make_episode
from tests.web.serving import serving

SLUG = "ky-cach-ly"
WORDS = (
    "xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ tuyến xe buýt số 150 chạy thưa học phí lớp 10 "
    "trường công lập nước máy yếu mất nước đường ngập sâu khi mưa phường Bến Thành hẻm rác thải cây xanh "
    "nghiêng lương bảo hiểm xã hội đăng ký khai sinh con bao giờ ở đâu bao nhiêu tiền"
).split()
MEGABYTE = "ă" * (1024 * 1024 // 2)
# What control characters a valid submission may carry: they are dropped, the rest is stored.
HARMLESS_NAMES = ["", "Nguyễn Văn An", "Bình\x07\x1b\x7f", "Lan\u200b\u202e", "Chị\x85 Tư", "An\x00"]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass
class Item:
    """One request of the mix: how to send it, and what must come back."""

    via: str  # "web" or "api"
    valid: bool
    fields: dict[str, Any] = field(default_factory=dict)  # form fields or the JSON object
    raw: str | None = None  # a JSON body sent as it is (malformed on purpose)
    content_type: str = "application/json"
    key: str = field(default_factory=lambda: uuid.uuid4().hex)


question_text = st.lists(st.sampled_from(WORDS), min_size=4, max_size=14).map(
    lambda words: " ".join(words).capitalize() + "?"
)
contact = st.sampled_from(["", "0903 123 456", "+84 912.345.678", "an.nguyen@example.vn"])


@st.composite
def valid_web(draw: st.DrawFn) -> tuple[str, Any]:
    phone = draw(contact)
    text = draw(question_text)
    if draw(st.booleans()):  # the form drops control characters (NUL included): still a valid question
        text = text[:5] + draw(st.sampled_from(["\x00", "\x1b[31m", "\x7f", "\x85", "\x00\x00"])) + text[5:]
    fields = {"text": text, "name": draw(st.sampled_from(HARMLESS_NAMES)), "contact": phone}
    if phone:
        fields["consent_contact"] = "on"
    if draw(st.booleans()):
        fields["join_question_id"] = "public"  # "me too" on a public question of the episode
    return ("web", fields)


@st.composite
def valid_api(draw: st.DrawFn) -> tuple[str, Any]:
    phone = draw(contact)
    fields: dict[str, Any] = {"text": draw(question_text), "name": draw(st.sampled_from(HARMLESS_NAMES))}
    if phone:
        fields.update(contact=phone, consent=True)
    fields["ward"] = draw(st.sampled_from(["", "Phường Bến Thành", "Phường\x00 Sài Gòn\x1f", "25747"]))
    return ("api", fields)


def join(value: str) -> Item:
    return Item("web", False, {"text": "", "join_question_id": value})


INVALID_WEB = [
    "join:-1",
    "join:99999999999999999999",
    f"join:{2**63}",
    "join:abc",
    "join:0",
    "join:other-episode",
    "join:rejected",
    "join:draft",
    "short-text",
    "megabyte-text",
    "megabyte-name",
    "bad-contact",
    "contact-without-consent",
    "staff-channel",
]
INVALID_API = [
    "number-text",
    "list-contact",
    "nul-text",
    "surrogate",
    "megabyte-text",
    "staff-channel-anonymous",
    "text-plain",
    "form-encoded",
    "deep-json",
    "null-body",
]


def invalid_web(kind: str, ids: dict[str, int], text: str) -> Item:
    if kind.startswith("join:"):
        value = kind.removeprefix("join:")
        return join(str(ids.get(value, value)))
    fields: dict[str, Any] = {"text": text}
    if kind == "short-text":
        fields["text"] = "ngắn quá"
    elif kind == "megabyte-text":
        fields["text"] = MEGABYTE
    elif kind == "megabyte-name":
        fields["name"] = MEGABYTE
    elif kind == "bad-contact":
        fields["contact"] = "số nhà 12 hẻm 3"
    elif kind == "contact-without-consent":
        fields["contact"] = "0903123456"
    elif kind == "staff-channel":
        fields["channel"] = "phone"
    return Item("web", False, fields)


def invalid_api(kind: str, text: str) -> Item:
    item = Item("api", False, {"text": text})
    if kind == "number-text":
        item.fields["text"] = 42
    elif kind == "list-contact":
        item.fields["contact"] = ["0903123456"]
    elif kind == "nul-text":
        item.fields["text"] = text + "\x00"
    elif kind == "surrogate":
        item.raw = json.dumps({"text": text, "idempotency_key": item.key})[:-1] + ', "name": "An \\ud800"}'
    elif kind == "megabyte-text":
        item.fields["text"] = MEGABYTE
    elif kind == "staff-channel-anonymous":
        item.fields["channel"] = "phone"
    elif kind == "text-plain":
        item.content_type = "text/plain"
    elif kind == "form-encoded":
        item.content_type = "application/x-www-form-urlencoded"
    elif kind == "deep-json":
        item.raw = f'{{"text": "{text}", "extra": {"[" * 5000 + "]" * 5000}}}'
    elif kind == "null-body":
        item.raw = "null"
    return item


# (kind, detail): ("web"|"api", its fields) for a valid item, ("web!"|"api!", what is wrong) otherwise.
mixes = st.lists(
    st.one_of(
        valid_web(),
        valid_api(),
        st.tuples(st.just("web!"), st.sampled_from(INVALID_WEB)),
        st.tuples(st.just("api!"), st.sampled_from(INVALID_API)),
    ),
    min_size=2,
    max_size=24,
)


@dataclass
class Stage:
    base_url: str
    writer: IntakeWriter
    ids: dict[str, int]
    sessionmaker: Any


@pytest.fixture
async def stage(settings: Settings, db: Any) -> AsyncIterator[Stage]:
    await import_departments(db)
    episode = await make_episode(db, slug=SLUG)
    other = await make_episode(db, slug="ky-khac")
    draft = await make_episode(db, slug="ky-nhap", status=intake.EpisodeStatus.DRAFT)
    engines, publisher = intake.ModerationEngines(), _Silent()
    ids: dict[str, int] = {}
    for name, target, status, text in [
        ("public", episode, QuestionStatus.ROUTED, "Cây xanh trên đường Tô Ký nghiêng nhiều, ai cắt tỉa?"),
        ("rejected", episode, QuestionStatus.REJECTED, "Công ty nợ lương ba tháng, người lao động làm gì?"),
        ("other-episode", other, QuestionStatus.ROUTED, "Nước máy khu tôi yếu, khi nào được cấp ổn định?"),
    ]:
        result = await intake.submit(db, engines, publisher, target, intake.SubmissionForm(text=text))
        ids[name] = result.question_id
        await _set_status(db, result.question_id, status)
    draft.status = intake.EpisodeStatus.OPEN
    await db.commit()
    asked = intake.SubmissionForm(text="Học phí lớp 10 trường công lập năm tới bao nhiêu?")
    in_draft = await intake.submit(db, engines, publisher, draft, asked)
    await _set_status(db, in_draft.question_id, QuestionStatus.ROUTED)
    draft.status = intake.EpisodeStatus.DRAFT
    await db.commit()
    ids["draft"] = in_draft.question_id
    # The limits per connection and per contact are not what this test is about.
    app = create_app(
        Settings(**{**settings.__dict__, "submit_limit_per_ip": (10**6, 600), "submit_limit_per_contact": (10**6, 600)})
    )
    async with serving(app) as base_url:
        runtime = app.state.runtime
        yield Stage(base_url, runtime.intake, ids, runtime.sessionmaker)


class _Silent:
    async def publish(self, event: Any) -> None:
        return None


async def _set_status(db: Any, question_id: int, status: QuestionStatus) -> None:
    from qa_app.models import Question

    question = await db.get(Question, question_id)
    question.status = status
    await db.commit()


async def _send(web: httpx.AsyncClient, api: httpx.AsyncClient, item: Item) -> httpx.Response:
    if item.via == "web":
        data = {**item.fields, "idempotency_key": item.key, "_csrf_token": web.cookies.get("qa_csrf") or ""}
        return await web.post(f"/ky/{SLUG}/gui-cau-hoi", data=data)
    headers = {"Content-Type": item.content_type}
    body = item.raw if item.raw is not None else json.dumps({**item.fields, "idempotency_key": item.key})
    return await api.post(f"/api/v1/episodes/{SLUG}/submissions", content=body.encode("utf-8"), headers=headers)


def _code(item: Item, response: httpx.Response) -> str | None:
    if item.via == "web":
        match = re.match(r"/tra-cuu/(DH-[A-Z0-9]{6})\?moi=1$", response.headers.get("location", ""))
        return match.group(1) if response.status_code == 303 and match else None
    return response.json().get("tracking_code") if response.status_code == 201 else None


# The incident of finding 1: two "me too" with impossible ids among legitimate submissions, at once.
INCIDENT: list[tuple[str, Any]] = [("web!", "join:-1"), ("web!", "join:99999999999999999999")]
INCIDENT += [("api", {"text": f"Câu hỏi số {n}: {' '.join(WORDS[n : n + 9])}"}) for n in range(20)]
INCIDENT += [("web", {"text": f"Câu hỏi web {n}: {' '.join(WORDS[n + 20 : n + 29])}"}) for n in range(5)]
INCIDENT += [("web", {"text": "", "join_question_id": "public"})]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(mix=INCIDENT)
@given(mix=mixes)
async def test_a_bad_submission_fails_alone(stage: Stage, mix: list[tuple[str, Any]]) -> None:
    text = "Xin hỏi về thủ tục cấp đổi giấy phép lái xe hạng B năm nay"
    items = []
    for kind, detail in mix:
        if kind == "web!":
            items.append(invalid_web(detail, stage.ids, text))
        elif kind == "api!":
            items.append(invalid_api(detail, text))
        else:
            fields = dict(detail)
            if fields.get("join_question_id") == "public":
                fields["join_question_id"] = str(stage.ids["public"])
            items.append(Item(kind, True, fields))
    limits = httpx.Limits(max_connections=64)
    async with (
        httpx.AsyncClient(base_url=stage.base_url, timeout=60, limits=limits) as web,
        httpx.AsyncClient(base_url=stage.base_url, timeout=60, limits=limits) as api,
    ):
        assert (await web.get(f"/ky/{SLUG}")).status_code == 200  # the CSRF cookie
        responses = await asyncio.gather(*(_send(web, api, item) for item in items))

    problems = []
    for item, response in zip(items, responses, strict=True):
        what = "valid" if item.valid else "invalid"
        label = f"{item.via} {what} {str(item.fields)[:120]!r} {(item.raw or '')[:60]!r}"
        if response.status_code >= 500:
            problems.append(f"{label}: {response.status_code} {response.text[:200]}")
        elif item.valid and _code(item, response) is None:
            problems.append(f"{label}: refused {response.status_code} {response.text[:300]}")
        elif not item.valid and not 400 <= response.status_code < 500:
            problems.append(f"{label}: accepted ({response.status_code})")
    assert not problems, "\n".join(problems)

    async with stage.sessionmaker() as db:
        rows = (
            await db.execute(select(Submission).where(Submission.idempotency_key.in_([item.key for item in items])))
        ).scalars()
        stored: dict[str, list[Submission]] = {}
        for row in rows:
            stored.setdefault(row.idempotency_key or "", []).append(row)
    for item, response in zip(items, responses, strict=True):
        if item.valid:
            assert [s.tracking_code for s in stored.get(item.key, [])] == [_code(item, response)], item
        else:
            assert item.key not in stored, item
    for rows_of_key in stored.values():
        for row in rows_of_key:
            for value in (row.raw_text, row.name, row.ward_text, row.contact, row.idempotency_key):
                assert value is None or not CONTROL.search(value), repr(value)
    assert stage.writer.submissions_written > stage.writer.batches_written, "submissions sent together share batches"
