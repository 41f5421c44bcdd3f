"""Answer match check: which key terms of the question an answer does not address."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from .text import BASE_STOP_WORDS, canonical, fold_char_table, match_text

__all__ = ["AnswerMatch", "key_terms", "match_check"]

_FOLD = fold_char_table()
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = BASE_STOP_WORDS | frozenset(
    "bao can chi chua chung con cung da dan dang dau de den gio ho hoi lau len moi muon nen "
    "nguoi nhu phai pho ra sao sau se ta tai thanh the theo tren tu ve vi".split()
)


@dataclass(frozen=True, slots=True)
class AnswerMatch:
    """Share (0-1) of the question's key terms the answer addresses, the missing ones, verdict."""

    score: float
    missing_terms: list[str] = field(default_factory=list)
    ok: bool = True


def key_terms(question: str) -> list[tuple[str, str]]:
    """Key terms of a question as (display form, folded form): its content words, with
    greetings, fillers and stop words dropped."""
    canon = match_text(question)
    toks = _TOKEN.findall(canon)
    content = [(t, t.translate(_FOLD)) for t in toks]
    content = [(t, f) for t, f in content if f not in _STOP and not f.isdigit() and len(f) > 1]
    return list(dict.fromkeys(content))


def _addressed(term: str, answer_tokens: set[str], answer: str) -> bool:
    """A key term (one folded word) is addressed when the answer has it, or nearly (a typo, a missing mark)."""
    return term in answer_tokens or fuzz.partial_ratio(term, answer) >= 85


def match_check(question: str, answer: str, threshold: float = 0.5) -> AnswerMatch:
    """Compare the question's key terms with the answer (folded forms).  ``ok`` when at least
    ``threshold`` of the terms are addressed; ``missing_terms`` lists the others."""
    terms = key_terms(question)
    if not terms:
        return AnswerMatch(1.0)
    folded_answer = canonical(answer).translate(_FOLD)
    tokens = set(_TOKEN.findall(folded_answer))
    missing = [display for display, folded in terms if not _addressed(folded, tokens, folded_answer)]
    score = round((len(terms) - len(missing)) / len(terms), 3)
    return AnswerMatch(score, missing, score >= threshold)
