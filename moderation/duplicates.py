"""Incremental duplicate index for citizen questions.

Pipeline per text: :func:`moderation.text.match_pair` (PII, greetings, signatures and fillers
removed, telex repaired, abbreviations expanded; memoised per token) -> folded tokens without stop
words -> features:

* blocking features: word unigrams, word bigrams and in-word character trigrams, integer ids with
  int32 posting arrays.  A query counts (``collections.Counter``, in C) the postings of its rarest
  features under ``POSTINGS_BUDGET``, each list repeated 1-4 times by IDF; features in more than
  ``MAX_DF_SHARE`` of the documents are skipped; the ``POOL`` best-counted documents are scored;
* scoring: a blend of ``rapidfuzz`` ``token_set_ratio`` on the folded keys (on the accented keys
  too when both texts carry diacritics) and the IDF-weighted cosine of the character trigrams
  (document norms cached); candidates are scored in decreasing cosine and scoring stops when the
  cosine bound cannot reach the current 5th best (exact pruning);
* penalties for conflicting distinguishing features: numbers (years, route numbers, amounts,
  other numbers), places (ward/commune/district/street names) and intents (how long vs which
  documents vs where vs how much).
"""

from __future__ import annotations

import heapq
import math
import re
from array import array
from collections import Counter
from collections.abc import Container, Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import chain, compress, islice, pairwise, repeat
from operator import itemgetter

from rapidfuzz import fuzz

from .qualifiers import conflicting, qualifiers_of_words
from .text import BASE_STOP_WORDS, _hint, fold_char_table, match_pair

__all__ = ["DuplicateIndex", "Match", "Prepared", "StreamClusters", "known_place_spans", "prepare", "similarity"]


@dataclass(frozen=True, slots=True)
class Match:
    """A duplicate candidate: the key of an indexed question and a score 0-100."""

    key: Hashable
    score: float


# ----------------------------------------------------------------------------- features

_FOLD = fold_char_table()
_STOP = BASE_STOP_WORDS | frozenset("ak dum".split())
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_Y_FINAL = re.compile(r"^([bcdghklmnprstvx]+)y$")

_INTENTS: dict[str, re.Pattern[str]] = {
    "duration": re.compile(
        r"\b(?:bao lau|may ngay|bao nhieu ngay|mat may|thoi gian (?:giai quyet|cap|xu ly|lam)|"
        r"thoi han|bao gio (?:thi )?(?:co|nhan|xong)|khi nao (?:thi )?(?:co|nhan|xong)|"
        r"trong vong bao|lau khong|may thang thi|het bao nhieu ngay|mat bao nhieu ngay)\b"
    ),
    "documents": re.compile(
        r"\b(?:giay to (?:gi|nao|can)|ho so (?:gom|gi|can|nhu the nao|ra sao)|can (?:mang|chuan bi|nhung|giay)|"
        r"gom nhung gi|can nhung gi|nhung giay to|thanh phan ho so|chuan bi (?:ho so|giay))\b"
    ),
    "where": re.compile(
        r"\b(?:o dau|noi nao|co quan nao|o phuong hay|lam o dau|nop o dau|gui (?:den|di|toi) dau|"
        r"dau de|bao (?:cho )?ai|xem o dau|tai dau)\b"
    ),
    "cost": re.compile(
        r"\b(?:bao nhieu tien|le phi|phi bao nhieu|ton phi|mat phi|chi phi|muc phi|het bao nhieu tien|"
        r"dong phi|ton bao nhieu|tien phi|mien phi)\b"
    ),
}

# literal substrings without which an intent pattern cannot match (a cheap test before the search)
_INTENT_HINTS: dict[str, tuple[str, ...]] = {
    "duration": ("lau", "ngay", "mat may", "thoi ", "bao gio", "khi nao", "trong vong", "may thang"),
    "documents": ("giay", "ho so", "can ", "gom nhung", "chuan bi"),
    "where": ("dau", "noi nao", "co quan nao", "o phuong hay", "bao ai", "bao cho ai"),
    "cost": ("tien", "phi", "ton bao"),
}
_DIGIT = re.compile(r"\d")
_AMOUNT = re.compile(r"\b(\d+(?:[.,]\d+)*)\s*(?:trieu|nghin|ngan|dong|d|k|ty|%|phan tram|usd|m2|met)\b")
_ROUTE = re.compile(r"\b(?:tuyen|buyt|xe buyt so|tuyen so|quoc lo|ql|tinh lo|km)\s*(?:so\s*)?(\d+[a-z]?)\b")
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_NUMBER = re.compile(r"\b\d+\b")
_PLACE_STOP = frozenset(
    [
        "thi",
        "ma",
        "la",
        "va",
        "voi",
        "cua",
        "cac",
        "nhung",
        "nay",
        "em",
        "toi",
        "minh",
        "co",
        "khong",
        "bi",
        "roi",
        "o",
        "gan",
        "tren",
        "duoi",
        "truoc",
        "sau",
        "moi",
        "cu",
        "nao",
        "hay",
        "hoac",
        "de",
        "thuoc",
        "ngoai",
        "noi",
        "dang",
        "da",
        "se",
        "cung",
        "khac",
        "ve",
        "tai",
        "nhung",
        "bi",
        "nen",
    ]
)


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    data = resources.files("moderation").joinpath("data/places.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in data.splitlines() if line.strip() and not line.startswith("#"))


@dataclass(frozen=True, slots=True)
class Prepared:
    """A text prepared for matching."""

    key: str  # folded, stop words removed
    akey: str  # accented tokens (same positions), for accent-aware scoring
    accented: bool  # the text was typed with diacritics
    words: tuple[str, ...]  # unigram + bigram features
    grams: tuple[str, ...]  # character trigram features
    numbers: frozenset[tuple[str, str]]
    places: frozenset[str]
    intents: frozenset[str]
    qualifiers: frozenset[tuple[str, str]] = frozenset()  # (class, value), see moderation.qualifiers


_PLACE_KINDS = {"phuong", "xa", "quan", "huyen", "duong", "ap"}
_PLACE_KINDS_2 = {("thi", "tran"): "thi tran", ("khu", "pho"): "khu pho", ("dac", "khu"): "dac khu"}


def _place_kind(words: list[str], i: int) -> tuple[str, int] | None:
    """The place prefix starting at ``words[i]`` and its length in words, if any."""
    pair = _PLACE_KINDS_2.get((words[i], words[i + 1])) if i + 1 < len(words) else None
    if pair is not None:
        return pair, 2
    w = words[i]
    if w in _PLACE_KINDS and not (w == "xa" and i + 1 < len(words) and words[i + 1] == "lo"):  # xa lộ: a road
        return w, 1
    return None


def known_place_spans(words: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each named place among folded ``words``: a place word (phường, xã, đường
    ...) and the known name or number after it ("phuong ban co", "xa can gio", "phuong 12")."""
    known = _places()
    spans = []
    i = 0
    while i < len(words):
        found = _place_kind(words, i)
        if found is None:
            i += 1
            continue
        start = i + found[1]
        size = next(
            (n for n in (4, 3, 2, 1) if start + n <= len(words) and " ".join(words[start : start + n]) in known), 0
        )
        if not size and start < len(words) and words[start].isdigit():
            size = 1
        if size:
            spans.append((i, start + size))
            i = start + size
        else:
            i += 1
    return spans


def _extract_places(folded: str) -> set[str]:
    """Named places: "duong <name>" for streets, the bare name for wards, communes, districts...

    A name runs for at most four words; after two words the next place prefix ends it ("đường
    Âu Cơ phường Gò Vấp" names both, "Kinh Dương Vương" stays whole); an unknown street name stops
    at a function word."""
    out: set[str] = set()
    for clause in _CLAUSE.split(folded):  # a name never runs over punctuation
        _extract_clause_places(_TOKEN.findall(clause), out)
    return out


_CLAUSE = re.compile(r"[.,;:!?()\[\]\n\-–]")


def _extract_clause_places(words: list[str], out: set[str]) -> None:
    known = _places()
    i = 0
    while i < len(words):
        found = _place_kind(words, i)
        if found is None:
            i += 1
            continue
        kind, width = found
        start = i = i + width
        if start < len(words) and words[start].isdigit():
            out.add(f"{kind} {words[start]}")
            i = start + 1
            continue
        rest: list[str] = []
        while start + len(rest) < len(words) and len(rest) < 4:
            if len(rest) >= 2 and _place_kind(words, start + len(rest)) is not None:
                break
            rest.append(words[start + len(rest)])
        name = next((rest[:n] for n in range(len(rest), 0, -1) if " ".join(rest[:n]) in known), None)
        # Only a street may be unknown: wards, communes and districts are all listed, and the
        # same words start "xã hội", "quan tâm", "phương tiện"...
        if name is None and kind == "duong":
            name = []
            for w in rest:
                # a street's second word may look like a function word (Âu Cơ, Cô Giang)
                if (w in _PLACE_STOP or w in _STOP) and not (kind == "duong" and len(name) == 1):
                    break
                name.append(w)
            name = name[:4] if len(name) >= 2 else None
        if name:
            out.add(" ".join(name) if kind != "duong" else "duong " + " ".join(name))
            i = start + len(name)


_TOKEN_CACHE: dict[str, tuple[str, str, bool, bool, tuple[str, ...]]] = {}
_TOKEN_CACHE_MAX = 200_000


def _token_info(tok: str) -> tuple[str, str, bool, bool, tuple[str, ...]]:
    """(folded, folded with final ``y`` -> ``i``, accented?, stop word?, character trigrams) of one
    canonical token, memoised: Vietnamese has a small vocabulary, so this is a dict lookup."""
    info = _TOKEN_CACHE.get(tok)
    if info is None:
        f = tok.translate(_FOLD)
        stop = f in _STOP
        fy = f if stop else _Y_FINAL.sub(r"\1i", f)
        grams: tuple[str, ...] = ()
        if len(fy) >= 3 and not fy.isdigit():
            p = f"#{fy}#"
            grams = tuple(p[i : i + 3] for i in range(len(p) - 2))
        info = (f, fy, f != tok, stop, grams)
        if len(_TOKEN_CACHE) >= _TOKEN_CACHE_MAX:
            _TOKEN_CACHE.clear()
        _TOKEN_CACHE[tok] = info
    return info


def prepare(text: str, fillers: Iterable[str] = ()) -> Prepared:
    """Prepare ``text`` for matching (see the module docstring)."""
    canon, folded = match_pair(text, fillers)
    raw_tokens = _TOKEN.findall(canon)
    cache = _TOKEN_CACHE
    infos = [cache.get(t) or _token_info(t) for t in raw_tokens]
    accented_tokens = sum(info[2] for info in infos)
    kept_a = [t for t, info in zip(raw_tokens, infos, strict=True) if not info[3]]
    if kept_a:
        kept_f = [info[1] for info in infos if not info[3]]
        by_word = {info[1]: info[4] for info in infos if not info[3]}  # first-occurrence order
        uniq = list(by_word)
        grams = list(chain.from_iterable(by_word.values()))
    else:  # only stop words: keep them all (folded, no y -> i)
        kept_a = raw_tokens
        kept_f = [info[0] for info in infos]
        uniq = list(dict.fromkeys(kept_f))
        grams = []
        for w in uniq:
            if len(w) >= 3 and not w.isdigit():
                p = f"#{w}#"
                grams.extend(p[i : i + 3] for i in range(len(p) - 2))
    words = uniq + [f"{a} {b}" for a, b in pairwise(kept_f)]
    numbers: set[tuple[str, str]] = set()
    if _DIGIT.search(folded):
        for m in _YEAR.finditer(folded):
            numbers.add(("year", m.group(1)))
        for m in _ROUTE.finditer(folded):
            numbers.add(("route", m.group(1)))
        for m in _AMOUNT.finditer(folded):
            numbers.add(("amount", re.sub(r"[.,]", "", m.group(1))))
        typed = {v for _, v in numbers}
        for m in _NUMBER.finditer(folded):
            if m.group(0) not in typed:
                numbers.add(("num", m.group(0)))
    intents = {name for name, pat in _INTENTS.items() if _hint(folded, _INTENT_HINTS[name]) and pat.search(folded)}
    return Prepared(
        key=" ".join(kept_f),
        akey=" ".join(kept_a),
        accented=bool(raw_tokens) and accented_tokens >= 0.3 * len(raw_tokens),
        words=tuple(dict.fromkeys(words)),
        grams=tuple(dict.fromkeys(grams)),
        numbers=frozenset(numbers),
        places=frozenset(_extract_places(folded)),
        intents=frozenset(intents),
        qualifiers=qualifiers_of_words([info[0] for info in infos]),
    )


# ----------------------------------------------------------------------------- scoring

_CONTRAST_INTENTS = frozenset({"duration", "documents", "where", "cost"})
_EMPTY: frozenset = frozenset()
PENALTY_HARD = 20.0  # different place, year/route/amount, or intent
CAP_HARD = 50.0  # ... and the score never exceeds this (never an automatic merge)
PENALTY_NUMBER = 10.0  # other numbers, none in common
CAP_NUMBER = 58.0
PENALTY_NUMBER_PARTIAL = 4.0  # some numbers in common, some not


def conflicts(a: Prepared, b: Prepared) -> list[str]:
    """Names of the distinguishing features on which ``a`` and ``b`` disagree."""
    out: list[str] = []
    if a.places and b.places and any(x and y and x.isdisjoint(y) for x, y in zip(_split(a), _split(b), strict=True)):
        out.append("place")
    ia, ib = a.intents & _CONTRAST_INTENTS, b.intents & _CONTRAST_INTENTS
    if ia and ib and not (ia & ib):
        out.append("intent")
    if conflicting(a.qualifiers, b.qualifiers):
        out.append("qualifier")
    if a.numbers and b.numbers:
        for kind in ("year", "route", "amount"):
            va = {v for k, v in a.numbers if k == kind}
            vb = {v for k, v in b.numbers if k == kind}
            if va and vb and not (va & vb):
                out.append(kind)
        va = {v for _, v in a.numbers}
        vb = {v for _, v in b.numbers}
        if not (va & vb):
            out.append("number")
        elif va != vb:
            out.append("number_partial")
    return out


def _adjust(raw: float, a: Prepared, b: Prepared) -> float:
    found = conflicts(a, b) if (a.places or a.intents or a.numbers or a.qualifiers) else []
    score = raw
    if not found:
        return score
    if any(c in ("place", "intent", "qualifier", "year", "route", "amount") for c in found):
        return max(0.0, min(score - PENALTY_HARD, CAP_HARD))
    if "number" in found:
        return max(0.0, min(score - PENALTY_NUMBER, CAP_NUMBER))
    return max(0.0, score - PENALTY_NUMBER_PARTIAL)


def _split(p: Prepared) -> tuple[frozenset[str], frozenset[str]]:
    """(streets, other places): the same street in two wards, or two streets in one ward, differ."""
    streets = frozenset(x for x in p.places if x.startswith("duong "))
    return streets, p.places - streets


View = tuple  # (streets, other places, contrast intents, years, routes, amounts, all numbers): frozensets


def view(p: Prepared) -> View:
    """The distinguishing features of ``p`` in the form :func:`_adjust_view` compares."""
    nums = p.numbers

    def kind(k: str) -> frozenset[str]:
        return frozenset(v for t, v in nums if t == k) if nums else _EMPTY

    return (
        *_split(p),
        p.intents & _CONTRAST_INTENTS,
        kind("year"),
        kind("route"),
        kind("amount"),
        frozenset(v for _, v in nums) if nums else _EMPTY,
    )


def _adjust_view(score: float, a: View, b: View) -> float:
    """:func:`_adjust` on precomputed views (same result, no sets built per pair)."""
    for x, y in zip(a[:6], b[:6], strict=True):
        if x and y and x.isdisjoint(y):
            return max(0.0, min(score - PENALTY_HARD, CAP_HARD))
    na, nb = a[6], b[6]
    if na and nb:
        if na.isdisjoint(nb):
            return max(0.0, min(score - PENALTY_NUMBER, CAP_NUMBER))
        if na != nb:
            return max(0.0, score - PENALTY_NUMBER_PARTIAL)
    return score


def _adjust_doc(score: float, qv: View | None, dv: View | None, opposed: bool) -> float:
    """:func:`_adjust` for a query and an indexed document: their views (None when empty) and
    whether their qualifiers oppose (kept apart from the views: most documents have none)."""
    if opposed:
        return max(0.0, min(score - PENALTY_HARD, CAP_HARD))
    if qv is not None and dv is not None:
        return _adjust_view(score, qv, dv)
    return score


def _base(a: Prepared, b: Prepared) -> float:
    """rapidfuzz part: token_set_ratio on the folded keys, averaged with the accented keys when
    both texts carry diacritics (``dính`` and ``Định`` differ there)."""
    s = fuzz.token_set_ratio(a.key, b.key)
    if a.accented and b.accented:
        s = 0.5 * (s + fuzz.token_set_ratio(a.akey, b.akey))
    return s


W_GRAMS = 0.6


def _combine(base: float, gram_cos: float) -> float:
    return max(0.0, min(100.0, W_GRAMS * 100.0 * gram_cos + (1 - W_GRAMS) * base))


def _cos(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / math.sqrt(len(sa) * len(sb)) if sa and sb else 0.0


def similarity(a: str | Prepared, b: str | Prepared) -> float:
    """Duplicate score 0-100 of two texts with the formula of :class:`DuplicateIndex` but
    uniform feature weights (no corpus statistics)."""
    pa = a if isinstance(a, Prepared) else prepare(a)
    pb = b if isinstance(b, Prepared) else prepare(b)
    return round(_adjust(_combine(_base(pa, pb), _cos(pa.grams, pb.grams)), pa, pb), 2)


# ----------------------------------------------------------------------------- index

POOL = 64  # candidates (best blocking scores) scored with rapidfuzz
POSTINGS_BUDGET = 6000  # posting entries scanned per query, rarest features first (8000: same top-5 recall at 100k)
MAX_DF_SHARE = 0.05  # features in more than this share of the documents are not scanned
_MIN_DF_CAP = 400  # ... unless their document frequency is below this
_GRAM_WEIGHT = 0.35  # blocking weight of a character trigram relative to a word feature
_WEIGHT_UNIT = 4.0  # blocking: a posting list is counted round(weight / unit) times (1-4)
_IDF_REFRESH = 0.05  # cosine IDF table and document norms are refreshed at 5 % growth


class _Doc:
    """What the index keeps of a prepared text: the scoring keys, feature ids and the
    distinguishing features (shared frozensets)."""

    __slots__ = ("accented", "akey", "feats", "grams", "key", "key_", "qualifiers", "view")

    def __init__(
        self, key_: Hashable, p: Prepared, grams: tuple[int, ...], feats: tuple[int, ...], intern: dict
    ) -> None:
        self.key_ = key_
        self.key = p.key
        self.akey = p.akey if p.accented else ""
        self.accented = p.accented
        self.grams = grams
        self.feats = feats
        v = view(p)
        self.view = intern.setdefault(v, v) if any(v) else None
        self.qualifiers = p.qualifiers  # shared frozensets (see moderation.qualifiers)


class DuplicateIndex:
    """Incremental index of questions for duplicate suggestions and automatic merges.

    ``auto_merge_threshold`` and ``suggest_threshold`` (0-100) are plain attributes.
    ``filler_phrases`` (episode-specific, set by moderators) are ignored for matching; change them
    with :meth:`set_filler_phrases` (re-prepares every indexed text).

    Layout: every feature (word unigram/bigram, ``"\\x00"`` + character trigram) gets an integer
    id; postings are lists of document ids per feature id.  A query scans the postings of its
    rarest features (at most ``POSTINGS_BUDGET`` entries, features in more than ``MAX_DF_SHARE``
    of the documents skipped: their IDF is near zero), keeps the ``POOL`` best documents by
    IDF-weighted overlap and scores those with rapidfuzz and the trigram cosine (document norms
    cached, refreshed when the index has grown by 5 %)."""

    def __init__(
        self, auto_merge_threshold: float = 58.0, suggest_threshold: float = 35.0, filler_phrases: Iterable[str] = ()
    ) -> None:
        self.auto_merge_threshold = float(auto_merge_threshold)
        self.suggest_threshold = float(suggest_threshold)
        self._fillers: tuple[str, ...] = tuple(filler_phrases)
        self._reset()

    def _reset(self) -> None:
        self._texts: dict[Hashable, str] = {}
        self._iid: dict[Hashable, int] = {}
        self._docs: list[_Doc | None] = []
        self._fid: dict[str, int] = {}
        self._post: list[array[int]] = []  # int32 arrays: compact, and counted without
        # chasing one int object per entry (~30 % faster blocking at 100k)
        self._df: list[int] = []
        self._intern: dict[frozenset, frozenset] = {}
        self._stale = 0
        self._idf_n = 0
        self._idf2: dict[int, float] = {}
        self._norms: dict[int, float] = {}

    # -- container protocol
    def __len__(self) -> int:
        return len(self._texts)

    def __contains__(self, key: object) -> bool:
        return key in self._texts

    @property
    def filler_phrases(self) -> tuple[str, ...]:
        """The episode's filler phrases."""
        return self._fillers

    def set_filler_phrases(self, phrases: Iterable[str]) -> None:
        """Replace the filler phrases and re-prepare every indexed text."""
        self._fillers = tuple(phrases)
        texts = list(self._texts.items())
        self._reset()
        for key, text in texts:
            self.add(key, text)

    def prepare(self, text: str) -> Prepared:
        """:func:`prepare` with this index's filler phrases."""
        return prepare(text, self._fillers)

    # -- updates
    def _feature_ids(self, names: Iterable[str]) -> list[int]:
        fid, post, df = self._fid, self._post, self._df
        out = []
        for name in names:
            i = fid.get(name)
            if i is None:
                i = fid[name] = len(post)
                post.append(array("i"))
                df.append(0)
            out.append(i)
        return out

    def add(self, key: Hashable, text: str, prepared: Prepared | None = None) -> None:
        """Index ``text`` under ``key`` (replaces an existing entry with the same key).

        ``prepared`` is ``self.prepare(text)`` when the caller already has it (a query just made
        with the same text): preparing is most of the cost of adding."""
        if key in self._texts:
            self.remove(key)
        prep = prepared if prepared is not None else self.prepare(text)
        iid = len(self._docs)
        words = self._feature_ids(prep.words)
        grams = self._feature_ids(["\x00" + g for g in prep.grams])
        feats = (*words, *grams)
        self._docs.append(_Doc(key, prep, tuple(grams), feats, self._intern))
        self._texts[key] = text
        self._iid[key] = iid
        post, df = self._post, self._df
        for f in feats:
            post[f].append(iid)
            df[f] += 1

    def rekey(self, old: Hashable, new: Hashable) -> None:
        """Give the entry ``old`` the key ``new`` without re-indexing it (KeyError if ``old`` is
        absent or ``new`` is taken): a question indexed under a provisional key before it had
        its database id."""
        if new in self._texts:
            raise KeyError(new)
        self._texts[new] = self._texts.pop(old)
        iid = self._iid[new] = self._iid.pop(old)
        doc = self._docs[iid]
        assert doc is not None
        doc.key_ = new

    def remove(self, key: Hashable) -> None:
        """Remove ``key`` from the index (KeyError if absent)."""
        del self._texts[key]
        iid = self._iid.pop(key)
        doc = self._docs[iid]
        self._docs[iid] = None
        self._norms.pop(iid, None)
        df = self._df
        for f in doc.feats:  # type: ignore[union-attr]
            df[f] -= 1
            if df[f] == 0:
                self._post[f] = array("i")
        self._stale += 1
        if self._stale > 1000 and self._stale > len(self._texts):
            self._compact()

    def _compact(self) -> None:
        docs = self._docs
        for f, lst in enumerate(self._post):
            if lst:
                self._post[f] = array("i", [i for i in lst if docs[i] is not None])
        self._stale = 0

    # -- queries
    def _refresh_idf(self) -> None:
        """Trigram IDF (squared, for the cosine) and document norms are cached until the index
        size changes by more than 5 %."""
        n = len(self._texts)
        if self._idf_n == 0 or abs(n - self._idf_n) > _IDF_REFRESH * self._idf_n:
            self._idf2 = {}
            self._norms = {}
            self._idf_n = max(n, 1)

    def _idf2_of(self, fids: Iterable[int]) -> list[float]:
        cache, df = self._idf2, self._df
        log_n = math.log(self._idf_n + 1)
        out = []
        for f in fids:
            v = cache.get(f)
            if v is None:
                v = cache[f] = (log_n - math.log(df[f] + 0.5) + 0.5) ** 2
            out.append(v)
        return out

    def candidates(self, text: str | Prepared, limit: int = 5, exclude: Iterable[Hashable] = ()) -> list[Match]:
        """Best earlier questions for ``text``: at most ``limit`` :class:`Match` es with
        ``score >= suggest_threshold``, best first; keys in ``exclude`` are skipped.

        ``text`` may be already prepared with :meth:`prepare` (to add it afterwards at no cost)."""
        if not self._texts or limit <= 0:
            return []
        q = text if isinstance(text, Prepared) else self.prepare(text)
        return self._candidates(q, limit, set(exclude))

    def _pool(self, q: Prepared) -> list[int]:
        """Document ids with the best IDF-weighted feature overlap with ``q``.

        The postings of the rarest features (within ``POSTINGS_BUDGET``) are counted in C
        (``Counter`` over a chain of lists); a feature's weight is approximated by repeating its
        list 1-4 times (IDF / _WEIGHT_UNIT, rounded).  The ``POOL`` best-counted documents are kept."""
        fid, df, post = self._fid, self._df, self._post
        n_docs = len(self._texts) + 1
        cap = max(_MIN_DF_CAP, MAX_DF_SHARE * n_docs)
        feats: list[tuple[int, int, float]] = []
        log = math.log
        for names, weight in ((q.words, 1.0), (("\x00" + g for g in q.grams), _GRAM_WEIGHT)):
            for name in names:
                f = fid.get(name)
                if f is not None:
                    d = df[f]
                    if 0 < d <= cap:
                        feats.append((len(post[f]), f, weight * (log(n_docs / (d + 0.5)) + 0.5)))
        feats.sort()
        lists: list[array[int]] = []
        budget = POSTINGS_BUDGET
        for size, f, w in feats:
            if size > budget:
                break
            budget -= size
            lists.extend(repeat(post[f], min(4, max(1, round(w / _WEIGHT_UNIT)))))
        if not lists:
            return []
        counts: dict[int, int] = Counter(chain.from_iterable(lists))
        if self._stale:
            # removed documents stay in the postings until the next compaction: they must not take
            # the places of live ones in the pool (selected in C, like the rest of the blocking)
            live = list(map(self._docs.__getitem__, counts))
            counts = dict(zip(compress(counts, live), compress(counts.values(), live), strict=True))
        if len(counts) <= POOL:
            return list(counts)
        # smallest count t with at least POOL documents counted >= t
        levels = sorted(Counter(counts.values()).items(), reverse=True)
        seen = 0
        t = levels[-1][0]
        for level, n in levels:
            seen += n
            if seen >= POOL:
                t = level
                break
        # itertools.compress keeps the selection in C
        above = list(compress(counts, map(t.__lt__, counts.values())))
        if len(above) < POOL:
            at = compress(counts, map(t.__eq__, counts.values()))
            above.extend(islice(at, POOL - len(above)))
        return above

    def _score_ids(
        self,
        q: Prepared,
        iids: Iterable[int],
        exclude: Container[Hashable] = frozenset(),
        limit: int = 0,
        threshold: float = 0.0,
    ) -> list[tuple[float, _Doc]]:
        """(score, document) for the documents ``iids`` (removed and excluded ones skipped).

        With ``limit``, documents are scored in decreasing trigram cosine and scoring stops when
        even a perfect rapidfuzz score (and no penalty) could not reach the ``limit``-th best
        score found or ``threshold``: exact pruning, since the score is
        ``W_GRAMS * 100 * cos + (1 - W_GRAMS) * rapidfuzz`` minus penalties."""
        self._refresh_idf()
        docs, norms, fid = self._docs, self._norms, self._fid
        qids = {f for g in q.grams if (f := fid.get("\x00" + g)) is not None}
        qidf2 = dict(zip(qids, self._idf2_of(qids), strict=True))
        # unseen trigrams count in the query norm with the IDF of a document frequency of 0
        unseen = len(set(q.grams)) - len(qids)
        qnorm = sum(qidf2.values()) + unseen * (math.log(self._idf_n + 1) - math.log(0.5) + 0.5) ** 2
        qnorm = qnorm or 1.0
        qv: View | None = view(q)
        if not any(qv):  # type: ignore[arg-type]
            qv = None
        cands = []
        sqrt, weight_of, shared_with = math.sqrt, qidf2.__getitem__, qids.intersection
        for iid in iids:
            d = docs[iid]
            if d is None or (exclude and d.key_ in exclude):
                continue
            dn = norms.get(iid)
            if dn is None:
                dn = norms[iid] = sum(self._idf2_of(d.grams))
            cands.append((sum(map(weight_of, shared_with(d.grams))) / sqrt(qnorm * dn) if dn else 0.0, iid, d))
        if limit:
            cands.sort(key=itemgetter(0), reverse=True)
        out: list[tuple[float, _Doc]] = []
        best: list[float] = []  # min-heap of the ``limit`` best scores
        rest = (1 - W_GRAMS) * 100.0
        token_set_ratio = fuzz.token_set_ratio
        both_accented = q.accented
        for cos, _, d in cands:
            views = qv is not None and d.view is not None
            opposed = bool(q.qualifiers) and bool(d.qualifiers) and conflicting(q.qualifiers, d.qualifiers)
            floor, full = 0.0, False
            if limit:
                # Once ``limit`` scores are in, a document that can at best tie the lowest of them
                # cannot enter the top: the earlier (higher-cosine) one keeps its place.
                full = len(best) >= limit
                floor = best[0] if full else threshold
                upper = W_GRAMS * 100.0 * cos + rest
                if upper < floor or (full and upper <= floor):
                    break
                # The penalties only lower a score (monotonically): a conflicting place, intent or
                # number can rule a document out before any rapidfuzz call.
                if views or opposed:
                    upper = _adjust_doc(upper, qv, d.view, opposed)
                    if upper < floor or (full and upper <= floor):
                        continue
            base = token_set_ratio(q.key, d.key)
            if both_accented and d.accented:
                if limit:
                    # the accented half can lift the average by (100 - base) / 2 at most
                    upper = _combine(0.5 * (base + 100.0), cos)
                    if views or opposed:
                        upper = _adjust_doc(upper, qv, d.view, opposed)
                    if upper < floor or (full and upper <= floor):
                        continue
                base = 0.5 * (base + token_set_ratio(q.akey, d.akey))
            score = _combine(base, cos)
            if views or opposed:
                score = _adjust_doc(score, qv, d.view, opposed)
            out.append((score, d))
            if limit:
                if len(best) < limit:
                    heapq.heappush(best, score)
                elif score > best[0]:
                    heapq.heapreplace(best, score)
        return out

    def score(self, text: str | Prepared, key: Hashable) -> float:
        """The score of ``text`` against the indexed question ``key`` (KeyError if absent), as
        :meth:`candidates` would give it, whatever the thresholds."""
        q = text if isinstance(text, Prepared) else self.prepare(text)
        scored = self._score_ids(q, [self._iid[key]])
        return round(scored[0][0], 2) if scored else 0.0

    def _candidates(self, q: Prepared, limit: int, exclude: set[Hashable]) -> list[Match]:
        pool = self._pool(q)
        if not pool:
            return []
        threshold = self.suggest_threshold
        scored = self._score_ids(q, pool, exclude, limit=limit, threshold=threshold)
        results = [Match(d.key_, round(score, 2)) for score, d in scored if score >= threshold]
        results.sort(key=lambda m: -m.score)
        return results[:limit]


# ----------------------------------------------------------------------------- clusters

GUARD_MARGIN = 5.0  # a new member must score at least auto_merge_threshold - this with every member


class StreamClusters:
    """Questions arriving one by one, each merged automatically into an earlier cluster or
    starting its own (what ``python -m moderation cluster`` and the quality evaluation do).

    A question joins the cluster of its best candidate scoring at least the index's
    ``auto_merge_threshold`` only if it also scores at least that minus ``GUARD_MARGIN`` with
    every member of the cluster, the first (its representative) included; otherwise the next
    candidate above the threshold is tried.  Without this guard a chain of near-identical
    variants (public school fees → fees → private school fees) ends in one cluster although its
    two ends ask different things.  The app's index holds one text per question (its
    representative), so there the rule is the plain threshold on the best match.

    Every question is indexed (members too: they help the next variant be found)."""

    def __init__(self, index: DuplicateIndex | None = None) -> None:
        self.index = index if index is not None else DuplicateIndex()
        self._cluster: dict[Hashable, Hashable] = {}
        self._members: dict[Hashable, list[Hashable]] = {}

    def cluster_of(self, key: Hashable) -> Hashable:
        """The cluster (its first question's key) of an added question."""
        return self._cluster[key]

    def add(self, key: Hashable, text: str, limit: int = 5) -> tuple[Hashable, list[Match]]:
        """Add a question: (its cluster, the candidates it was shown)."""
        index = self.index
        q = index.prepare(text)
        found = index.candidates(q, limit=limit)
        cluster = self.join_target(q, found)
        if cluster is None:
            cluster = key
        self._cluster[key] = cluster
        self._members.setdefault(cluster, []).append(key)
        index.add(key, text, q)
        return cluster, found

    def join_target(self, q: Prepared, found: Iterable[Match]) -> Hashable | None:
        """The cluster ``q`` merges into, given its candidates (best first), or None."""
        threshold = self.index.auto_merge_threshold
        floor = threshold - GUARD_MARGIN
        for m in found:
            if m.score < threshold:
                break
            cluster = self._cluster[m.key]
            others = [k for k in self._members[cluster] if k != m.key and k in self.index]
            if all(self.index.score(q, k) >= floor for k in others):
                return cluster
        return None
