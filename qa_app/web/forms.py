"""Small helpers to read HTML forms: every value NFC-normalised, without NUL or other control characters,
and integers within what the database can hold."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from qa_app.models import MAX_INT
from qa_app.services.intake import strip_controls
from qa_app.web.edge import MIN_INT, parse_int


def clean_text(value: Any) -> str:
    """A form value as NFC text; NUL and other control characters (refused by PostgreSQL, invisible
    on screen) removed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", strip_controls(str(value)))


def field(form: Mapping[str, Any], name: str) -> str:
    return clean_text(form.get(name, "")).strip()


def int_field(
    form: Mapping[str, Any], name: str, default: int | None = None, *, minimum: int = MIN_INT, maximum: int = MAX_INT
) -> int | None:
    """An integer field; ``default`` when it is missing, not a number, or out of range."""
    value = parse_int(field(form, name), minimum=minimum, maximum=maximum)
    return default if value is None else value


def checkbox(form: Mapping[str, Any], name: str) -> bool:
    return field(form, name) in {"on", "1", "true", "yes"}


def int_list(form: Any, name: str, *, minimum: int = 1) -> list[int]:
    """Every value of a repeated field that is a number in range (ids by default); others are skipped."""
    values = form.getall(name, []) if hasattr(form, "getall") else [form.get(name)]
    return [number for value in values if (number := parse_int(value, minimum=minimum)) is not None]
