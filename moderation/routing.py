"""Routing of questions to departments.

Each department has a bag of folded word unigrams and bigrams built from the catalogue (name,
short name and description once, each keyword phrase ``KEYWORD_WEIGHT`` times) plus every question a
moderator routed to it (:meth:`Router.learn`, incremental and cheap).  A question is scored
against each department with a multinomial naive Bayes over its features weighted by IDF across
departments; a softmax over the scores gives a confidence, and :meth:`Router.route` returns
``None`` ("needs a human") below :attr:`Router.floor`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .text import canonical, fold_char_table, match_text

__all__ = ["Route", "Router", "features"]

_FOLD = fold_char_table()
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Function words, decided on the accented token: folded, "căn" (ID card), "hộ" (household),
# "sổ" (land book), "thẻ" (card), "đăng" (register), "chợ" (market), "đèn" (lamp) would collide
# with "cần", "họ", "số", "the", "đang", "cho", "đến".  Folded forms are used only for tokens
# typed without diacritics in a text typed without diacritics.
_STOP_ACCENTED = frozenset(
    "à ạ ah vậy nhé ơi ơ hả nè thì mà là và với của các những này em mình cho xin được không bị "
    "rồi nào gì ai khi nếu hay hoặc một vào lại ở có tôi ừ u giúp nhiều làm quá để đến từ trên "
    "sau sẽ đã đang cũng như thế phải muốn cần sao bao lâu đâu hỏi nhờ vẫn còn chưa mới rất "
    "anh chị ông bà cháu con chúng ta họ đây đó kia ấy nữa thôi luôn rằng nên vì nhưng".split()
)
_STOP = frozenset(
    "a ah vay nhe oi ha ne thi ma la va voi cua cac nhung nay em minh cho xin duoc khong bi roi "
    "nao gi ai khi neu hay hoac mot vao lai o co toi u giup nhieu lam qua de den tu tren sau "
    "so hoi phai muon can sao bao lau dau the nhu da dang se cung".split()
)
_CITY = re.compile(r"\b(?:tại |ở |tai )?(?:thành phố hồ chí minh|thanh pho ho chi minh)\b")


@dataclass(frozen=True, slots=True)
class Route:
    """A ranked department: its code and a confidence 0-1."""

    code: str
    confidence: float


def features(text: str, *, courtesies: bool = True) -> list[str]:
    """Folded unigram and bigram features of ``text`` (function words dropped: on the accented
    token when the text carries diacritics, on the folded token otherwise)."""
    canon = match_text(text) if courtesies else canonical(text)
    canon = _CITY.sub(" ", canon)
    raw = _TOKEN.findall(canon)
    folded = [t.translate(_FOLD) for t in raw]
    accented = sum(f != t for f, t in zip(folded, raw)) >= 0.3 * len(raw) if raw else False
    toks = [f for t, f in zip(raw, folded)
            if not f.isdigit() and t not in _STOP_ACCENTED and (accented or f not in _STOP)]
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]


KEYWORD_WEIGHT = 3.0
NAME_WEIGHT = 1.0
LEARN_WEIGHT = 1.0
KNN = 5
KNN_MAX_WEIGHT = 0.0  # nearest-neighbour votes did not help on dev; kept configurable


class Router:
    """Department ranking from the catalogue and moderators' past decisions."""

    def __init__(self, codes: Iterable[str] = (), *, floor: float = 0.35, alpha: float = 2.0,
                 temperature: float = 1.0) -> None:
        self.floor = floor
        self.alpha = alpha
        self.temperature = temperature
        self._counts: dict[str, dict[str, float]] = {}
        self._totals: dict[str, float] = {}
        self._df: dict[str, int] = {}
        self._examples: list[tuple[str, frozenset[str]]] = []
        self._ex_post: dict[str, list[int]] = {}
        self._ex_df: dict[str, int] = {}
        for code in codes:
            self._ensure(code)

    @classmethod
    def from_catalogue(cls, departments: Iterable[Mapping[str, Any]], **kwargs: Any) -> Router:
        """Build from a list of department dicts as in ``departments.json`` (``code``, ``name``,
        ``short``, ``description``, ``keywords``)."""
        router = cls(**kwargs)
        for dep in departments:
            code = str(dep["code"])
            router._ensure(code)
            for field in ("name", "short", "description"):
                if dep.get(field):
                    router._add(code, features(str(dep[field]), courtesies=False), NAME_WEIGHT)
            for kw in dep.get("keywords", ()) or ():
                router._add(code, features(str(kw), courtesies=False), KEYWORD_WEIGHT)
        return router

    @property
    def codes(self) -> list[str]:
        """Known department codes."""
        return list(self._counts)

    def _ensure(self, code: str) -> dict[str, float]:
        if code not in self._counts:
            self._counts[code] = {}
            self._totals[code] = 0.0
        return self._counts[code]

    def _add(self, code: str, feats: list[str], weight: float) -> None:
        counts = self._ensure(code)
        for f in feats:
            if f not in counts:
                self._df[f] = self._df.get(f, 0) + 1
            counts[f] = counts.get(f, 0.0) + weight
        self._totals[code] += weight * len(feats)

    def learn(self, text: str, department_code: str) -> None:
        """Record a moderator's routing decision (adds the text's features to the department
        and keeps the text as an example for nearest-neighbour voting)."""
        feats = features(text)
        self._add(department_code, feats, LEARN_WEIGHT)
        fs = frozenset(feats)
        idx = len(self._examples)
        self._examples.append((department_code, fs))
        for f in fs:
            self._ex_post.setdefault(f, []).append(idx)
            self._ex_df[f] = self._ex_df.get(f, 0) + 1

    def _neighbours(self, feats: list[str]) -> dict[str, float]:
        """Sum of the cosine similarities of the ``KNN`` most similar learned examples, per code."""
        if not self._examples:
            return {}
        n = len(self._examples) + 1
        def idf(f: str) -> float:
            return math.log(n / (self._ex_df.get(f, 0) + 0.5))
        q = set(feats)
        qn = sum(idf(f) ** 2 for f in q) or 1.0
        acc: dict[int, float] = {}
        for f in q:
            post = self._ex_post.get(f)
            if not post or len(post) > 2000:
                continue
            w = idf(f) ** 2
            for i in post:
                acc[i] = acc.get(i, 0.0) + w
        best = sorted(acc.items(), key=lambda kv: -kv[1])[:KNN * 4]
        sims = []
        for i, shared in best:
            code, fs = self._examples[i]
            dn = sum(idf(f) ** 2 for f in fs) or 1.0
            sims.append((shared / math.sqrt(qn * dn), code))
        sims.sort(reverse=True)
        out: dict[str, float] = {}
        for s, code in sims[:KNN]:
            out[code] = out.get(code, 0.0) + s
        return out

    def _scores(self, text: str) -> dict[str, float]:
        """Positive evidence per department: sum over the query's features of
        idf * tf / (tf + K), with tf the feature's weight in the department's bag."""
        feats = set(features(text))
        n_dep = len(self._counts) or 1
        weights = {f: math.log((n_dep + 1) / (self._df[f] + 0.5)) for f in feats if f in self._df}
        k = self.alpha
        scores: dict[str, float] = {}
        for code, counts in self._counts.items():
            s = 0.0
            for f, w in weights.items():
                tf = counts.get(f)
                if tf:
                    s += w * tf / (tf + k)
            scores[code] = s
        return scores

    def rank(self, text: str, limit: int = 3) -> list[Route]:
        """Departments for ``text``, best first, with confidences 0-1 (summing to 1 over all):
        a softmax over the naive-Bayes scores, mixed with nearest-neighbour votes of learned
        examples in proportion to how similar the nearest example is."""
        scores = self._scores(text)
        if not scores:
            return []
        top = max(scores.values())
        exps = {c: math.exp((s - top) / self.temperature) for c, s in scores.items()}
        total = sum(exps.values())
        probs = {c: e / total for c, e in exps.items()}
        votes = self._neighbours(features(text))
        if votes:
            vt = sum(votes.values())
            beta = min(KNN_MAX_WEIGHT, max(votes.values()) / KNN)
            beta = KNN_MAX_WEIGHT * min(1.0, vt / KNN * 2)
            probs = {c: (1 - beta) * p + beta * votes.get(c, 0.0) / vt for c, p in probs.items()}
        ranked = sorted(probs.items(), key=lambda kv: -kv[1])
        return [Route(c, round(p, 4)) for c, p in ranked[:limit]]

    def route(self, text: str) -> str | None:
        """The best department, or None when its confidence is below :attr:`floor`."""
        ranked = self.rank(text, limit=1)
        if not ranked or ranked[0].confidence < self.floor:
            return None
        return ranked[0].code
