"""The episode report as files: CSV (UTF-8 with BOM), XLSX (openpyxl) and DOCX (python-docx).

Every text cell that a spreadsheet could read as a formula (starting with ``= + - @``, a tab or a
carriage return) is neutralised with a leading apostrophe (OWASP "CSV injection"); XLSX cells are
also written as text, never as formulas. Contact details appear only when ``askers`` is given (an
admin's export, audited by ``reports.askers``); the DOCX report for filing never holds them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.i18n import gettext as _
from qa_app.labels import COMMITMENT_STATE_LABELS, QUESTION_STATUS_LABELS
from qa_app.models import Episode, Question, QuestionStatus, Role, User
from qa_app.services import audit, reports
from qa_app.services.errors import InvalidInput
from qa_app.services.permissions import ensure_role
from qa_app.services.reports import Asker, EpisodeReport, Figures, decimal, percent
from qa_app.services.wards import wards_by_code
from qa_app.timeutil import format_date, format_datetime

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx", "docx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
VERDICT_KEYS = ("yes", "partly", "not_yet")


def neutralise(value: Any) -> Any:
    """A text cell that cannot run as a formula; numbers and dates are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def verdict_labels() -> dict[str, str]:
    return {"yes": _("Yes"), "partly": _("Partly"), "not_yet": _("Not yet")}


def commitment_labels() -> dict[str, str]:
    return {"made": _("Commitments made")} | {key: _(label) for key, label in COMMITMENT_STATE_LABELS.items()}


def summary_rows(figures: Figures) -> list[tuple[str, Any]]:
    """The headline figures as (label, value) rows: the same on the page, in XLSX and in DOCX."""
    commitments = commitment_labels()
    verdicts = verdict_labels()
    rows: list[tuple[str, Any]] = [
        (_("Submissions received"), figures.submissions),
        (_("Distinct questions"), figures.questions),
        (_("Not accepted"), figures.rejected),
        (_("Answered on air"), figures.answered_on_air),
        (_("Answered in writing"), figures.answered_in_writing),
        (_("Pending"), figures.pending),
        (_("Written answers due"), figures.due),
        (_("Answered on time"), figures.on_time),
        (_("Answered late"), figures.late),
        (_("Unanswered past the deadline"), figures.open_overdue),
        (_("On-time rate"), percent(figures.on_time_rate)),
        (_("Ratings"), figures.ratings),
        (_("Average rating (1–3)"), decimal(figures.rating_average)),
        (_("Satisfied (rated 2 or 3)"), percent(figures.satisfied_rate)),
    ]
    for key in ("made", "done", "claimed", "pending", "overdue", "dropped"):
        rows.append((commitments[key], figures.commitments[key]))
    for key in VERDICT_KEYS:
        rows.append((_("Citizens' verdict: %(verdict)s") % {"verdict": verdicts[key]}, figures.verdicts[key]))
    return rows


def department_header() -> list[str]:
    return [
        _("Department"),
        _("Distinct questions"),
        _("Answered on air"),
        _("Answered in writing"),
        _("Pending"),
        _("Answered on time"),
        _("Written answers due"),
        _("On-time rate"),
        _("Unanswered past the deadline"),
        _("Commitments made"),
        _("Kept"),
        _("Overdue"),
        _("Average rating (1–3)"),
    ]


def department_rows(report: EpisodeReport) -> list[list[Any]]:
    return [
        [
            d.department.name,
            f.questions,
            f.answered_on_air,
            f.answered_in_writing,
            f.pending,
            f.on_time,
            f.due,
            percent(f.on_time_rate),
            f.open_overdue,
            f.commitments["made"],
            f.commitments["done"],
            f.commitments["overdue"],
            decimal(f.rating_average),
        ]
        for d in report.departments
        for f in [d.figures]
    ]


def commitment_header() -> list[str]:
    verdicts = verdict_labels()
    return [
        _("Question"),
        _("Department"),
        _("Commitment"),
        _("Due"),
        _("Status"),
        _("Evidence"),
        *(_("Citizens' verdict: %(verdict)s") % {"verdict": verdicts[k]} for k in VERDICT_KEYS),
    ]


def commitment_rows(report: EpisodeReport) -> list[list[Any]]:
    labels = commitment_labels()
    return [
        [
            f"#{item.question.id}",
            item.department.name,
            item.commitment.what,
            format_date(item.commitment.due_date),
            labels[item.state.value],
            item.commitment.evidence or item.commitment.drop_reason or "",
            *(item.verdicts[k] for k in VERDICT_KEYS),
        ]
        for item in report.follow_ups
    ]


def on_time_label(question: Question, report: EpisodeReport) -> str:
    if question.status is QuestionStatus.ANSWERED_IN_WRITING and question.due_date is not None:
        return _("On time") if question.on_time else _("Late")
    if (
        question.due_date is not None
        and question.due_date < report.today
        and question.status
        in (
            QuestionStatus.ROUTED,
            QuestionStatus.ANSWER_REVIEW,
            QuestionStatus.READY,
            QuestionStatus.QUEUED,
            QuestionStatus.ON_AIR,
        )
    ):
        return _("Overdue, unanswered")
    return ""


def question_header() -> list[str]:
    return [
        _("Question no."),
        _("Question"),
        _("Status"),
        _("Department"),
        _("Ward or commune"),
        _("Citizens"),
        _("Received at"),
        _("Routed"),
        _("Due"),
        _("Answered"),
        _("On time or late"),
        _("Ratings"),
        _("Average rating (1–3)"),
        _("Commitments made"),
    ]


def question_rows(
    report: EpisodeReport, questions: Sequence[tuple[Question, int, float | None, int]]
) -> list[list[Any]]:
    """``questions``: (question, ratings, average score, commitments made) as loaded by ``load_questions``."""
    wards = wards_by_code()
    return [
        [
            question.id,
            question.public_text,
            _(QUESTION_STATUS_LABELS[question.status.value]),
            question.department.name if question.department else "",
            wards[question.ward_code].name if question.ward_code in wards else "",
            question.submission_count,
            format_datetime(question.created_at),
            format_datetime(question.routed_at),
            format_date(question.due_date),
            format_datetime(question.answered_at),
            on_time_label(question, report),
            ratings,
            decimal(average) if average is not None else "",
            commitments,
        ]
        for question, ratings, average, commitments in questions
    ]


def askers_header() -> list[str]:
    return [
        _("Tracking code"),
        _("Question no."),
        _("Name"),
        _("Phone or e-mail"),
        _("Agreed to be contacted"),
        _("Channel"),
        _("Ward or commune"),
        _("Received at"),
    ]


def askers_rows(askers: Sequence[Asker]) -> list[list[Any]]:
    return [
        [
            a.tracking_code,
            a.question_id,
            a.name or "",
            a.contact or "",
            _("Yes") if a.consent_contact else _("No"),
            a.channel,
            a.ward,
            format_datetime(a.received_at),
        ]
        for a in askers
    ]


# --- the three formats ---------------------------------------------------------------------------------


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM (Excel then reads Vietnamese correctly), ``;``-free standard commas, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: EpisodeReport, questions: list[list[Any]], askers: Sequence[Asker] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], first: bool = False) -> None:
        ws = workbook.active if first else workbook.create_sheet()
        assert ws is not None
        ws.title = title[:31]
        ws.append([neutralise(h) for h in header])
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([neutralise(value) for value in row])
        for row_cells in ws.iter_rows(min_row=2):
            for cell in row_cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        for column in ws.columns:
            width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
            ws.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))

    sheet(_("Summary"), [_("Figure"), _("Value")], summary_rows(report.figures), first=True)
    sheet(_("By department"), department_header(), department_rows(report))
    breakdown_header = [_("Group"), _("Submissions"), _("Distinct questions")]
    sheet(_("By channel"), breakdown_header, [[b.label, b.submissions, b.questions] for b in report.by_channel])
    sheet(_("By ward"), breakdown_header, [[b.label, b.submissions, b.questions] for b in report.by_ward])
    sheet(_("By status"), breakdown_header, [[b.label, b.submissions, b.questions] for b in report.by_status])
    sheet(_("Arrivals"), [_("Time"), _("Submissions")], arrival_rows(report))
    sheet(_("Commitments"), commitment_header(), commitment_rows(report))
    sheet(_("Questions"), question_header(), questions)
    if askers is not None:
        sheet(_("Askers"), askers_header(), askers_rows(askers))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def arrival_rows(report: EpisodeReport) -> list[list[Any]]:
    rows: list[list[Any]] = []
    if report.arrivals_before:
        rows.append([_("Earlier"), report.arrivals_before])
    rows.extend([label, n] for label, n in report.arrivals)
    if report.arrivals_after:
        rows.append([_("Later"), report.arrivals_after])
    return rows


def to_docx(report: EpisodeReport) -> bytes:
    """The report the People's Council's office files: headings, the figures, tables (no contacts)."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    episode = report.episode
    document.add_heading(_("Episode report: %(title)s") % {"title": episode.title}, level=0)
    if episode.theme:
        document.add_paragraph(episode.theme)
    document.add_paragraph(
        _("Air time: %(start)s. Figures as of %(today)s.")
        % {"start": format_datetime(episode.air_start) or "—", "today": format_date(report.today)}
    )

    def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        grid = document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        for index, text in enumerate(header):
            cell = grid.rows[0].cells[index]
            cell.text = str(text)
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in rows:
            cells = grid.add_row().cells
            for index, value in enumerate(row):
                cells[index].text = "" if value is None else str(value)

    document.add_heading(_("Summary"), level=1)
    table([_("Figure"), _("Value")], summary_rows(report.figures))
    document.add_paragraph(
        _("Median time from routing to an approved answer: %(hours)s hours (%(n)d answers).")
        % {"hours": decimal(report.median_hours_to_approval, 1), "n": report.approvals_measured}
    )
    breakdown_header = [_("Group"), _("Submissions"), _("Distinct questions")]
    document.add_heading(_("By channel"), level=1)
    table(breakdown_header, [[b.label, b.submissions, b.questions] for b in report.by_channel])
    document.add_heading(_("By ward"), level=1)
    table(breakdown_header, [[b.label, b.submissions, b.questions] for b in report.by_ward])
    document.add_heading(_("By status"), level=1)
    table(breakdown_header, [[b.label, b.submissions, b.questions] for b in report.by_status])
    document.add_heading(_("By department"), level=1)
    table(department_header(), department_rows(report))
    document.add_heading(_("Arrivals around air time"), level=1)
    table([_("Time"), _("Submissions")], arrival_rows(report))
    document.add_heading(_("Commitments"), level=1)
    table(commitment_header(), commitment_rows(report))
    document.add_heading(_("Overdue items by department"), level=1)
    table(
        [_("Department"), _("Unanswered past the deadline"), _("Overdue commitments")],
        [
            [d.department.name, d.figures.open_overdue, d.figures.commitments["overdue"]]
            for d in report.overdue_by_department
        ],
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def export(
    db: AsyncSession,
    actor: User | None,
    episode: Episode,
    fmt: str,
    *,
    with_contacts: bool = False,
    today: date | None = None,
) -> bytes:
    """The report of ``episode`` as a ``fmt`` file. ``actor`` None is the command line.

    With ``with_contacts`` (admins only; CSV and XLSX) the askers and their contact details are
    included, and the export is audited as such."""
    if actor is not None:
        ensure_role(actor, Role.MODERATOR, Role.PRODUCER)
    if fmt not in FORMATS:
        raise InvalidInput({"format": _("Choose CSV, XLSX or DOCX.")})
    if with_contacts and fmt == "docx":
        raise InvalidInput({"format": _("Contact details are exported as CSV or XLSX only.")})
    report = await reports.report(db, episode, today=today)
    questions = question_rows(report, await reports.question_list(db, episode.id))
    askers = await reports.askers(db, actor, episode, export_format=fmt) if with_contacts else None
    if askers is None:
        audit.record(db, actor, "report.export", "episode", episode.id, episode_id=episode.id, after={"format": fmt})
        await db.commit()
    if fmt == "csv":
        if askers is not None:
            return to_csv(askers_header(), askers_rows(askers))
        return to_csv(question_header(), questions)
    if fmt == "xlsx":
        return to_xlsx(report, questions, askers)
    return to_docx(report)


def filename(episode: Episode, fmt: str, *, with_contacts: bool = False) -> str:
    return f"bao-cao-{episode.slug}{'-nguoi-hoi' if with_contacts else ''}.{fmt}"
