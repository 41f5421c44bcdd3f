"""Routing of questions to departments.

Each department has bags of folded word unigrams and bigrams built from the catalogue (name,
short name and description once, each keyword phrase ``KEYWORD_WEIGHT`` times) plus every question a
moderator routed to it (:meth:`Router.learn`, incremental and cheap).  A question is scored
against each department by a saturated IDF evidence sum and by an IDF-weighted multinomial naive
Bayes; the two softmax probabilities are mixed into a confidence, a body the question names
(:mod:`moderation.mentions`) is made more likely, and :meth:`Router.route` returns ``None`` ("needs
a human") below :attr:`Router.floor`.  See :class:`Router`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .duplicates import known_place_spans
from .mentions import ADDRESSED, ALTERNATIVE, PLAIN, MentionFinder, institution_name
from .text import BASE_STOP_WORDS, canonical, fold_char_table, match_text

__all__ = ["Route", "Router", "features"]

_FOLD = fold_char_table()
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Function words, decided on the accented token: folded, "căn" (ID card), "hộ" (household),
# "sổ" (land book), "thẻ" (card), "đăng" (register), "chợ" (market), "đèn" (lamp) would collide
# with "cần", "họ", "số", "the", "đang", "cho", "đến".  Folded forms are used only for tokens
# typed without diacritics in a text typed without diacritics.
_STOP_ACCENTED = frozenset(
    [
        "à",
        "ạ",
        "ah",
        "vậy",
        "nhé",
        "ơi",
        "ơ",
        "hả",
        "nè",
        "thì",
        "mà",
        "là",
        "và",
        "với",
        "của",
        "các",
        "những",
        "này",
        "em",
        "mình",
        "cho",
        "xin",
        "được",
        "không",
        "bị",
        "rồi",
        "nào",
        "gì",
        "ai",
        "khi",
        "nếu",
        "hay",
        "hoặc",
        "một",
        "vào",
        "lại",
        "ở",
        "có",
        "tôi",
        "ừ",
        "u",
        "giúp",
        "nhiều",
        "làm",
        "quá",
        "để",
        "đến",
        "từ",
        "trên",
        "sau",
        "sẽ",
        "đã",
        "đang",
        "cũng",
        "như",
        "thế",
        "phải",
        "muốn",
        "cần",
        "sao",
        "bao",
        "lâu",
        "đâu",
        "hỏi",
        "nhờ",
        "vẫn",
        "còn",
        "chưa",
        "mới",
        "rất",
        "anh",
        "chị",
        "ông",
        "bà",
        "cháu",
        "con",
        "chúng",
        "ta",
        "họ",
        "đây",
        "đó",
        "kia",
        "ấy",
        "nữa",
        "thôi",
        "luôn",
        "rằng",
        "nên",
        "vì",
        "nhưng",
    ]
)
_STOP = BASE_STOP_WORDS | frozenset(
    "bao can cung da dang dau de den hoi lau muon nhu phai sao sau se so the tren tu".split()
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
    spans = known_place_spans(folded)
    if spans:  # where the asker lives says nothing of which body answers
        drop = {i for start, end in spans for i in range(start, end)}
        raw = [t for i, t in enumerate(raw) if i not in drop]
        folded = [f for i, f in enumerate(folded) if i not in drop]
    accented = sum(f != t for f, t in zip(folded, raw, strict=True)) >= 0.3 * len(raw) if raw else False
    toks = [
        f
        for t, f in zip(raw, folded, strict=True)
        if not f.isdigit() and t not in _STOP_ACCENTED and (accented or f not in _STOP)
    ]
    return toks + [f"{a} {b}" for a, b in pairwise(toks)]


KEYWORD_WEIGHT = 3.0  # a catalogue keyword phrase counts this many times
NAME_WEIGHT = 1.0  # name, short name and the keywords that name an institution count once
DESCRIPTION_WEIGHT = 1.0  # each phrase of the description (functions, procedures, situations)
# a body named in the question multiplies its probability by exp(this) (see moderation.mentions)
MENTION_BOOST = {ADDRESSED: 2.0, PLAIN: 1.0, ALTERNATIVE: 0.0}
_PHRASE_END = re.compile(r"[.;:,()]")
LEARN_WEIGHT = 1.0  # each routed question counts once
NB_CATALOGUE_WEIGHT = 4.0  # in the naive Bayes bags the catalogue counts this many times more
NB_ALPHA = 0.3  # additive smoothing of the naive Bayes bags
NB_PRIOR = 0.5  # weight of log P(department) (from the routed questions) in naive Bayes
NB_SHARE = 0.7  # share of the naive Bayes probability in the final confidence
TEMPERATURE_NB = 2.0  # softmax temperature of the naive Bayes log-likelihood ratios
EVIDENCE_FULL = 10.0  # IDF mass of known features under which confidence shrinks to uniform


class Router:
    """Department ranking from the catalogue and moderators' past decisions.

    Two scorers over the same folded unigram+bigram features, both updated incrementally by
    :meth:`learn` (O(features)):

    * *evidence*: per department a bag of the catalogue (name, short name, description once,
      keywords ``KEYWORD_WEIGHT`` times) plus the routed questions; a question scores
      ``sum idf(f) * tf / (tf + alpha)`` over its features (saturated, so a department with many
      examples does not win on common words);
    * *naive Bayes*: multinomial, catalogue counted ``NB_CATALOGUE_WEIGHT`` times, additive
      smoothing ``NB_ALPHA``, each feature's log-likelihood ratio weighted by its IDF across
      departments, plus ``NB_PRIOR`` * log P(department) learned from the routed questions.

    Each is turned into probabilities with a softmax (``temperature`` and ``TEMPERATURE_NB``) and
    the confidence is ``(1 - NB_SHARE) * evidence + NB_SHARE * naive Bayes``, shrunk towards
    uniform when the IDF mass of the question's known features is below ``EVIDENCE_FULL``.  With no history the
    naive Bayes bags are the catalogue alone, so the learned part grows with the examples.
    :meth:`route` returns ``None`` ("needs a human") below :attr:`floor`."""

    def __init__(
        self, codes: Iterable[str] = (), *, floor: float = 0.35, alpha: float = 2.0, temperature: float = 2.0
    ) -> None:
        self.floor = floor
        self.alpha = alpha
        self.temperature = temperature
        self._counts: dict[str, dict[str, float]] = {}  # evidence bags (catalogue + learned)
        self._nb: dict[str, dict[str, float]] = {}  # naive Bayes bags
        self._nb_total: dict[str, float] = {}
        self._nb_all: dict[str, float] = {}  # feature -> count over all bags
        self._nb_sum = 0.0
        self._df: dict[str, int] = {}  # feature -> departments having it
        self._examples: dict[str, int] = {}  # department -> routed questions
        self.mentions = MentionFinder()  # bodies named in a question (see moderation.mentions)
        for code in codes:
            self._ensure(code)

    @classmethod
    def from_catalogue(cls, departments: Iterable[Mapping[str, Any]], **kwargs: Any) -> Router:
        """Build from a list of department dicts as in ``departments.json`` (``code``, ``name``,
        ``short``, ``description``, ``keywords``)."""
        router = cls(**kwargs)
        departments = list(departments)
        for dep in departments:
            code = str(dep["code"])
            router._ensure(code)
            phrases = [(str(dep[f]), NAME_WEIGHT) for f in ("name", "short") if dep.get(f)]
            # a description lists functions, procedures and situations: its phrases are kept
            # apart, so that no bigram runs from one to the next
            phrases += [(p, DESCRIPTION_WEIGHT) for p in _PHRASE_END.split(str(dep.get("description") or ""))]
            for kw in dep.get("keywords", ()) or ():
                phrases.append((str(kw), NAME_WEIGHT if institution_name(str(kw)) else KEYWORD_WEIGHT))
            for phrase, weight in phrases:
                feats = features(phrase, courtesies=False)
                if feats:
                    router._add(code, feats, weight, NB_CATALOGUE_WEIGHT * weight)
        router.mentions = MentionFinder.from_catalogue(departments)
        return router

    @property
    def codes(self) -> list[str]:
        """Known department codes."""
        return list(self._counts)

    def _ensure(self, code: str) -> dict[str, float]:
        if code not in self._counts:
            self._counts[code] = {}
            self._nb[code] = {}
            self._nb_total[code] = 0.0
            self._examples[code] = 0
        return self._counts[code]

    def _add(self, code: str, feats: list[str], weight: float, nb_weight: float) -> None:
        counts = self._ensure(code)
        nb, nb_all = self._nb[code], self._nb_all
        for f in feats:
            if f not in counts:
                self._df[f] = self._df.get(f, 0) + 1
            counts[f] = counts.get(f, 0.0) + weight
            nb[f] = nb.get(f, 0.0) + nb_weight
            nb_all[f] = nb_all.get(f, 0.0) + nb_weight
        self._nb_total[code] += nb_weight * len(feats)
        self._nb_sum += nb_weight * len(feats)

    def learn(self, text: str, department_code: str) -> None:
        """Record a moderator's routing decision (adds the text's features to the department)."""
        # binary per question: a word repeated in one question is not more evidence
        self._add(department_code, list(dict.fromkeys(features(text))), LEARN_WEIGHT, LEARN_WEIGHT)
        self._examples[department_code] += 1

    def _scores(self, feats: set[str]) -> tuple[dict[str, float], dict[str, float], float]:
        """(evidence, naive Bayes) scores per department for a question's feature set, and the
        IDF mass of its known features."""
        n_dep = len(self._counts) or 1
        idf = {f: math.log((n_dep + 1) / (self._df[f] + 0.5)) for f in feats if f in self._df}
        k = self.alpha
        a = NB_ALPHA
        vocab = len(self._nb_all) or 1
        log = math.log
        background = {f: log((self._nb_all[f] + a) / (self._nb_sum + a * vocab)) for f in idf}
        n_ex = sum(self._examples.values())
        evidence: dict[str, float] = {}
        bayes: dict[str, float] = {}
        for code, counts in self._counts.items():
            s = 0.0
            for f, w in idf.items():
                tf = counts.get(f)
                if tf:
                    s += w * tf / (tf + k)
            evidence[code] = s
            nb = self._nb[code]
            denom = log(self._nb_total[code] + a * vocab)
            b = sum(w * (log(nb.get(f, 0.0) + a) - denom - background[f]) for f, w in idf.items())
            bayes[code] = b + NB_PRIOR * log((self._examples[code] + 1) / (n_ex + n_dep))
        return evidence, bayes, sum(idf.values())

    @staticmethod
    def _softmax(scores: dict[str, float], temperature: float) -> dict[str, float]:
        top = max(scores.values())
        exps = {c: math.exp((s - top) / temperature) for c, s in scores.items()}
        total = sum(exps.values())
        return {c: e / total for c, e in exps.items()}

    def rank(self, text: str, limit: int = 3, *, mentions: bool = True) -> list[Route]:
        """Departments for ``text``, best first, with confidences 0-1 (summing to 1 over all).

        ``mentions=False`` ignores the bodies the text names (to measure what they add)."""
        if not self._counts:
            return []
        evidence, bayes, mass = self._scores(set(features(text)))
        pe = self._softmax(evidence, self.temperature)
        pb = self._softmax(bayes, TEMPERATURE_NB)
        # little known vocabulary (greetings only, off-topic words): shrink towards uniform
        cov = min(1.0, mass / EVIDENCE_FULL)
        uniform = (1.0 - cov) / len(pe)
        probs = {c: cov * ((1 - NB_SHARE) * pe[c] + NB_SHARE * pb[c]) + uniform for c in pe}
        if mentions:
            probs = self._mentioned(text, probs)
        ranked = sorted(probs.items(), key=lambda kv: -kv[1])
        return [Route(c, round(p, 4)) for c, p in ranked[:limit]]

    def _mentioned(self, text: str, probs: dict[str, float]) -> dict[str, float]:
        """``probs`` with the bodies named in ``text`` made more likely (``MENTION_BOOST``)."""
        boost: dict[str, float] = {}
        for m in self.mentions.find(text):
            for c in m.codes & probs.keys():
                boost[c] = max(boost.get(c, 0.0), MENTION_BOOST[m.kind])
        if not any(boost.values()):
            return probs
        probs = {c: p * math.exp(boost.get(c, 0.0)) for c, p in probs.items()}
        total = sum(probs.values())
        return {c: p / total for c, p in probs.items()}

    def route(self, text: str) -> str | None:
        """The best department, or None when its confidence is below :attr:`floor`."""
        ranked = self.rank(text, limit=1)
        if not ranked or ranked[0].confidence < self.floor:
            return None
        return ranked[0].code
