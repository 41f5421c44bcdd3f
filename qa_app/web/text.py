"""Safe rendering of user-written text: escaped first, then given structure."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_BLANK_LINES = re.compile(r"\n\s*\n")


def paragraphs(text: str | None) -> Markup:
    """Plain text as ``<p>`` paragraphs (blank lines) with ``<br>`` for single line breaks; always escaped."""
    if not text:
        return Markup("")
    blocks = [block.strip() for block in _BLANK_LINES.split(text.replace("\r\n", "\n")) if block.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.split("\n"))) for b in blocks
    )


def highlight_pii(text: str | None) -> Markup:
    """The text escaped, with every piece of personal data ``mask_pii`` finds wrapped in ``<mark>``."""
    from moderation import mask_pii

    if not text:
        return Markup("")
    pieces: list[Markup] = []
    position = 0
    for finding in sorted(mask_pii(text).found, key=lambda f: f.start):
        if finding.start < position:
            continue
        pieces.append(escape(text[position : finding.start]))
        pieces.append(
            Markup('<mark class="pii" title="{}">{}</mark>').format(finding.kind, text[finding.start : finding.end])
        )
        position = finding.end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)
