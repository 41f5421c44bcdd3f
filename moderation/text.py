"""The text used for matching, and the one place the text functions are imported from.

:func:`match_text` / :func:`match_pair`: personal data removed (:mod:`moderation.pii`), courtesies and
signatures stripped (:mod:`moderation.courtesy`), then :func:`canonical` (:mod:`moderation.spelling`),
greetings once more, filler phrases and meta-statements removed.

The text engine is three modules, one idea each, imported here for the matchers and the app:
:mod:`moderation.syllables` (cleaning, tone marks, folding), :mod:`moderation.spelling` (typing repair
and abbreviations), :mod:`moderation.courtesy` (courtesies, fillers, meta-statements).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from .courtesy import filler_pattern, strip_courtesies, trim_pair
from .pii import remove_pii
from .spelling import TOKEN_RE, canonical, repair_token
from .syllables import _MULTISPACE, clean, fold, fold_char_table, fold_raw, folded_syllables, is_syllable, normalize
from .syllables import contains_any as _hint  # noqa: F401 -- duplicates.py imports it from here

__all__ = [
    "BASE_STOP_WORDS",
    "canonical",
    "clean",
    "fold",
    "fold_char_table",
    "folded_syllables",
    "is_syllable",
    "match_pair",
    "match_text",
    "normalize",
    "repair_token",
    "strip_courtesies",
    "tokens",
]


def tokens(text: str) -> list[str]:
    """Word tokens (letters and digits) of an already normalised text."""
    return TOKEN_RE.findall(text)


def match_text(text: str, fillers: Iterable[str] = ()) -> str:
    """Text used for matching: personal data removed (see :mod:`moderation.pii`), greetings,
    self-introductions and signatures stripped, then :func:`canonical`; filler phrases
    (defaults plus ``fillers``, compared folded) removed."""
    return match_pair(text, fillers)[0]


def match_pair(text: str, fillers: Iterable[str] = ()) -> tuple[str, str]:
    """:func:`match_text` and its folded form (same length), computed together.

    The last few results are remembered: a new question is matched against the duplicates and
    routed, and both start from this."""
    return _match_pair(text, tuple(fillers))


@lru_cache(maxsize=256)
def _match_pair(text: str, fillers: tuple[str, ...]) -> tuple[str, str]:
    stripped = strip_courtesies(remove_pii(text))
    if len(TOKEN_RE.findall(stripped)) < 2:
        stripped = remove_pii(text)
    canon = canonical(stripped)
    canon, folded = trim_pair(canon, fold_raw(canon))
    pat = filler_pattern(tuple(fillers))
    if pat is not None:
        pieces: list[str] = []
        fpieces: list[str] = []
        pos = 0
        for m in pat.finditer(folded):
            pieces.append(canon[pos : m.start()])
            fpieces.append(folded[pos : m.start()])
            pieces.append(" ")
            fpieces.append(" ")
            pos = m.end()
        if pos:
            pieces.append(canon[pos:])
            fpieces.append(folded[pos:])
            canon, folded = "".join(pieces), "".join(fpieces)
    # spaces and the stripped punctuation are folded to themselves: both stay aligned
    canon = _MULTISPACE.sub(" ", canon).strip(" ,.;:!?")
    folded = _MULTISPACE.sub(" ", folded).strip(" ,.;:!?")
    return canon, folded


# Folded words that carry no topic in any matcher (particles, pronouns, connectives); duplicates, routing
# and the answer match check each add the words that are noise for their own purpose.
BASE_STOP_WORDS = frozenset(
    "a ah ai bi cac cho co cua duoc em gi giup ha hay hoac khi khong la lai lam ma minh mot "
    "nao nay ne neu nhe nhieu nhung o oi qua roi thi toi u va vao vay voi xin".split()
)
