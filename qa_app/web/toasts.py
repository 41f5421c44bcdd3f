"""A short confirmation after an action ("Đã lưu nội dung câu hỏi #12."), shown as a toast.

An htmx answer carries it in ``HX-Trigger`` (static/js/app.js shows it); a redirect keeps it in the
staff member's session until the next page renders it in ``base.html``. Either way it lands in the one
``#toasts`` live region (role=status), so a screen reader announces it, and goes after 6 seconds.

The moderation actions that can be taken back (route, reject, merge, split) show the same toast with an
undo button for 10 seconds (``templates/_toast.html``): an action's card brings it into ``#toasts`` out
of band, a split's page renders it there, and the undo's answer is the next toast, in its place."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response

EVENT = "qa:toast"
SESSION_KEY = "toasts"
MAX_KEPT = 5


def _session(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    session = request.scope.get("session")
    return session if isinstance(session, dict) and session else None  # only a logged-in session


def flash(request: Request[Any, Any, Any], message: str) -> None:
    """Keep ``message`` for the next full page (after a redirect)."""
    session = _session(request)
    if session is not None:
        session[SESSION_KEY] = [*session.get(SESSION_KEY, []), message][-MAX_KEPT:]


def take(request: Request[Any, Any, Any]) -> list[str]:
    """The kept messages, once (``base.html`` calls this while it renders)."""
    session = _session(request)
    if session is None:
        return []
    return [str(message) for message in session.pop(SESSION_KEY, [])]


def announce(response: Response[Any], message: str) -> Response[Any]:
    """Add the toast to an htmx answer (ASCII-escaped JSON: headers are Latin-1)."""
    response.headers["HX-Trigger"] = json.dumps({EVENT: {"message": message}})
    return response


def tell(request: Request[Any, Any, Any], response: Response[Any], message: str) -> Response[Any]:
    """The toast for whatever ``response`` is: in the htmx answer, or kept for the page a redirect opens."""
    if request.headers.get("hx-request") and (response.status_code or 200) < 300:
        return announce(response, message)
    flash(request, message)
    return response
