"""Safe rendering of user-written text: escaped first, then given structure."""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

from qa_app.i18n import N_, current_locale, gettext

_BLANK_LINES = re.compile(r"\n\s*\n")


def paragraphs(text: str | None) -> Markup:
    """Plain text as ``<p>`` paragraphs (blank lines) with ``<br>`` for single line breaks; always escaped."""
    if not text:
        return Markup("")
    blocks = [block.strip() for block in _BLANK_LINES.split(text.replace("\r\n", "\n")) if block.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.split("\n"))) for b in blocks
    )


# Tooltips of the highlighted spans (kinds of moderation.mask_pii and moderation.unsure_spans).
PII_LABELS = {
    "phone": N_("phone number"),
    "email": N_("e-mail address"),
    "id_number": N_("identity document number"),
    "tax_code": N_("tax code"),
    "insurance_number": N_("insurance number"),
    "bank_account": N_("bank account number"),
    "plate": N_("licence plate"),
    "house_number": N_("house number"),
    "name": N_("person's name"),
    "name_like": N_("might be a name: hidden from the public until the wording is approved"),
    "digits": N_("a run of digits: hidden from the public until the wording is approved"),
}


def highlight_pii(text: str | None, titled: bool = True) -> Markup:
    """The text escaped, with every piece of personal data ``mask_pii`` finds wrapped in ``<mark class="pii">``
    and what the masker was unsure of (capitalised name-like sequences and digit runs it left, which
    citizens do not see before the wording is approved) in ``<mark class="pii-unsure">``."""
    if not text:
        return Markup("")
    return _highlighted(text, current_locale.get(), titled)


@lru_cache(maxsize=2048)
def _highlighted(text: str, locale: str, titled: bool = True) -> Markup:
    """Cached per text and language: a board renders the same cards again on every live event."""
    from moderation import mask_pii, unsure_spans

    marks = [(f, "pii") for f in mask_pii(text).found] + [(f, "pii-unsure") for f in unsure_spans(text)]
    pieces: list[Markup] = []
    position = 0
    for finding, css in sorted(marks, key=lambda m: m[0].start):
        if finding.start < position:
            continue
        pieces.append(escape(text[position : finding.start]))
        if titled:
            pieces.append(
                Markup('<mark class="{}" title="{}">{}</mark>').format(
                    css, gettext(PII_LABELS.get(finding.kind, finding.kind)), text[finding.start : finding.end]
                )
            )
        else:  # the page explains the colours once (the compact queue)
            pieces.append(Markup('<mark class="{}">{}</mark>').format(css, text[finding.start : finding.end]))
        position = finding.end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")
_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^\s)]+)\)")
_BULLET = re.compile(r"^\s*[-*•]\s+")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+")


def _inline(text: str) -> Markup:
    """Escape a line, then turn ``[text](https://…)`` and bare http(s) URLs into safe links."""
    pieces: list[Markup] = []
    position = 0
    for match in _LINK.finditer(text):
        pieces.append(_autolink(text[position : match.start()]))
        pieces.append(
            Markup('<a href="{}" rel="nofollow noopener noreferrer">{}</a>').format(match.group(2), match.group(1))
        )
        position = match.end()
    pieces.append(_autolink(text[position:]))
    return Markup("").join(pieces)


def _autolink(text: str) -> Markup:
    pieces: list[Markup] = []
    position = 0
    for match in _URL.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        url = match.group(0)
        pieces.append(Markup('<a href="{}" rel="nofollow noopener noreferrer">{}</a>').format(url, url))
        position = match.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def rich_text(text: str | None) -> Markup:
    """Light formatting for answers: paragraphs, "- " bullet and "1." numbered lists, http(s) links.

    Everything the author wrote is escaped; only tags made here reach the page, so no script, event
    handler or ``javascript:`` link can get through.
    """
    if not text:
        return Markup("")
    blocks = [b.strip("\n") for b in _BLANK_LINES.split(text.replace("\r\n", "\n")) if b.strip()]
    html: list[Markup] = []
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        if all(_BULLET.match(line) for line in lines):
            items = Markup("").join(Markup("<li>{}</li>").format(_inline(_BULLET.sub("", line))) for line in lines)
            html.append(Markup("<ul>{}</ul>").format(items))
        elif all(_NUMBERED.match(line) for line in lines):
            items = Markup("").join(Markup("<li>{}</li>").format(_inline(_NUMBERED.sub("", line))) for line in lines)
            html.append(Markup("<ol>{}</ol>").format(items))
        else:
            html.append(Markup("<p>{}</p>").format(Markup("<br>").join(_inline(line) for line in lines)))
    return Markup("\n").join(html)
