"""Input at the edge: bounded integers, no control characters, bounded JSON, the API's content type.

Litestar parses ``{question_id:int}`` and ``page: FromQuery[int]`` into Python ints of any size; an id
past 2^63 then reaches SQLite (OverflowError) or PostgreSQL (out of range) as a 500, and a ``%00`` in a
path or a search box reaches PostgreSQL, which refuses NUL in text. Instead of a check in every handler,
:func:`edge_middleware` looks at every route's parameters before any handler or guard runs: an integer
path parameter outside 1..MAX_INT or a path with a control character is "not found", an integer query
parameter outside the range is a bad request, control characters are dropped from the query string.
:class:`BoundedRequest` drops them from every form value too, and refuses deeply nested JSON. Forms read
their integers through :func:`parse_int` (``qa_app.web.forms``). The API's operations that take a body
accept ``application/json`` only (:func:`require_json`), so that no cross-site form can post to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, get_args
from urllib.parse import parse_qsl, urlencode

from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.exceptions import ClientException, HTTPException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import ParameterKwarg, ParamType
from litestar.types import ASGIApp, Receive, Scope, Send

from qa_app.i18n import gettext as _
from qa_app.models import MAX_INT
from qa_app.services.intake import CONTROL_CHARS, strip_controls

MIN_INT = -MAX_INT - 1
MAX_JSON_DEPTH = 32  # our bodies are flat objects; deep nesting only costs the decoder's stack
# A percent-encoded C0 control or DEL, or a C1 control (UTF-8 C2 80..9F): only then is a query rewritten.
_ENCODED_CONTROL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF]|[cC]2%[89][0-9a-fA-F])")
_RESERVED = frozenset({"request", "socket", "data", "state", "headers", "cookies", "query", "scope", "body"})


class BadInput(ClientException):
    """A 400 whose detail we wrote (in the user's language), unlike Litestar's own technical ones."""


class UnsupportedMediaType(HTTPException):
    status_code = 415


def parse_int(value: Any, *, minimum: int = MIN_INT, maximum: int = MAX_INT) -> int | None:
    """``value`` as an int within the bounds, else None (not a number, or one no column can hold)."""
    text = str(value).strip() if value is not None else ""
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or len(digits) > 10 or not digits.isascii() or not digits.isdigit():
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def int_query_names(handler: BaseRouteHandler, path_params: Iterable[str]) -> frozenset[str]:
    """The query parameters a handler declares as ``int`` (or ``int | None``), by their names in the URL."""
    skip = {*path_params, *handler.resolve_dependencies(), *_RESERVED}
    names = set()
    for name, definition in handler.parsed_fn_signature.parameters.items():
        if name in skip:
            continue
        kwarg = definition.kwarg_definition
        if isinstance(kwarg, ParameterKwarg):
            if kwarg.param_type not in (None, ParamType.QUERY):
                continue
            name = kwarg.name or kwarg.query or name
        elif kwarg is not None:
            continue  # a body or a dependency
        annotation = definition.annotation
        if annotation is int or int in get_args(annotation):
            names.add(name)
    return frozenset(names)


def edge_middleware(app: ASGIApp) -> ASGIApp:
    """For every route, HTTP and websocket, present and future: 404 for an integer path parameter
    outside 1..MAX_INT or a path parameter with a control character, control characters dropped from
    the query string, 400 for an integer query parameter outside MIN_INT..MAX_INT."""
    known: dict[int, frozenset[str]] = {}

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        path_params: dict[str, Any] = scope.get("path_params") or {}
        for value in path_params.values():
            if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= MAX_INT:
                raise NotFoundException(_("Not found."))
            if isinstance(value, str) and CONTROL_CHARS.search(value):
                raise NotFoundException(_("Not found."))
        query_string: bytes = scope.get("query_string") or b""
        if b"%" in query_string and _ENCODED_CONTROL.search(query_string):
            pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
            cleaned = [(strip_controls(k), strip_controls(v)) for k, v in pairs]
            scope["query_string"] = urlencode(cleaned).encode("latin-1")
        handler = scope.get("route_handler")
        if handler is not None and scope.get("query_string"):
            names = known.get(id(handler))
            if names is None:
                names = known[id(handler)] = int_query_names(handler, path_params)
            if names:
                for key, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
                    if key in names and value.strip() and parse_int(value) is None:
                        raise BadInput(
                            _("The address contains a number that is not valid."),
                            extra=[{"key": key, "message": _("Not a valid number."), "source": "query"}],
                        )
        await app(scope, receive, send)

    return middleware


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests deeper than ``limit`` (iterative: no recursion of our own)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class BoundedRequest(Request[Any, Any, Any]):
    """Litestar's request, whose form values carry no control characters (NUL, escape, DEL, C1;
    tab and line breaks stay) and whose JSON body may not nest deeper than :data:`MAX_JSON_DEPTH`."""

    __slots__ = ("_clean_form",)

    async def form(self) -> FormMultiDict:
        cleaned: FormMultiDict | None = getattr(self, "_clean_form", None)
        if cleaned is None:
            raw = await super().form()
            cleaned = FormMultiDict([(k, strip_controls(v) if isinstance(v, str) else v) for k, v in raw.multi_items()])
            self._clean_form = cleaned
        return cleaned

    async def json(self) -> Any:
        body = await self.body()
        if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH:  # cheap test first: most bodies are flat
            try:
                value = await super().json()
            except RecursionError:
                raise BadInput(_("The JSON is nested too deeply.")) from None
            if json_depth_exceeds(value):
                raise BadInput(_("The JSON is nested too deeply."))
            return value
        return await super().json()


def require_json(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of the API: an operation that reads a body reads JSON only (415 otherwise).

    A browser sends ``text/plain`` or a form from any site without asking first; ``application/json``
    from another origin needs a CORS preflight that this server never grants."""
    if "data" not in request.route_handler.parsed_fn_signature.parameters:
        return
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType(
            _("Send the request body as JSON with the header Content-Type: application/json."),
        )
