"""Opposing qualifiers: words that make two otherwise identical administrative questions different
questions, because the answer depends on them (public or private school, landlord or tenant, a
first certificate or a replacement, ...).

Each *class* of opposition lists its values, each value a few folded phrases.  A text gets the set of
``(class, value)`` it mentions; two texts conflict when they mention the same class with no value in
common ("trường công lập" against "trường tư thục"), never when one of them mentions both sides
("công lập hay tư thục") or neither.  Phrases are searched longest first and what one phrase matched
is not matched again by a shorter one, so "ngoài công lập" is private, not public, and "mua bán" (a
trade, either side) is neither buying nor selling."""

from __future__ import annotations

import re

__all__ = ["QUALIFIER_CLASSES", "conflicting", "qualifiers", "qualifiers_of_words"]

# class -> value -> folded phrases; the value "" marks phrases that only hide shorter ones
QUALIFIER_CLASSES: dict[str, dict[str, tuple[str, ...]]] = {
    # who runs the school
    "school": {
        "public": ("cong lap", "truong cong"),
        "private": ("ngoai cong lap", "tu thuc", "dan lap", "truong tu", "truong quoc te"),
        "": ("truong cong an", "truong cong nghe", "truong cong nghiep", "truong cong doan"),
    },
    # which side of a rental; a landlord who imposes something on the asker ("chủ trọ bắt tôi …",
    # "chủ nhà trọ tính tiền điện …") is a tenant's question
    "tenancy": {
        "owner": ("chu nha", "chu tro", "chu can ho", "chu phong", "cho thue", "ben cho thue", "nguoi cho thue"),
        "tenant": (
            *(
                f"{owner} {verb}"
                for owner in ("chu nha", "chu tro", "chu nha tro", "chu phong", "chu can ho")
                for verb in ("bat", "tinh", "thu", "duoi", "khong", "tang", "giu", "doi", "cat", "ep", "lay")
            ),
            "nguoi thue",
            "ben thue",
            "di thue",
            "khach thue",
            "thue tro",
            "o tro",
            "thue nha",
            "thue phong",
            "thue can ho",
            "o thue",
        ),
    },
    # which issuance of a card, book or licence
    "issuance": {
        "first": ("lan dau", "cap moi"),
        "reissue": (
            "cap lai",
            "lam lai",
            "xin lai",
            "bi mat so",
            "bi mat the",
            "bi mat giay",
            "bi mat can cuoc",
            "bi mat bang",
            "mat so",
            "mat the",
            "mat can cuoc",
            "mat bang lai",
            "danh roi",
            "that lac",
        ),
        "exchange": ("cap doi", "doi so", "doi the", "doi bang", "doi giay", "doi sang", "bi rach", "hu hong"),
        "renewal": ("gia han",),
    },
    # in the country or abroad
    "origin": {
        "domestic": ("trong nuoc", "noi dia"),
        "foreign": ("nuoc ngoai", "quoc te", "viet kieu", "kieu bao", "ngoai quoc"),
    },
    # who acts: a person, a household business or a company
    "party": {
        "person": ("ca nhan", "ho gia dinh"),
        "household_business": ("ho kinh doanh",),
        "company": ("doanh nghiep", "cong ty"),
    },
    # where one lives on record
    "residence": {
        "permanent": ("thuong tru", "ho khau"),
        "temporary": ("tam tru",),
        "absence": ("tam vang",),
    },
    # what kind of land
    "land": {
        "residential": ("dat o", "tho cu", "nha o", "dat xay nha"),
        "agricultural": (
            "dat nong nghiep",
            "dat trong lua",
            "dat lua",
            "dat ruong",
            "dat vuon",
            "dat trong cay",
            "dat rung",
            "dat nuoi trong",
        ),
    },
    # which side of a sale
    "trade": {
        "buy": ("ben mua", "nguoi mua", "mua nha", "mua dat", "mua xe", "mua can ho", "mua lai"),
        "sell": ("ben ban", "nguoi ban", "ban nha", "ban dat", "ban xe", "ban can ho", "da ban", "muon ban"),
        "": ("mua ban", "ban mua"),
    },
    # how a home is had
    "housing": {
        "buy": ("mua nha o", "mua can ho"),
        "rent": ("thue nha o", "thue can ho"),
        "hire_purchase": ("thue mua",),
    },
}


# first two words -> [(words, (class, value))], longest first: one dictionary look-up per word pair
_PHRASES: dict[str, list[tuple[tuple[str, ...], tuple[str, str]]]] = {}
for _name, _values in QUALIFIER_CLASSES.items():
    for _value, _phrases in _values.items():
        _pair = (_name, _value)
        for _phrase in _phrases:
            _words = tuple(_phrase.split())
            assert len(_words) >= 2, _phrase
            _PHRASES.setdefault(" ".join(_words[:2]), []).append((_words, _pair))
for _entries in _PHRASES.values():
    _entries.sort(key=lambda e: -len(e[0]))
_FIRST = frozenset(key.split()[0] for key in _PHRASES)
_WORD = re.compile(r"[a-z0-9]+")
_NONE: frozenset[tuple[str, str]] = frozenset()
_SHARED: dict[frozenset[tuple[str, str]], frozenset[tuple[str, str]]] = {}  # few distinct sets: share them


def qualifiers(folded: str) -> frozenset[tuple[str, str]]:
    """The ``(class, value)`` qualifiers of a folded text (shared frozensets)."""
    return qualifiers_of_words(_WORD.findall(folded))


def qualifiers_of_words(words: list[str]) -> frozenset[tuple[str, str]]:
    """:func:`qualifiers` of a text's folded words."""
    phrases, first = _PHRASES, _FIRST
    found: set[tuple[str, str]] = set()
    taken: dict[str, int] = {}  # class -> end of its last phrase: a class's phrases do not overlap
    for i in range(len(words) - 1):
        if words[i] not in first:
            continue
        entries = phrases.get(f"{words[i]} {words[i + 1]}")
        if entries is None:
            continue
        done: set[str] = set()
        for phrase, pair in entries:
            name = pair[0]
            if name in done or taken.get(name, 0) > i or tuple(words[i : i + len(phrase)]) != phrase:
                continue
            done.add(name)
            taken[name] = i + len(phrase)
            if pair[1]:
                found.add(pair)
    if not found:
        return _NONE
    result = frozenset(found)
    if len(_SHARED) < 10_000:
        result = _SHARED.setdefault(result, result)
    return result


def conflicting(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> bool:
    """Do two qualifier sets name the same class with no value in common?"""
    if not a or not b:
        return False
    classes = {c for c, _ in a} & {c for c, _ in b}
    return any({v for c, v in a if c == k}.isdisjoint({v for c, v in b if c == k}) for k in classes)
