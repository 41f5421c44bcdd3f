"""Citizens' pages: an episode and its question form, "already asked?", the tracking page."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qa_app.i18n import gettext as _
from qa_app.models import Episode
from qa_app.services import citizen_status, intake
from qa_app.services import episodes as episode_service
from qa_app.services.errors import DomainError, InvalidInput, Unavailable
from qa_app.services.tracking import new_tracking_code, normalize_tracking_code
from qa_app.services.wards import search_wards, wards_by_code
from qa_app.web.auth import client_ip, guess
from qa_app.web.deps import Db, RuntimeDep
from qa_app.web.edge import parse_int
from qa_app.web.forms import checkbox, clean_text, field
from qa_app.web.rendering import render

logger = logging.getLogger("qa_app.intake")
HONEYPOT_FIELD = "website"


def submission_form(form: Any) -> intake.SubmissionForm:
    """Read the citizen form (no trimming of the question: the raw text is stored as typed)."""
    return intake.SubmissionForm(
        # Not cleaned here: intake.clean refuses NUL with a message instead of silently dropping it.
        text=str(form.get("text", "")),
        name=field(form, "name"),
        ward_code=field(form, "ward_code"),
        ward_text=field(form, "ward_text"),
        contact=field(form, "contact"),
        consent_contact=checkbox(form, "consent_contact"),
        consent_name_on_air=checkbox(form, "consent_name_on_air"),
        channel=field(form, "channel") or "web",
        idempotency_key=field(form, "idempotency_key"),
        join_question_id=_join_id(field(form, "join_question_id")),
    )


def _join_id(value: str) -> int | None:
    """The question a citizen joins: absent, an id, or 0 (refused by the intake) when it is no id."""
    if not value:
        return None
    return parse_int(value, minimum=1) or 0


class IntakeController(Controller):
    path = "/"

    async def _episode_page(
        self,
        request: Request[Any, Any, Any],
        episode: Episode,
        *,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        values = dict(values or {})
        values.setdefault("idempotency_key", uuid.uuid4().hex)
        ward = wards_by_code().get(values.get("ward_code", ""))
        return render(
            request,
            "public/episode.html",
            {
                "episode": episode,
                "values": values,
                "errors": errors or {},
                "accepting": episode.status in episode_service.ACCEPTING_STATUSES,
                "consent_text": intake.consent_text(),
                "consent_name_text": intake.consent_name_text(),
                "chosen_ward": ward,
                "min_text": intake.MIN_TEXT,
                "max_text": intake.MAX_TEXT,
            },
            status_code=status_code,
        )

    @get("/ky/{slug:str}", name="episode_page")
    async def episode_page(self, request: Request[Any, Any, Any], db: Db, slug: FromPath[str]) -> Response[str]:
        episode = await episode_service.get_episode_by_slug(db, slug)
        if episode.status not in episode_service.PUBLIC_STATUSES:
            raise_not_public()
        return await self._episode_page(request, episode)

    @post("/ky/{slug:str}/gui-cau-hoi", name="submit_question")
    async def submit_question(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, slug: FromPath[str]
    ) -> Response[Any]:
        episode = await episode_service.get_episode_by_slug(db, slug)
        if episode.status not in episode_service.PUBLIC_STATUSES:
            raise_not_public()
        form = await request.form()
        values = {k: clean_text(v) for k, v in form.items() if k != "_csrf_token"}
        if field(form, HONEYPOT_FIELD):
            # A bot filled the invisible field: accept and drop, so it learns nothing.
            logger.info("honeypot submission dropped on %s", slug)
            return Redirect(f"/tra-cuu/{new_tracking_code()}?moi=1", status_code=303)
        data = submission_form(form)
        contact = intake.normalize_contact(data.contact) if data.contact else None
        per_contact = runtime.settings.submit_limit_per_contact
        try:
            await intake.check_rate_limits(
                runtime.counter,
                ip=client_ip(request),
                contact=contact,
                per_ip=runtime.settings.submit_limit_per_ip,
                per_contact=per_contact,
            )
            result = await runtime.intake.submit(db, episode, data)
            await intake.count_accepted(runtime.counter, result, contact=contact, per_contact=per_contact)
        except DomainError as exc:
            if not isinstance(exc, Unavailable):  # the database is down: render with what we hold
                # The rollback expires what the session loaded: fetch the episode again to render it.
                await db.rollback()
                episode = await episode_service.get_episode_by_slug(db, slug)
            errors = exc.errors if isinstance(exc, InvalidInput) else {"form": exc.message}
            return await self._episode_page(request, episode, values=values, errors=errors, status_code=exc.status_code)
        return Redirect(f"/tra-cuu/{result.tracking_code}?moi=1", status_code=303)

    @get("/ky/{slug:str}/cau-hoi-tuong-tu", name="similar_questions")
    async def similar_questions(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        runtime: RuntimeDep,
        slug: FromPath[str],
        text: FromQuery[str] = "",
    ) -> Response[str]:
        """The "Đã có người hỏi?" fragment, refreshed while the citizen types."""
        episode = await episode_service.get_episode_by_slug(db, slug)
        similar = []
        if episode.status in episode_service.ACCEPTING_STATUSES:
            similar = await intake.similar_public_questions(db, runtime.engines, episode, text[: intake.MAX_TEXT])
        return render(
            request,
            "public/episode.html",
            {"episode": episode, "similar": similar, "accepting": True},
            block="similar_questions",
        )

    @get("/phuong-xa", name="search_wards")
    async def search_wards_fragment(
        self,
        request: Request[Any, Any, Any],
        q: FromQuery[str] = "",
        ward_text: FromQuery[str] = "",
        selected: FromQuery[str] = "",
    ) -> Response[str]:
        """Ward/commune choices for what the citizen typed (new names, old wards, old districts)."""
        q = (q or ward_text)[:120]
        result = search_wards(q) if q.strip() else None
        return render(
            request,
            "public/_ward_choices.html",
            {"search": result, "query": q, "selected": selected, "all_wards": None},
        )

    @get("/tra-cuu", name="tracking_form")
    async def tracking_form(self, request: Request[Any, Any, Any], ma: FromQuery[str] = "") -> Response[Any]:
        if ma.strip():
            return Redirect(f"/tra-cuu/{quote(normalize_tracking_code(ma))}", status_code=303)
        return render(request, "public/tracking.html", {"status": None, "code": "", "new": False, "not_found": False})

    @get("/tra-cuu/{code:str}", name="tracking_status")
    async def tracking_status(
        self, request: Request[Any, Any, Any], db: Db, code: FromPath[str], moi: FromQuery[bool] = False
    ) -> Response[str]:
        async with guess(request) as attempt:
            status = await citizen_status.lookup(db, code[:32])
            if status is None:
                await attempt.missed()
        if status is None and moi:
            # The acknowledgement of a dropped honeypot submission: look received, reveal nothing.
            return render(
                request, "public/tracking.html", {"status": None, "code": code[:16], "new": True, "not_found": False}
            )
        return render(
            request,
            "public/tracking.html",
            {"status": status, "code": code[:32], "new": moi, "not_found": status is None},
            status_code=200 if status else 404,
        )


def raise_not_public() -> None:
    from qa_app.services.errors import NotFound

    raise NotFound(_("No such episode."))
