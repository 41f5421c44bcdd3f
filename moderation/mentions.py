"""Bodies named in a question: "Kính gửi lãnh đạo Sở Y tế", "đề nghị Công an phường …", "Sở GTVT"
(an old name of a body merged into another).

A body's names are its catalogue name and short name, and those of its keywords that name an
institution: capitalised and headed by an institution word (``Sở …``, ``Công an …``, ``Chi cục …``,
``Văn phòng …``, ``Ủy ban …``).  Names and texts are compared on folded tokens, where "và" is
dropped, the city's name is dropped from the end of a name, ``UBND`` is spelt out, and runs of
vowel-less tokens are joined, so that ``Sở TN-MT``, ``Sở TN&MT`` and ``Sở TNMT`` are one name
(every Vietnamese syllable has a vowel: a vowel-less token is an abbreviation).

A mention is *addressed* when a request or greeting word comes just before it ("kính gửi", "đề
nghị", "nhờ" …) or ``ơi`` just after; an *alternative* when it is one side of a choice ("nộp ở
phường hay ở Sở Xây dựng?"); *plain* otherwise.  A one-word name that is not an abbreviation
(``Thuế TP`` → ``thuế``) counts only when addressed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .text import fold, normalize

__all__ = ["ADDRESSED", "ALTERNATIVE", "PLAIN", "Mention", "MentionFinder", "institution_name"]

ADDRESSED = "addressed"
PLAIN = "plain"
ALTERNATIVE = "alternative"

# words that start the name of an institution (accented, lower case)
_HEADS = (
    "sở",
    "công an",
    "cảnh sát",
    "ủy ban",
    "ubnd",
    "thanh tra",
    "bảo hiểm xã hội",
    "cục",
    "chi cục",
    "chi nhánh",
    "văn phòng",
    "phòng",
    "trung tâm",
    "trạm",
    "ban",
    "đội",
    "tổng công ty",
    "công ty",
    "tổng đài",
    "thuế",
    "cơ quan",
    "quản lý thị trường",
    "đoàn",
    "khu quản lý",
    "chủ tịch",
    "hội đồng",
)
_HEAD_RE = re.compile(r"^(?:" + "|".join(map(re.escape, _HEADS)) + r")\b")
_CITY_TAILS = (
    ("thanh", "pho", "ho", "chi", "minh"),
    ("tp", "ho", "chi", "minh"),
    ("tp", "hcm"),
    ("tphcm",),
    ("hcm",),
    ("thanh", "pho"),
    ("tp",),
)
_CLAUSE = re.compile(r"[.!?;:\n]+")
_TOKEN = re.compile(r"[a-z0-9]+")
_VOWEL = re.compile(r"[aeiouy]")
# folded words just before a name that make it the addressee of the question
# ("kính gửi", "kính thưa", "đề nghị", "kiến nghị", "yêu cầu", "nhờ", "mong", "xin"), up to four words
# before the name ("kính gửi quý lãnh đạo Sở …")
_CUES = frozenset(["gui", "thua", "nghi", "cau", "nho", "mong", "xin"])
_CHOICE = frozenset(["hay", "hoac"])


def institution_name(keyword: str) -> bool:
    """Does this catalogue keyword name an institution (``Sở GTVT``, ``Văn phòng Đăng ký đất
    đai``), rather than a topic (``tạm trú``, ``BHXH``)?"""
    keyword = keyword.strip()
    return bool(keyword) and keyword[0].isupper() and bool(_HEAD_RE.match(normalize(keyword)))


def _tokens(folded: str) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    for tok in _TOKEN.findall(folded):
        if tok == "va":
            continue
        if tok == "ubnd":
            out.extend(["uy", "ban", "nhan", "dan"])
            continue
        if tok.isalpha() and not _VOWEL.search(tok):
            run.append(tok)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(tok)
    if run:
        out.append("".join(run))
    return out


def _name_key(name: str) -> tuple[tuple[str, ...], bool]:
    """(folded tokens, whether it counts without an address cue) of a body's name."""
    toks = _tokens(fold(name))
    for tail in _CITY_TAILS:
        if len(toks) > len(tail) and tuple(toks[-len(tail) :]) == tail:
            toks = toks[: -len(tail)]
            break
    words = name.split()
    abbreviation = len(toks) == 1 and len(words) == 1 and sum(c.isupper() for c in words[0]) >= 2
    return tuple(toks), len(toks) >= 2 or abbreviation


@dataclass(frozen=True, slots=True)
class Mention:
    """A body named in a text: its codes (a former name may now belong to several), how it is
    named (:data:`ADDRESSED`, :data:`PLAIN`, :data:`ALTERNATIVE`) and the words matched."""

    codes: frozenset[str]
    kind: str
    words: str


class MentionFinder:
    """Finds the bodies a text names, from the catalogue's names, short names and keywords that
    name an institution."""

    def __init__(self) -> None:
        # first token -> [(tokens, codes, counts without a cue)], longest first
        self._names: dict[str, list[tuple[tuple[str, ...], set[str], bool]]] = {}

    @classmethod
    def from_catalogue(cls, departments: Iterable[Mapping[str, Any]]) -> MentionFinder:
        finder = cls()
        for dep in departments:
            code = str(dep["code"])
            names = [str(dep.get("name") or ""), str(dep.get("short") or "")]
            names += [str(k) for k in dep.get("keywords", ()) or () if institution_name(str(k))]
            for name in names:
                finder.add(name, code)
        return finder

    def add(self, name: str, code: str) -> None:
        """Teach the finder that ``name`` names the body ``code``."""
        toks, free = _name_key(name)
        if not toks:
            return
        entries = self._names.setdefault(toks[0], [])
        for i, (other, codes, other_free) in enumerate(entries):
            if other == toks:
                codes.add(code)
                entries[i] = (other, codes, other_free or free)
                return
        entries.append((toks, {code}, free))
        entries.sort(key=lambda e: -len(e[0]))

    def find(self, text: str) -> list[Mention]:
        """The mentions in ``text``, in order."""
        names = self._names
        if not names:
            return []
        out: list[Mention] = []
        for clause in _CLAUSE.split(fold(text)):
            toks = _tokens(clause)
            i = 0
            while i < len(toks):
                match = None
                for name, codes, free in names.get(toks[i], ()):
                    if tuple(toks[i : i + len(name)]) == name:
                        match = (name, codes, free)
                        break
                if match is None:
                    i += 1
                    continue
                name, codes, free = match
                end = i + len(name)
                kind = _kind(toks, i, end)
                if free or kind == ADDRESSED:
                    out.append(Mention(frozenset(codes), kind, " ".join(name)))
                i = end
        return out


def _kind(toks: list[str], start: int, end: int) -> str:
    if _CHOICE.intersection(toks[max(0, start - 2) : start]) or _CHOICE.intersection(toks[end : end + 2]):
        return ALTERNATIVE
    if _CUES.intersection(toks[max(0, start - 4) : start]) or toks[end : end + 1] == ["oi"]:
        return ADDRESSED
    return PLAIN
