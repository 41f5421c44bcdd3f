"""What the moderation board's cards share, for pages and live fragments alike (one source, no drift)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markupsafe import Markup

from qa_app.models import Department, RejectReason
from qa_app.services.wards import wards_by_code


@lru_cache(maxsize=8)
def _options(entries: tuple[tuple[str, str], ...]) -> Markup:
    return Markup("").join(Markup('<option value="{}">{}</option>').format(code, label) for code, label in entries)


def department_options(departments: list[Department]) -> Markup:
    """The route select's options, rendered once (not once per card); the card's pre-selected value
    is set from ``data-selected`` by static/js/app.js."""
    return _options(tuple((d.code, d.short_name or d.name) for d in departments))


def card_context(
    departments: list[Department], editors: dict[int, str], *, csrf_input: str | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "departments": departments,
        "department_options": department_options(departments),
        "wards": wards_by_code(),
        "reject_reasons": list(RejectReason),
        "editors": editors,
        "message": None,
    }
    if csrf_input is not None:
        # Live fragments carry no CSRF field: htmx sends the token from <body hx-headers> with every request.
        context["csrf_input"] = csrf_input
    return context
