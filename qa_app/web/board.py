"""What the moderation board's cards share, for pages and live fragments alike (one source, no drift)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markupsafe import Markup

from qa_app.i18n import N_, gettext
from qa_app.labels import CHANNEL_LABELS, QUESTION_STATUS_LABELS, REJECT_REASON_LABELS
from qa_app.models import Department, RejectReason
from qa_app.services.wards import wards_by_code

# Every text of a card, translated once per page instead of once per card (a board page has 25 cards,
# and Jinja's per-call gettext was a third of its render time).
CARD_MESSAGES = (
    N_("Urgent"),
    N_("High priority"),
    N_("due"),
    N_("%(who)s is editing this question"),
    N_("Not accepted"),
    N_("Merged into"),
    N_("The department asks for re-routing:"),
    N_("Possible duplicates"),
    N_("similarity"),
    N_("Merge into #%(id)d"),
    N_("Route to"),
    N_("suggested"),
    N_("note for the department (optional)"),
    N_("Route"),
    N_("Reject"),
    N_("Reason"),
    N_("explanation (required for “other”)"),
    N_("explanation"),
    N_("Reopen"),
    N_("Priority"),
    N_("normal"),
    N_("high"),
    N_("urgent"),
    N_("Edit wording"),
    N_("Wording not approved yet: citizens see it with the highlighted parts hidden."),
    N_("Approve wording"),
    N_("%(num)d citizen"),
    N_("%(num)d citizens"),
    N_("Show all"),
    N_("Merge…"),
    N_("Answer awaiting approval"),
    N_("Approve answer"),
    N_("Return"),
    N_("What should the department change?"),
    N_("Return to the department"),
    N_("by"),
)
# A card shows this much of a question's wording; the rest is one click away.
CLAMP_CHARS = 180


def card_texts() -> dict[str, Any]:
    """The card's texts in the current language, and its enum labels already translated."""
    texts: dict[str, Any] = {message: gettext(message) for message in CARD_MESSAGES}
    texts["status"] = {key: gettext(value) for key, value in QUESTION_STATUS_LABELS.items()}
    texts["channel"] = {key: gettext(value) for key, value in CHANNEL_LABELS.items()}
    texts["reason"] = {key: gettext(value) for key, value in REJECT_REASON_LABELS.items()}
    texts["levels"] = [texts["normal"], texts["high"], texts["urgent"]]
    return texts


@lru_cache(maxsize=8)
def _options(entries: tuple[tuple[str, str], ...]) -> Markup:
    return Markup("").join(Markup('<option value="{}">{}</option>').format(code, label) for code, label in entries)


def department_options(departments: list[Department]) -> Markup:
    """The route select's options, rendered once (not once per card); the card's pre-selected value
    is set from ``data-selected`` by static/js/app.js."""
    return _options(tuple((d.code, d.short_name or d.name) for d in departments))


def card_context(
    departments: list[Department],
    editors: dict[int, str],
    *,
    csrf_input: str | None = None,
    merge_threshold: float = 100.0,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "merge_threshold": merge_threshold,
        "clamp_chars": CLAMP_CHARS,
        "departments": departments,
        "department_options": department_options(departments),
        "wards": wards_by_code(),
        "reject_reasons": list(RejectReason),
        "editors": editors,
        "message": None,
        "T": card_texts(),
    }
    if csrf_input is not None:
        # Live fragments carry no CSRF field: htmx sends the token from <body hx-headers> with every request.
        context["csrf_input"] = csrf_input
    return context
