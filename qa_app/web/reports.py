"""After the broadcast: the public accountability pages and the episode report with its exports."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from qa_app.i18n import gettext as _
from qa_app.models import Episode, Role
from qa_app.services import episodes as episode_service
from qa_app.services import report_exports, reports
from qa_app.services.errors import InvalidInput, NotFound
from qa_app.services.intake import public_wording
from qa_app.web import charts
from qa_app.web.auth import requires
from qa_app.web.deps import Actor, Db
from qa_app.web.forms import field
from qa_app.web.rendering import render


def figure_charts(figures: reports.Figures, labels: dict[str, str]) -> list[Any]:
    """The accountability charts of one set of figures (episode or department)."""
    out = [
        charts.bars(
            _("Questions and what became of them"),
            [
                (_("Answered on air"), figures.answered_on_air),
                (_("Answered in writing"), figures.answered_in_writing),
                (_("Pending"), figures.pending),
                (_("Not accepted"), figures.rejected),
            ],
            colors=(charts.GREEN, charts.TEAL, charts.AMBER, charts.GREY),
        ),
        charts.bars(
            _("Written answers due"),
            [
                (_("Answered on time"), figures.on_time),
                (_("Answered late"), figures.late),
                (_("Unanswered past the deadline"), figures.open_overdue),
            ],
            colors=(charts.GREEN, charts.AMBER, charts.RED),
        ),
    ]
    if figures.commitments["made"]:
        out.append(
            charts.bars(
                _("Commitments"),
                [(labels[k], figures.commitments[k]) for k in ("done", "claimed", "pending", "overdue", "dropped")],
                colors=(charts.GREEN, charts.PURPLE, charts.BLUE, charts.RED, charts.GREY),
            )
        )
    if figures.ratings:
        out.append(
            charts.bars(
                _("Satisfaction"),
                [
                    (_("Very satisfied"), figures.rating_scores[3]),
                    (_("Satisfied"), figures.rating_scores[2]),
                    (_("Not satisfied"), figures.rating_scores[1]),
                ],
                colors=(charts.GREEN, charts.BLUE, charts.RED),
            )
        )
    return out


async def _public_episode(db: Any, slug: str) -> Episode:
    episode = await episode_service.get_episode_by_slug(db, slug)
    if episode.status not in episode_service.PUBLIC_STATUSES:
        raise NotFound(_("No such episode."))
    return episode


def _public_follow_ups(items: list[Any]) -> list[dict[str, Any]]:
    """Commitments as the public sees them: masked texts, counts, no person."""
    return [
        {
            "question_id": item.question.id,
            "question": item.question.public_text,
            "department": item.department,
            "what": public_wording(item.commitment.what),
            "due": item.commitment.due_date,
            "state": item.state.value,
            "evidence": public_wording(item.commitment.evidence or "") if item.state.value == "done" else "",
            "drop_reason": public_wording(item.commitment.drop_reason or "") if item.state.value == "dropped" else "",
            "verdicts": item.verdicts,
        }
        for item in items
    ]


class AccountabilityController(Controller):
    """``/giai-trinh/{episode}`` and ``/giai-trinh/{episode}/{department}``: anyone, no personal data."""

    path = "/giai-trinh"

    @get("/{slug:str}", name="accountability_episode")
    async def show_episode(self, request: Request[Any, Any, Any], db: Db, slug: FromPath[str]) -> Response[str]:
        episode = await _public_episode(db, slug)
        figures = await reports.figures(db, episode.id)
        departments = await reports.by_department(db, episode.id)
        labels = report_exports.commitment_labels()
        on_time = [
            (d.department.short_name or d.department.name, round((d.figures.on_time_rate or 0) * 100, 1))
            for d in departments
            if d.figures.due
        ]
        chart_list = figure_charts(figures, labels)
        if on_time:
            chart_list.append(charts.bars(_("On-time rate by department"), on_time, percent=True))
        return render(
            request,
            "reports/accountability.html",
            {
                "episode": episode,
                "department": None,
                "figures": figures,
                "departments": departments,
                "charts": chart_list,
                "follow_ups": _public_follow_ups(
                    await reports.commitment_service.follow_ups(db, episode_id=episode.id)
                ),
                "labels": labels,
                "verdict_labels": report_exports.verdict_labels(),
                "percent": reports.percent,
                "decimal": reports.decimal,
            },
        )

    @get("/{slug:str}/{code:str}", name="accountability_department")
    async def show_department(
        self, request: Request[Any, Any, Any], db: Db, slug: FromPath[str], code: FromPath[str]
    ) -> Response[str]:
        episode = await _public_episode(db, slug)
        department = next((d for d in await reports.departments_of(db, episode.id) if d.code == code), None)
        if department is None:
            raise NotFound(_("No such department in this episode."))
        figures = await reports.figures(db, episode.id, department_id=department.id)
        labels = report_exports.commitment_labels()
        return render(
            request,
            "reports/accountability.html",
            {
                "episode": episode,
                "department": department,
                "figures": figures,
                "departments": [],
                "charts": figure_charts(figures, labels),
                "follow_ups": _public_follow_ups(
                    await reports.commitment_service.follow_ups(db, episode_id=episode.id, department_id=department.id)
                ),
                "labels": labels,
                "verdict_labels": report_exports.verdict_labels(),
                "percent": reports.percent,
                "decimal": reports.decimal,
            },
        )


class ReportController(Controller):
    """The report for the People's Council: a printable page and its CSV/XLSX/DOCX exports."""

    path = "/reports"
    guards = [requires(Role.MODERATOR, Role.PRODUCER)]  # noqa: RUF012

    @get("/", name="report_index")
    async def list_reports(self, request: Request[Any, Any, Any], db: Db) -> Response[str]:
        return render(request, "reports/index.html", {"episodes": await episode_service.list_episodes(db)})

    @get("/{slug:str}", name="episode_report")
    async def show_report(self, request: Request[Any, Any, Any], db: Db, slug: FromPath[str]) -> Response[str]:
        episode = await episode_service.get_episode_by_slug(db, slug)
        report = await reports.report(db, episode)
        figures = report.figures
        labels = report_exports.commitment_labels()
        chart_list = [
            charts.timeline(_("Submissions per half hour around air time"), report.arrivals),
            charts.bars(_("Submissions by channel"), [(b.label, b.submissions) for b in report.by_channel]),
            *figure_charts(figures, labels),
        ]
        if report.departments:
            chart_list.append(
                charts.bars(
                    _("Questions by department"),
                    [(d.department.short_name or d.department.name, d.figures.questions) for d in report.departments],
                )
            )
        return render(
            request,
            "reports/report.html",
            {
                "episode": episode,
                "report": report,
                "figures": figures,
                "summary": report_exports.summary_rows(figures),
                "department_header": report_exports.department_header(),
                "department_rows": report_exports.department_rows(report),
                "commitment_header": report_exports.commitment_header(),
                "commitment_rows": report_exports.commitment_rows(report),
                "arrival_rows": report_exports.arrival_rows(report),
                "charts": chart_list,
                "decimal": reports.decimal,
                "percent": reports.percent,
                "formats": report_exports.FORMATS,
            },
        )

    @post("/{slug:str}/export", name="export_report", status_code=200)
    async def export_report(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, slug: FromPath[str]
    ) -> Response[bytes]:
        """A POST (it is audited, so it changes state): the file as a download."""
        form = await request.form()
        fmt = field(form, "format") or "xlsx"
        with_contacts = field(form, "contacts") in ("1", "on", "true")
        if fmt not in report_exports.FORMATS:
            raise InvalidInput({"format": _("Choose CSV, XLSX or DOCX.")})
        episode = await episode_service.get_episode_by_slug(db, slug)
        content = await report_exports.export(db, actor, episode, fmt, with_contacts=with_contacts)
        name = report_exports.filename(episode, fmt, with_contacts=with_contacts)
        return Response(
            content=content,
            media_type=report_exports.MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )
