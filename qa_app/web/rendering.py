"""One template serves a page and its htmx fragments: render it whole, or one named block of it."""

from __future__ import annotations

import html
from typing import Any

from jinja2 import Environment
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.utils.scope.state import ScopeState

from qa_app.web import toasts


def _environment(request: Request[Any, Any, Any]) -> Environment:
    return request.app.template_engine.engine  # type: ignore[union-attr]


def template_context(request: Request[Any, Any, Any], context: dict[str, Any]) -> dict[str, Any]:
    """What every template gets besides the handler's context, as Litestar's Template response does."""
    csrf_token = ScopeState.from_scope(request.scope).csrf_token
    token = csrf_token if isinstance(csrf_token, str) else ""
    return {
        **context,
        "request": request,
        "csrf_input": f'<input type="hidden" name="_csrf_token" value="{html.escape(token)}">',
        "current_user": request.user if "user" in request.scope else None,
        "take_toasts": lambda: toasts.take(request),
    }


def render_block(environment: Environment, template_name: str, block: str, context: dict[str, Any]) -> str:
    """Render one ``{% block %}`` of a template with ``context`` (used for fragments and live events)."""
    template = environment.get_template(template_name)
    return "".join(template.blocks[block](template.new_context(context)))


def render(
    request: Request[Any, Any, Any],
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """The whole page, or only ``block`` of it (for htmx requests that ask for a fragment)."""
    full_context = template_context(request, context or {})
    environment = _environment(request)
    if block is not None:
        content = render_block(environment, template_name, block, full_context)
    else:
        content = environment.get_template(template_name).render(full_context)
    response_headers = {"Vary": "HX-Request"}
    response_headers.update(headers or {})
    return Response(content=content, media_type=MediaType.HTML, status_code=status_code, headers=response_headers)


def render_string(
    environment: Environment, template_name: str, context: dict[str, Any], block: str | None = None
) -> str:
    """Render outside a request (websocket fragments, background publishers)."""
    if block is not None:
        return render_block(environment, template_name, block, context)
    return environment.get_template(template_name).render(context)
