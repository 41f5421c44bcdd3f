"""The operator desk and the bulk import, through the real HTTP stack."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import Workbook
from sqlalchemy import func, select, update

from qa_app.models import Channel, Episode, ImportUpload, Question, Submission
from qa_app.services import import_uploads
from tests.conftest import csrf_token, login, post_form
from tests.factories import make_episode, make_staff

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def desk(client: AsyncTestClient[Litestar], db: Any) -> Episode:
    await make_staff(db)
    episode = await make_episode(db, title="Kỳ tổng đài", slug="ky-tong-dai")
    await login(client, "operator")
    return episode


async def test_operator_records_a_phone_call(client: AsyncTestClient[Litestar], desk: Episode, db: Any) -> None:
    page = await client.get("/operator")
    assert page.status_code == 200 and "Bàn tiếp nhận" in page.text
    response = await post_form(
        client,
        "/operator/submissions",
        {
            "episode_id": desk.id,
            "channel": "phone",
            "text": "Nhà tôi bị ngập mỗi khi mưa lớn ở đường Kha Vạn Cân, khi nào sửa cống?",
            "name": "Bà Sáu",
            "contact": "0909 111 222",
            "consent_contact": "on",
            "idempotency_key": "call-1",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="desk"' in response.text and "<html" not in response.text  # a fragment for htmx
    submission = await db.scalar(select(Submission))
    assert submission.channel is Channel.PHONE and submission.entered_by_id is not None
    assert submission.tracking_code in response.text
    # The running list shows the entry; the form is empty again for the next caller.
    assert 'name="text"' in response.text and "Kha Vạn Cân, khi nào" in response.text.split("Bạn đã nhập")[1]


async def test_operator_validation_and_duplicate_suggestions(
    client: AsyncTestClient[Litestar], desk: Episode, db: Any
) -> None:
    text = "Xin hỏi làm căn cước cho trẻ em dưới 14 tuổi ở đâu, có cần mang giấy khai sinh không?"
    await post_form(
        client,
        "/operator/submissions",
        {"episode_id": desk.id, "channel": "email", "text": text, "idempotency_key": "e-1"},
    )
    fragment = (await client.get("/operator/similar", params={"episode": desk.id, "text": text})).text
    question = await db.scalar(select(Question))
    # Operators see unmoderated questions as possible duplicates and can add the caller to one.
    assert f'name="join_question_id" value="{question.id}"' in fragment
    response = await post_form(
        client,
        "/operator/submissions",
        {
            "episode_id": desk.id,
            "channel": "phone",
            "text": "",
            "join_question_id": question.id,
            "idempotency_key": "p-2",
        },
    )
    assert response.status_code == 200
    await db.refresh(question)
    assert question.submission_count == 2
    bad = await post_form(
        client,
        "/operator/submissions",
        {"episode_id": desk.id, "channel": "phone", "text": "ngắn", "idempotency_key": "p-3"},
    )
    assert bad.status_code == 422 and "quá ngắn" in bad.text and "ngắn" in bad.text


async def test_officer_cannot_use_the_desk(client: AsyncTestClient[Litestar], db: Any) -> None:
    await make_staff(db)
    await login(client, "officer_a")
    assert (await client.get("/operator")).status_code == 403


def _csv(rows: list[list[str]], bom: bool = True) -> bytes:
    text = "\n".join(",".join(f'"{cell}"' for cell in row) for row in rows)
    return ("\ufeff" if bom else "").encode() + text.encode()


ROWS = [
    ["STT", "Họ tên", "Số điện thoại", "Nội dung câu hỏi", "Phường/xã"],
    [
        "1",
        "Trần Văn Bình",
        "0912345678",
        "Đường Nguyễn Văn Linh đoạn qua phường Tân Hưng ngập sâu mỗi khi triều cường.",
        "Phường Tân Hưng",
    ],
    [
        "2",
        "Lê Thị Cúc",
        "",
        "Học phí trường công lập năm học 2026-2027 có tăng không, có được miễn giảm cho hộ nghèo?",
        "",
    ],
    ["3", "", "sai-so", "Thủ tục đăng ký thường trú cho con mới sinh cần những giấy tờ gì ạ?", ""],
    ["4", "", "", "ngắn", ""],
]


async def _upload(client: AsyncTestClient[Litestar], name: str, data: bytes, episode: Episode) -> Any:
    return await client.post(
        "/operator/import",
        data={"episode_id": str(episode.id)},
        files={"file": (name, data, "application/octet-stream")},
        headers={"x-csrftoken": csrf_token(client)},
        follow_redirects=False,
    )


async def test_import_preview_errors_import_and_reimport(
    client: AsyncTestClient[Litestar], desk: Episode, db: Any
) -> None:
    response = await _upload(client, "cau-hoi.csv", _csv(ROWS), desk)
    assert response.status_code == 303
    preview_url = response.headers["location"]
    preview = (await client.get(preview_url)).text
    assert "Nội dung câu hỏi" in preview and "2 dòng có thể nhập" in preview and "Dòng" in preview
    assert 'id="map_text"' in preview
    result = await post_form(
        client,
        preview_url,
        {
            "map_text": "3",
            "map_name": "1",
            "map_contact": "2",
            "map_ward": "4",
            "channel": "letter",
            "action": "import",
        },
    )
    assert result.status_code == 200 and "Câu hỏi mới: 2" in result.text and "Dòng có lỗi, không nhập: 2" in result.text
    assert await db.scalar(select(func.count(Submission.id))) == 2
    channels = set(await db.scalars(select(Submission.channel)))
    assert channels == {Channel.LETTER}
    ward = await db.scalar(select(Submission.ward_code).where(Submission.name == "Trần Văn Bình"))
    assert ward is not None  # "Phường Tân Hưng" resolved to the ward's code
    # The same file again adds nothing.
    again = await _upload(client, "cau-hoi.csv", _csv(ROWS), desk)
    result = await post_form(
        client, again.headers["location"], {"map_text": "3", "map_name": "1", "map_contact": "2", "action": "import"}
    )
    assert "Đã nhập trước đây, bỏ qua: 2" in result.text
    assert await db.scalar(select(func.count(Submission.id))) == 2


async def test_import_xlsx_and_bad_files(client: AsyncTestClient[Litestar], desk: Episode, db: Any) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Câu hỏi", "Điện thoại"])
    sheet.append(["Xin hỏi khi nào tuyến metro số 2 Bến Thành – Tham Lương được khởi công lại?", 903123456])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = await _upload(client, "fanpage.xlsx", buffer.getvalue(), desk)
    result = await post_form(
        client, response.headers["location"], {"map_text": "0", "map_contact": "1", "action": "import"}
    )
    assert "Câu hỏi mới: 1" in result.text
    assert await db.scalar(select(Submission.contact)) == "0903123456"
    bad = await _upload(client, "latin.csv", "Câu hỏi\nthủ tục gì".encode("cp1258", errors="replace"), desk)
    assert bad.status_code == 422 and "UTF-8" in bad.text
    pdf = await _upload(client, "x.pdf", b"%PDF-1.4 ...", desk)
    assert pdf.status_code == 422


async def test_someone_elses_upload_is_not_reachable(
    app: Litestar, client: AsyncTestClient[Litestar], desk: Episode
) -> None:
    response = await _upload(client, "a.csv", _csv(ROWS), desk)
    url = response.headers["location"]
    await post_form(client, "/logout")
    await login(client, "moderator")
    assert (await client.get(url)).status_code == 404


async def test_cli_import(tmp_path: Path, settings: Any, db: Any) -> None:
    import asyncio
    import os

    await make_episode(db, title="Kỳ dòng lệnh", slug="ky-dong-lenh")
    path = tmp_path / "questions.csv"
    path.write_bytes(_csv(ROWS))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_DATABASE_URL=settings.database_url, QA_VAR_DIR=str(settings.var_dir))
    command = [
        sys.executable,
        "-m",
        "qa_app.cli",
        "questions",
        "import",
        str(path),
        "--episode",
        "ky-dong-lenh",
        "--channel",
        "phone",
    ]

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)

    first = await asyncio.to_thread(run)
    assert first.returncode == 0, first.stderr
    assert "New questions: 2" in first.stdout and "rows with errors: 2" in first.stdout
    assert "line 4" in first.stderr and "line 5" in first.stderr
    second = await asyncio.to_thread(run)
    assert "already imported: 2" in second.stdout and "New questions: 0" in second.stdout


def _reader(app: Litestar) -> import_uploads.ImportReader:
    return app.state.runtime.extras["import_reader"]


async def test_preview_and_import_read_the_file_once(
    app: Litestar, client: AsyncTestClient[Litestar], desk: Episode, db: Any, settings: Any
) -> None:
    response = await _upload(client, "cau-hoi.csv", _csv(ROWS), desk)
    assert response.status_code == 303
    url = response.headers["location"]
    for _ in range(2):
        assert "2 dòng có thể nhập" in (await client.get(url)).text
    again = await post_form(client, url, {"map_text": "3", "map_contact": "", "action": "preview"})
    assert again.status_code == 200 and "3 dòng có thể nhập" in again.text  # the bad phone no longer mapped
    result = await post_form(client, url, {"map_text": "3", "map_name": "1", "map_contact": "2", "action": "import"})
    assert "Câu hỏi mới: 2" in result.text
    assert _reader(app).parses == 1
    # Kept in the database until imported, never as a file on this worker's disk.
    assert not (settings.var_dir / "imports").exists()
    assert await db.scalar(select(func.count()).select_from(ImportUpload)) == 0
    assert (await client.get(url)).status_code == 404


async def test_an_expired_upload_is_gone(client: AsyncTestClient[Litestar], desk: Episode, db: Any) -> None:
    url = (await _upload(client, "cau-hoi.csv", _csv(ROWS), desk)).headers["location"]
    await db.execute(update(ImportUpload).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    await db.commit()
    gone = await client.get(url)
    assert gone.status_code == 404 and "Tệp tải lên không còn nữa" in gone.text and "24 giờ" in gone.text
    # The next upload clears expired ones away, and so does the retention schedule.
    await _upload(client, "khac.csv", _csv(ROWS[:2]), desk)
    assert await db.scalar(select(func.count()).select_from(ImportUpload)) == 1
    await db.execute(update(ImportUpload).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    await db.commit()
    assert await import_uploads.purge_expired(db) == 1
    assert await db.scalar(select(func.count()).select_from(ImportUpload)) == 0


async def test_each_operator_keeps_a_few_uploads(client: AsyncTestClient[Litestar], desk: Episode, db: Any) -> None:
    urls = [(await _upload(client, f"{n}.csv", _csv(ROWS), desk)).headers["location"] for n in range(7)]
    assert await db.scalar(select(func.count()).select_from(ImportUpload)) == import_uploads.KEEP_PER_USER
    assert (await client.get(urls[0])).status_code == 404
    assert (await client.get(urls[-1])).status_code == 200


async def test_an_upload_over_the_size_limit_gets_a_vietnamese_413(
    client: AsyncTestClient[Litestar], desk: Episode
) -> None:
    big = b"C\xc3\xa2u h\xe1\xbb\x8fi\n" + b"x" * (11 * 1024 * 1024)
    response = await _upload(client, "lon.csv", big, desk)
    assert response.status_code == 413
    assert "Tệp quá lớn: mỗi lần chỉ tải lên tối đa 10 MB" in response.text
    # Within the body limit but past the file limit: the same status and words.
    edge = b"C\xc3\xa2u h\xe1\xbb\x8fi\n" + b"x" * (10 * 1024 * 1024)
    response = await _upload(client, "vua-qua.csv", edge, desk)
    assert response.status_code == 413 and "Tệp quá lớn" in response.text and "10 MB" in response.text


async def test_a_busy_reader_answers_503_with_retry_after(
    app: Litestar, client: AsyncTestClient[Litestar], desk: Episode
) -> None:
    reader = import_uploads.ImportReader(parallel=1, waiting=0)
    app.state.runtime.extras["import_reader"] = reader
    release = threading.Event()
    blocker = asyncio.ensure_future(reader.run(release.wait, 30))
    await asyncio.sleep(0.05)
    try:
        response = await _upload(client, "cau-hoi.csv", _csv(ROWS), desk)
        assert response.status_code == 503 and response.headers["retry-after"] == "10"
        assert "Máy chủ đang đọc các tệp khác" in response.text
    finally:
        release.set()
        await blocker
    assert (await _upload(client, "cau-hoi.csv", _csv(ROWS), desk)).status_code == 303
    reader.close()


async def test_a_long_list_of_row_errors_is_capped_on_the_page(
    client: AsyncTestClient[Litestar], desk: Episode
) -> None:
    rows = [["Câu hỏi", "Điện thoại"], *([f"Câu hỏi số {n} về việc sửa đường ạ?", "sai"] for n in range(450))]
    url = (await _upload(client, "loi.csv", _csv(rows), desk)).headers["location"]
    page = (await client.get(url)).text
    assert "450 dòng có lỗi" in page
    assert page.count("không hợp lệ: cần số điện thoại") == 200
    assert "… và 250 dòng lỗi khác (chỉ liệt kê 200 dòng đầu)." in page


async def test_cli_import_refuses_a_file_over_the_limit_before_reading_it(
    tmp_path: Path, settings: Any, db: Any
) -> None:
    import asyncio
    import os

    await make_episode(db, title="Kỳ dòng lệnh", slug="ky-dong-lenh")
    path = tmp_path / "lon.csv"
    with path.open("wb") as file:
        file.truncate(64 * 1024 * 1024)  # sparse: 64 MB on paper, nothing on disk
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_DATABASE_URL=settings.database_url, QA_VAR_DIR=str(settings.var_dir))
    command = [sys.executable, "-m", "qa_app.cli", "questions", "import", str(path), "--episode", "ky-dong-lenh"]
    result = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    assert result.returncode != 0
    assert "Tệp quá lớn (64 MB); chỉ nhận tệp tối đa 10 MB" in result.stderr
