"""Keep the message catalogues in step with the code: ``python -m qa_app.messages``.

Extracts every message id from ``qa_app/`` and ``templates/`` and merges them into each locale's
``messages.po`` (new ids are added untranslated, vanished ones are dropped). A test fails while any
id lacks a Vietnamese translation.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from qa_app.i18n import LOCALE_DIR
from qa_app.settings import PROJECT_ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}
# English is the message ids themselves: only Vietnamese needs a catalogue.
LOCALES = ("vi",)


def extract() -> Catalog:
    """Every message id used in the code and the templates."""
    catalog = Catalog(project="qa_app", charset="utf-8")
    method_map = [("qa_app/**.py", "python"), ("templates/**.html", "jinja2")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PROJECT_ROOT),
        method_map=method_map,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}},
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update(locale: str, template: Catalog) -> tuple[int, int]:
    """Merge ``template`` into the locale's catalogue; returns (ids, untranslated)."""
    path: Path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
    else:
        catalog = Catalog(locale=locale, project="qa_app", charset="utf-8")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_output=False, omit_header=False, include_previous=False)
    ids = [m for m in catalog if m.id]
    return len(ids), sum(1 for m in ids if not m.string)


def main() -> None:
    template = extract()
    for locale in LOCALES:
        total, missing = update(locale, template)
        print(f"{locale}: {total} messages, {missing} untranslated")


if __name__ == "__main__":
    main()
