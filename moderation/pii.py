"""Masking of personal data in Vietnamese citizen questions.

:func:`mask_pii` finds phone numbers (every shape: ``0903 123 456``, ``0903.123.456``,
``0903-123-456``, ``+84 903123456``, ``84903123456``, landlines ``028 3829 1234`` and
``(028) 3829 1234``), e-mail addresses, identity numbers (CCCD 12 digits, CMND 9, tax code
10 or 10-3 / 13, BHXH 10) and house numbers (``142/3 Lê Văn Sỹ``, ``12A Nguyễn Trãi``,
``hẻm 230``, ``số nhà 15``, ``ở 88 Trần Hưng Đạo``) and replaces each with a token that shows
no digit at all:

=============== =====================
kind            token
=============== =====================
``phone``       ``[số điện thoại]``
``email``       ``[email]``
``id_number``   ``[số giấy tờ]``
``house_number`` ``[số nhà]``
=============== =====================

Everything else is kept byte-identical; spans refer to the original string (NFD input too).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["MASK_TOKENS", "Masked", "PiiFinding", "mask_pii", "remove_pii"]

MASK_TOKENS: dict[str, str] = {
    "phone": "[số điện thoại]",
    "email": "[email]",
    "id_number": "[số giấy tờ]",
    "house_number": "[số nhà]",
    "name": "[họ tên]",
}

# "Tôi tên Nguyễn Văn An", "em là Trần Thị B", "cháu tên là Lê Minh": a self-introduced full name.
_NAME_INTRO = re.compile(r"\b(?:toi|em|minh|chau|con|tui)\s+(?:ten\s+la|ten|la)\s+")
_WORD = re.compile(r"[^\W\d_]+")
# A full name starts with a family name: this keeps "tôi là Giáo viên…" or "em là Sinh viên…" unmasked.
_SURNAMES = frozenset(
    [
        "nguyen",
        "tran",
        "le",
        "pham",
        "hoang",
        "huynh",
        "phan",
        "vu",
        "vo",
        "dang",
        "bui",
        "do",
        "ho",
        "ngo",
        "duong",
        "ly",
        "dinh",
        "doan",
        "lam",
        "mai",
        "truong",
        "to",
        "chau",
        "cao",
        "luu",
        "ta",
        "thai",
        "trinh",
        "quach",
        "ha",
        "la",
        "luong",
        "kieu",
        "tang",
        "trieu",
        "tu",
        "vuong",
        "phung",
        "dao",
        "chu",
        "giang",
        "mac",
        "tong",
        "hua",
        "than",
        "kim",
        "diep",
        "ninh",
        "khuc",
        "nghiem",
        "quan",
        "au",
        "dam",
        "thach",
        "lai",
        "lu",
        "mau",
        "van",
        "tieu",
        "ong",
        "son",
        "tham",
        "cu",
        "cung",
        "ung",
        "yen",
    ]
)


@dataclass(frozen=True, slots=True)
class PiiFinding:
    """One piece of personal data: its kind and its ``[start, end)`` span in the original text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Masked:
    """Result of :func:`mask_pii`: the masked text and the findings (spans in the original)."""

    text: str
    found: list[PiiFinding]


_EMAIL = re.compile(r"(?<![\w.+-])[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_PHONE = re.compile(r"(?<![\w+])(?:\(?\+\s?84\)?|\(?84\)?|\(0|0)[\s.\-]?\(?\d(?:\)?[\s.\-]{0,2}\(?\d){7,10}(?!\d)")
_ID_GROUPED = re.compile(r"(?<![\d\w])\d{3}[ .]\d{3}[ .]\d{3}[ .]\d{3}(?![\d\w])")
_ID = re.compile(r"(?<![\d\w])(?:\d{10}-\d{3}|\d{9,13})(?![\d\w])")
_HOUSE_AFTER_WORD = re.compile(
    r"\b(?:so nha|sn|hem|hxh|ngo|ngach|kiet|nha so|can ho|phong)\.?\s*"
    r"(\d{1,5}[a-z]?\d?(?:/\d{1,5}[a-z]?\d?)*)(?![\w/])"
)
_DIGITS = re.compile(r"\d")
_SLASH = re.compile(r"(?<![\w/])(\d{1,5}[a-z]?(?:/\d{1,5}[a-z]?)+)(?![\w/])")
_NUM_LETTER = re.compile(r"(?<![\w/])(\d{1,4}[a-z]\d?)(?![\w/])")
_NUM_STREET = re.compile(r"\b(?:o|tai|nha|dia chi|d/c|dc|so)\s*:?\s+(\d{1,4})(?=\s+(?:duong\s+)?\S)")
_NOT_STREET_BEFORE = re.compile(r"(?:buyt|tuyen|xe|lop|nam|phuong|quan|so|hang|ngay|tu|den|ty le|thang)\s*$")


def _nfc_map(text: str) -> tuple[str, list[int], list[int]]:
    """NFC version of ``text`` with, per NFC char, its start and end in the original."""
    if text.isascii() or (unicodedata.is_normalized("NFC", text) and not any(map(unicodedata.combining, text))):
        return text, list(range(len(text))), list(range(1, len(text) + 1))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        seg = unicodedata.normalize("NFC", text[i:j])
        for ch in seg:
            out.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    return "".join(out), starts, ends


def _shadow(nfc: str) -> str:
    from .text import _FOLD as table

    low = nfc.lower()
    if len(low) == len(nfc):  # no character lower-cases to two (then each maps 1:1)
        return low.translate(table)
    chars = []
    for ch in nfc:
        low = ch.lower()
        ch = low if len(low) == 1 else ch
        chars.append(table.get(ord(ch), ch))
    return "".join(chars)


def _phone_ok(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    stripped = match.lstrip("( ")
    if stripped.startswith("+") or (digits.startswith("84") and not stripped.startswith("0")):
        nat = digits[2:]
        if nat.startswith("0"):
            nat = nat[1:]
    else:
        nat = digits[1:]
    return len(nat) in (9, 10) and nat[0] != "0"


def _is_upper_word_at(nfc: str, pos: int) -> bool:
    m = re.compile(r"\s+(?:đường\s+|Đường\s+)?(\S)").match(nfc, pos)
    return m is not None and m.group(1).isupper()


def _find(nfc: str) -> list[tuple[str, int, int]]:
    shadow = _shadow(nfc)
    spans: list[tuple[str, int, int]] = []
    taken = [False] * len(nfc)

    def add(kind: str, start: int, end: int) -> None:
        if start >= end or any(taken[start:end]):
            return
        for k in range(start, end):
            taken[k] = True
        spans.append((kind, start, end))

    # cheap necessary conditions before the searches: "@" for e-mails, 8+ digits for phones,
    # 9+ for ID numbers, "/" for slash house numbers
    n_digits = len(_DIGITS.findall(shadow))
    for m in _EMAIL.finditer(shadow) if "@" in shadow else ():
        add("email", m.start(), m.end())
    for m in _PHONE.finditer(shadow) if n_digits >= 8 else ():
        text = m.group(0)
        start = m.start()
        if text.startswith("(") and ")" not in text:
            start += 1
        if _phone_ok(text):
            add("phone", start, m.end())
    for pattern in (_ID_GROUPED, _ID) if n_digits >= 9 else ():
        for m in pattern.finditer(shadow):
            add("id_number", m.start(), m.end())
    for m in _HOUSE_AFTER_WORD.finditer(shadow):
        add("house_number", m.start(1), m.end(1))
    for m in _SLASH.finditer(shadow) if "/" in shadow else ():
        parts = m.group(1).split("/")
        last = re.sub(r"\D", "", parts[-1])
        if len(last) == 4:  # a date 01/7/2025 or a scale 1/2000
            continue
        before = shadow[max(0, m.start() - 12) : m.start()]
        if _NOT_STREET_BEFORE.search(before):
            continue
        if re.search(r"\b(?:o|tai|nha|dia chi|d/c|so)\s*:?\s*$", before) or _is_upper_word_at(nfc, m.end()):
            add("house_number", m.start(1), m.end(1))
    for m in _NUM_LETTER.finditer(shadow):
        before = shadow[max(0, m.start() - 12) : m.start()]
        if _NOT_STREET_BEFORE.search(before) or re.search(r"\d\s*$", before):
            continue
        if (nfc[m.end(1) - 1].isupper() or nfc[m.end(1) - 2].isupper()) and (
            _is_upper_word_at(nfc, m.end()) or re.search(r"\b(?:o|tai|nha|dia chi)\s*:?\s*$", before)
        ):
            add("house_number", m.start(1), m.end(1))
    for m in _NUM_STREET.finditer(shadow):
        before = shadow[max(0, m.start(1) - 16) : m.start(1)]
        if re.search(r"(?:buyt|tuyen|xe)\s+so\s*$", before):
            continue
        if _is_upper_word_at(nfc, m.end(1)):
            add("house_number", m.start(1), m.end(1))
    for m in _NAME_INTRO.finditer(shadow) if " ten" in shadow or " la " in shadow else ():
        name_start = name_end = m.end()
        words = 0
        for word in _WORD.finditer(nfc, m.end()):
            if (word.start() != name_end and nfc[name_end : word.start()].strip()) or not word.group(0)[0].isupper():
                break
            name_end = word.end()
            words += 1
            if words == 4:
                break
        if words >= 2 and shadow[name_start:name_end].split()[0] in _SURNAMES:
            add("name", name_start, name_end)
    spans.sort(key=lambda s: s[1])
    return spans


def mask_pii(text: str) -> Masked:
    """Mask phones, e-mails, ID/CCCD/CMND/tax/BHXH numbers and house numbers.

    ``Masked.text`` replaces each finding with a token from :data:`MASK_TOKENS` (no digit of the
    finding stays visible); the rest of ``text`` is unchanged.  ``Masked.found`` lists
    :class:`PiiFinding` spans in the original ``text``."""
    nfc, starts, ends = _nfc_map(text)
    found = [PiiFinding(kind, starts[a], ends[b - 1]) for kind, a, b in _find(nfc)]
    parts: list[str] = []
    pos = 0
    for f in found:
        parts.append(text[pos : f.start])
        parts.append(MASK_TOKENS[f.kind])
        pos = f.end
    parts.append(text[pos:])
    return Masked("".join(parts), found)


_PII_TRIGGER = re.compile(r"[\d@]")


def remove_pii(text: str) -> str:
    """``text`` with every finding of :func:`mask_pii` replaced by a space (for matching)."""
    if _PII_TRIGGER.search(text) is None:  # every finding has a digit or an "@"
        return text
    # Names are masked for display only: matching and routing keep their words (tuned that way).
    found = [f for f in mask_pii(text).found if f.kind != "name"]
    parts: list[str] = []
    pos = 0
    for f in found:
        parts.append(text[pos : f.start])
        parts.append(" ")
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)
