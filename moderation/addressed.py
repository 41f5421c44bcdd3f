"""Names in an answer, as the public and the other askers of a grouped question may read it.

An official often writes to the citizen who asked ("Chào ông Nguyễn Văn Bình, …", "Thưa chị Lan, …"). After
questions are grouped, the same answer is read by every asker and by the public: no one's name may show.
:func:`mask_addressees` replaces with ``[họ tên]``

* every name the askers gave with their submissions, wherever it appears (whole, any case), and its
  given name (the last syllable) after a kinship or address term ("anh Bình");
* the name after a greeting and an address term ("Chào ông …", "Kính gửi bà …", "Thưa anh …"), whoever it
  is: 1–4 capitalised syllables.

Everything else (officials quoted by title, streets named after people, places) stays.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .name_words import KIN

__all__ = ["MASK", "mask_addressees"]

MASK = "[họ tên]"
_KIN = "|".join(sorted(KIN, key=len, reverse=True))
_GREETING = r"(?:kính\s+chào|chào|kính\s+thưa|thưa|kính\s+gửi|gửi|xin\s+chào)"
# a greeting, an address term, then up to four words; only the leading capitalised ones are the name
_GREETED = re.compile(rf"(?<!\w)((?i:{_GREETING}\s+(?:{_KIN}))\s+)(\w+(?:[ \t]+\w+){{0,3}})")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"\s+", _nfc(name).strip()) if w]


def mask_addressees(text: str, names: Iterable[str | None] = ()) -> str:
    """``text`` with the askers' ``names`` and any greeted name replaced by ``[họ tên]``."""
    text = _nfc(text)
    # longest first: "An Bình" before "Bình", or "An" would be left beside the mask; one letter is no name
    joined = {" ".join(_words(n)) for n in names if n}
    known = sorted((name for name in joined if len(name) >= 2), key=len, reverse=True)
    for name in known:
        words = name.split(" ")
        whole = r"\s+".join(re.escape(w) for w in words)
        text = re.sub(rf"(?<!\w){whole}(?!\w)", MASK, text, flags=re.IGNORECASE)
        if len(words) >= 2:
            given = re.escape(words[-1])
            text = re.sub(rf"(?<!\w)((?:{_KIN})\s+){given}(?!\w)", rf"\1{MASK}", text, flags=re.IGNORECASE)

    def greeted(match: re.Match[str]) -> str:
        words = match.group(2)
        end = 0  # where the leading capitalised words end (they may be spaced by several blanks)
        for word in re.finditer(r"\w+", words):
            if not word.group()[0].isupper():
                break
            end = word.end()
        if end == 0:
            return match.group(0)
        return match.group(1) + MASK + words[end:]

    return _GREETED.sub(greeted, text)
