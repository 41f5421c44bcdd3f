"""Message catalogue: English message ids in code and templates, Vietnamese (default) through Babel.

The ``.po`` files are read directly at start-up (no compiled ``.mo`` to keep in sync). The locale of
the current request lives in a context variable set by :class:`LocaleMiddleware`.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE = "vi"
LOCALE_COOKIE = "qa_locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalogue for ``locale``; English is the message ids themselves."""
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(current_locale.get()).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet (translated when shown)."""
    return message
