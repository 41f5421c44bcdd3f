"""Small helpers to read HTML forms: every value NFC-normalised and stripped of NUL."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any


def clean_text(value: Any) -> str:
    """A form value as NFC text; NUL bytes (refused by PostgreSQL) removed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).replace("\x00", "")


def field(form: Mapping[str, Any], name: str) -> str:
    return clean_text(form.get(name, "")).strip()


def int_field(form: Mapping[str, Any], name: str, default: int | None = None) -> int | None:
    value = field(form, name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        return default


def checkbox(form: Mapping[str, Any], name: str) -> bool:
    return field(form, name) in {"on", "1", "true", "yes"}


def int_list(form: Any, name: str) -> list[int]:
    values = form.getall(name, []) if hasattr(form, "getall") else [form.get(name)]
    result = []
    for value in values:
        try:
            result.append(int(value))
        except (TypeError, ValueError):
            continue
    return result
