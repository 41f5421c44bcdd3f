"""Error responses: friendly Vietnamese pages for the screens, JSON for the API, never a traceback."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import ClientException, HTTPException, NotAuthorizedException, ValidationException

from qa_app.availability import database_unavailable
from qa_app.i18n import gettext as _
from qa_app.services.errors import DomainError, InvalidInput
from qa_app.web.auth import API_PREFIX
from qa_app.web.rendering import render

logger = logging.getLogger("qa_app")

# Seconds a client should wait before retrying a 503 (a database restart takes a few); every 503 says it.
RETRY_AFTER_SECONDS = 5


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        401: _("Please log in"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("This action is not allowed here"),
        409: _("Someone else changed this first"),
        413: _("What you sent is too large"),
        415: _("This content type is not accepted"),
        422: _("Please check what you entered"),
        429: _("Too many requests"),
        500: _("Something went wrong on our side"),
        503: _("The service is temporarily unavailable"),
    }


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_response(
    request: Request[Any, Any, Any],
    status_code: int,
    message: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """The error in the caller's form: JSON for the API (``{"error", "detail", "status", "errors"?}``,
    documented as ``ErrorOut`` in ``qa_app.web.api``), a fragment for htmx, a page otherwise."""
    title = _titles().get(status_code, _titles()[400 if status_code < 500 else 500])
    if _is_api(request):
        body: dict[str, Any] = {"error": title, "detail": message or title, "status": status_code}
        body.update(extra or {})
        return Response(content=body, status_code=status_code, media_type=MediaType.JSON, headers=headers)
    if request.headers.get("hx-request"):
        # htmx swaps nothing on 4xx/5xx by default; the page shows the message in its alert region.
        return render(
            request,
            "_error_fragment.html",
            {"title": title, "message": message},
            status_code=status_code,
            headers={**(headers or {}), "HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"},
        )
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status_code": status_code},
        status_code=status_code,
        headers=headers,
    )


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException) and not _is_api(request):
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if request.headers.get("hx-request"):
            return Response(content="", status_code=200, headers={"HX-Redirect": target})
        return Response(content="", status_code=303, headers={"Location": target})
    detail = exc.detail if exc.status_code < 500 else ""
    # Litestar's own messages are English and technical; show ours unless a handler wrote one.
    if detail and detail == _default_detail(exc.status_code):
        detail = ""
    extra: dict[str, Any] = {}
    if type(exc) in (ClientException, ValidationException):
        # Litestar's words (malformed JSON, a field of the wrong type): ours for people, its own for
        # the integrator, by field, in the same shape as our validation errors.
        errors = _field_errors(exc.extra) or ({"body": detail} if detail else {})
        detail = _("Some of what was sent is not valid (see the fields listed).") if errors else ""
        if _is_api(request) and errors:
            extra["errors"] = errors
    elif exc.extra and _is_api(request) and exc.status_code == 400:
        extra["errors"] = _field_errors(exc.extra)
    # e.g. Allow on a 405, Retry-After on a 503
    return error_response(request, exc.status_code, detail, extra, headers=dict(exc.headers or {}))


def _field_errors(extra: Any) -> dict[str, str]:
    """Litestar's ``[{"key", "message", "source"}]`` as ``{field: message}``."""
    if isinstance(extra, dict):
        return {str(k): str(v) for k, v in extra.items()}
    errors: dict[str, str] = {}
    for entry in extra or []:
        if isinstance(entry, dict):
            errors.setdefault(str(entry.get("key") or "body"), str(entry.get("message", "")))
    return errors


def _default_detail(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    extra = {"errors": exc.errors} if isinstance(exc, InvalidInput) else None
    return error_response(request, exc.status_code, exc.message, extra)


def handle_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if database_unavailable(exc):
        # Down, restarting, locked or out of connections: not a bug, and the same request shortly works.
        logger.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return error_response(request, 503, database_unavailable_message())
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, _("The error has been logged. Please try again in a moment."))


def database_unavailable_message() -> str:
    return _("The system is briefly unavailable. Please try again in a few seconds.")


def handle_stale_data(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A concurrent change won the race (optimistic lock): refuse clearly, never a 500."""
    return error_response(request, 409, _("Someone else changed this a moment ago. Reload to see the current state."))
