"""Masking of personal data in Vietnamese citizen questions.

:func:`mask_pii` finds personal data and replaces each piece with a token that shows no digit:

==================== ======================= ==================================================================
kind                 token                   forms
==================== ======================= ==================================================================
``phone``            ``[số điện thoại]``     ``0903 123 456``, ``0903.123.456``, ``+84 (0) 903…``, ``(028) 3829
                                             1234``, ``09 38 27 64 15``, read out in words (``không chín …``)
``email``            ``[email]``             ``a.b@x.vn``, full-width ``＠``, ``a [at] x [dot] com``, ``a(at)x.com``,
                                             ``a còng x chấm com``
``id_number``        ``[số giấy tờ]``        CCCD/CMND/định danh in any grouping (``079-094-012-356``), passports
``tax_code``         ``[mã số thuế]``        ``MST 8126590437-002``, ``0316 728 451`` after a tax cue
``insurance_number`` ``[mã số bảo hiểm]``    BHYT cards (``TE1797920458173``, ``GD 4 79 …``), BHXH numbers
``bank_account``     ``[số tài khoản]``      a long number after ``tài khoản``, ``STK`` or a bank's name
``plate``            ``[biển số]``           ``59A1-123.45``, ``51H 582 07``, ``59-V2 318.64``, ``51G.776.40``
``house_number``     ``[số nhà]``            ``142/3 Lê Văn Sỹ``, ``12A``, ``số 15 đường số 7``, ``căn hộ B2-11-05``
``name``             ``[họ tên]``            see :mod:`moderation.names`
==================== ======================= ==================================================================

Numbers are told apart by shape and by the words around them: amounts (``100.000 đồng``, ``1,2 triệu``),
years, dates, decree numbers (``100/2019/NĐ-CP``), routes (``tuyến 19``, ``metro số 2``), articles and
classes stay. Everything else is kept byte-identical; spans refer to the original string (NFD input too).

:func:`unsure_spans` lists what a reader could still take for personal data after masking (capitalised
name-like sequences, runs of four or more digits); :func:`mask_unreviewed` masks those as well, for public
views of a wording no moderator has reviewed yet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .names import find_names, name_like_runs
from .syllables import fold_char_table

__all__ = [
    "MASK_TOKENS",
    "UNREVIEWED_TOKENS",
    "Masked",
    "PiiFinding",
    "mask_pii",
    "mask_unreviewed",
    "remove_pii",
    "unsure_spans",
]

MASK_TOKENS: dict[str, str] = {
    "phone": "[số điện thoại]",
    "email": "[email]",
    "id_number": "[số giấy tờ]",
    "tax_code": "[mã số thuế]",
    "insurance_number": "[mã số bảo hiểm]",
    "bank_account": "[số tài khoản]",
    "plate": "[biển số]",
    "house_number": "[số nhà]",
    "name": "[họ tên]",
}
# What an unreviewed public text shows instead of what the masker was unsure of.
UNREVIEWED_TOKENS: dict[str, str] = {"name_like": "[tên]", "digits": "[số]"}


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


# ------------------------------------------------------------------------------------------ shadow text

# folded, lower case and full-width ASCII as ASCII, one character for one: patterns run on this twin
_SHADOW_TABLE: dict[int, str] = {**fold_char_table(), **{c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}}


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
    low = nfc.lower()
    if len(low) == len(nfc):  # no character lower-cases to two (then each maps 1:1)
        return low.translate(_SHADOW_TABLE)
    chars = []
    for ch in nfc:
        low = ch.lower()
        ch = low if len(low) == 1 else ch
        chars.append(_SHADOW_TABLE.get(ord(ch), ch))
    return "".join(chars)


# ------------------------------------------------------------------------------------------ e-mails

_LOCAL = r"[a-z0-9][a-z0-9._%+\-]*"
_EMAIL = re.compile(rf"(?<![\w.+\-]){_LOCAL}\s?@\s?[a-z0-9\-]+(?:\s?\.\s?[a-z0-9\-]+)*\s?\.\s?[a-z]{{2,}}\b")
# spelled: "ten [at] gmail [dot] com", "ten(at)gmail(chấm)com", "ten a còng gmail chấm com", "ten at gmail dot com"
_AT_WORD = r"(?:\s?[\[({]\s?(?:at|a|a cong)\s?[\])}]\s?|\s(?:at|a cong|a móc|a moc)\s)"
_DOT_WORD = r"(?:\s?[\[({]\s?(?:dot|cham)\s?[\])}]\s?|\s(?:dot|cham)\s|\s?\.\s?)"
_TLD = r"(?:com|net|org|edu|gov|info|biz|vn|io|me|co|asia|xyz|online|site|us|uk|au|jp|kr|cn|de|fr)"
_AT_HINTS = (" at ", "at]", "at)", "at}", "(a)", "[a]", "{a}", "a cong", "a moc")
_EMAIL_SPELLED = re.compile(
    rf"(?<![\w.+\-]){_LOCAL}{_AT_WORD}[a-z0-9\-]+(?:{_DOT_WORD}[a-z0-9\-]+)*?{_DOT_WORD}{_TLD}(?:{_DOT_WORD}vn)?\b"
)

# ------------------------------------------------------------------------------------------ numbers

_PHONE = re.compile(r"(?<![\w+])(?:\(?\+\s?84\)?|\(?84\)?|\(0|0)[\s.\-]?\(?\d(?:\)?[\s.\-]{0,3}\(?\d){7,10}(?!\d)")
_NUMBER_WORD = r"(?:khong|mot|hai|ba|bon|tu|nam|lam|sau|bay|tam|chin|linh)"
# a phone number read out by an operator: eight or more digit words in a row
_PHONE_WORDS = re.compile(rf"(?<!\w){_NUMBER_WORD}(?:[\s,.\-]+{_NUMBER_WORD}){{7,12}}(?!\w)")
# licence plates: 2-digit province, series letters (and digit), 5 digits (123.45 / 123 45 / 12345) or 4
_PLATE = re.compile(
    r"(?<![\w.\-/])(\d{2})\s?-?\s?([a-z]{1,2})\s?-?(\d?)\s?[-.\s]?\s?(\d{3}[.\s]?\d{2}|\d{4})(?![\w]|[.,]\d)"
)
# health-insurance cards: 2 letters then 13 digits (spaces allowed)
_INSURANCE_CARD = re.compile(r"(?<![\w])([a-z]{2})\s?\d(?:\s?\d){12}(?![\w]|\s?\d)")
# passports: a letter and 7 or 8 digits
_PASSPORT = re.compile(r"(?<![\w])([a-z])\s?\d{7,8}(?![\w])")
# digits joined by single spaces, dots or dashes: a candidate account, ID, tax or insurance number
_CHAIN = re.compile(r"(?<![\w.,/+\-])\d+(?:(?:\s?[.\-]\s?|\s)\d+)*(?![\w/]|[.,]\d)")
_THOUSANDS = re.compile(r"^[1-9]\d{0,2}(?:\.\d{3})+(?:\s?[-–]\s?\d{1,3}(?:\.\d{3})+)?$")
_DATE = re.compile(r"^(?:\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)\d{2}|(?:19|20)\d{2}-\d{1,2}-\d{1,2})$")
_SERVICE_NUMBER = re.compile(r"^1[89]00[ .\-]?\d")  # 1800 / 1900 lines are public
_YEARS = re.compile(r"^(?:19|20)\d{2}(?:\s?[-–]\s?(?:19|20)\d{2})*$")
_UNIT_AFTER = re.compile(
    r"^\s?(?:d\b|vnd|dong|trieu|ty\b|nghin|ngan|k\b|usd|\$|%|m2|m\b|m3|km|kg|lit|nguoi|luot|ho\b|chiec|"
    r"xe\b|cai|con\b|nam\b|thang|ngay|gio|phut|tuoi|lan\b|tan\b|ha\b|cm|mm|so\b|diem)"
)
_CUE = re.compile(
    r"\b(?:(?P<id_number>cccd|cmnd|cmt|can cuoc|chung minh|dinh danh|ho chieu|passport|giay to|so bao danh|sbd"
    r"|ma ho so|mssv|ma so sinh vien|ma sinh vien|ma hoc sinh)"
    r"|(?P<tax_code>mst|ma so thue|ma so doanh nghiep|ma doanh nghiep|ma so hkd|ma thue)"
    r"|(?P<insurance_number>bhxh|bhyt|bao hiem|so so|ma the|ma so bhxh|the bhyt|ma so bh)"
    r"|(?P<bank_account>tai khoan|stk|tk|ngan hang|the atm|atm|vietcombank|vcb|techcombank|tcb|bidv|agribank|acb"
    r"|mb|mbbank|vietinbank|sacombank|vpbank|tpbank|hdbank|shb|ocb|vib|scb|eximbank|seabank|msb|abbank|lpbank"
    r"|pvcombank|vietbank|ncb|momo|zalopay|viettelpay|bac a bank|dong a bank|nam a bank|kienlongbank|shinhan"
    r"|woori|hsbc|uob|citibank|baovietbank|bvbank|saigonbank)"
    r"|(?P<phone>sdt|so dien thoai|dien thoai|dt|goi|zalo|lien he|lien lac|hotline|so may|di dong|ib|inbox"
    r"|nhan tin|sms))\b"
)
_BRANCH = re.compile(r"-\d{3}(?!\d)")
_SENTENCE_BREAK = re.compile(r"[.!?\n]\s")

# house and apartment numbers
_CODE = r"(?:[a-z]{1,2}\d{0,2}[-.]?)?\d{1,5}[a-z]?(?:[./\-]\d{1,5}[a-z]?)*"
_HOUSE_AFTER_WORD = re.compile(
    rf"\b(so nha|sn|hem|hxh|ngo|ngach|kiet|nha so|can ho so|can ho|can so|can|phong so|phong|lo|block|thap|p)"
    rf"\.?\s*:?\s*({_CODE})(?![\w/]|[.,]\d)"
)
_WEAK_HOUSE_WORDS = {"can": "căn", "phong": "phòng", "lo": "lô", "block": "block", "thap": "tháp", "p": "p"}
_AMBIGUOUS_HOUSE_WORDS = {"ngo": "ngõ", "kiet": "kiệt", "hem": "hẻm"}
_DIGITS = re.compile(r"\d")
_SLASH = re.compile(r"(?<![\w/])([a-z]?\d{1,5}[a-z]?(?:/\d{1,5}[a-z]?)+)(?![\w/])")
_NUM_LETTER = re.compile(r"(?<![\w/])(\d{1,4}[a-z]\d?)(?![\w/])")
_NUM_STREET = re.compile(r"\b(?:o|tai|nha|dia chi|d/c|dc)\s*:?\s+(\d{1,4})(?=\s+(?:duong\s+)?\S)")
_SO_NUMBER = re.compile(r"\bso\s+(\d{1,4}[a-z]?)(?![\w/]|[.,]\d)")
_STREET_WORD_AFTER = re.compile(r"\s+(?:duong|hem|ngo|kiet|hxh|ngach|pho)\b")
_HOUSE_CUE_BEFORE = re.compile(r"(?:^|\b(?:o|tai|nha|dia chi|d/c|dc|so|toi|minh|em)|[,(:])\s*:?\s*$")
_NOT_STREET_BEFORE = re.compile(
    r"(?:buyt|tuyen|xe|lop|nam|phuong|quan|hang|ngay|tu|den|ty le|thang|metro|tang|tram|ga|ben|cong|khoan|dieu"
    r"|muc|chuong|phan|to|ap|khu pho|kp|hem|lo|tinh lo|quoc lo)\s*(?:so\s*)?$"
)
_UPPER_WORD_AFTER = re.compile(r"\s+(?:đường\s+|Đường\s+)?(\S)")


def _hint(text: str, hints: tuple[str, ...]) -> bool:
    for h in hints:  # noqa: SIM110 -- a plain loop: any() over a generator costs ~3x more here
        if h in text:
            return True
    return False


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
    m = _UPPER_WORD_AFTER.match(nfc, pos)
    return m is not None and m.group(1).isupper()


def _cue_kind(shadow: str, start: int, reach: int = 40) -> str | None:
    """The kind named by the nearest number cue before ``start`` in the same sentence."""
    window = shadow[max(0, start - reach) : start]
    breaks = list(_SENTENCE_BREAK.finditer(window))
    if breaks:
        window = window[breaks[-1].end() :]
    kind = None
    for m in _CUE.finditer(window):
        kind = m.lastgroup
    return kind


class _Spans:
    """Findings in NFC positions; a span never overlaps an earlier one."""

    def __init__(self, n: int) -> None:
        self.taken = bytearray(n)
        self.spans: list[tuple[str, int, int]] = []

    def add(self, kind: str, start: int, end: int) -> bool:
        if start >= end or any(self.taken[start:end]):
            return False
        self.taken[start:end] = b"\x01" * (end - start)
        self.spans.append((kind, start, end))
        return True


def _find(nfc: str, *, names: bool = True) -> list[tuple[str, int, int]]:
    shadow = _shadow(nfc)
    found = _Spans(len(nfc))
    n_digits = len(_DIGITS.findall(shadow))
    if "@" in shadow:
        for m in _EMAIL.finditer(shadow):
            found.add("email", m.start(), m.end())
    if names and _hint(shadow, _AT_HINTS):  # matching keeps the words of a spelled-out address
        for m in _EMAIL_SPELLED.finditer(shadow):
            found.add("email", m.start(), m.end())
    if n_digits >= 6:  # a plate has 6 digits or more, a passport 7, a health-insurance card 13
        _find_codes(nfc, shadow, found, n_digits)
    if n_digits >= 8:
        _find_phones(shadow, found)
    if n_digits >= 5:
        _find_chains(shadow, found)
    if n_digits:
        _find_houses(nfc, shadow, found)
    if names:
        for m in _PHONE_WORDS.finditer(shadow):
            found.add("phone", m.start(), m.end())
        for a, b in find_names(nfc, shadow, found.taken):
            found.add("name", a, b)
    return sorted(found.spans, key=lambda s: s[1])


def _find_codes(nfc: str, shadow: str, found: _Spans, n_digits: int) -> None:
    """Plates, health-insurance cards and passports: letters and digits together."""
    for m in _PLATE.finditer(shadow):
        letters = nfc[m.start(2) : m.end(2)]
        attached = m.start(2) == m.end(1) and (m.group(3) or m.end(2) == m.start(4))
        if letters.isupper() or attached or "bien" in shadow[max(0, m.start() - 12) : m.start()]:
            found.add("plate", m.start(), m.end())
    for m in _INSURANCE_CARD.finditer(shadow) if n_digits >= 13 else ():
        if nfc[m.start(1) : m.end(1)].isupper() or (m.end(1) == m.start(1) + 2 and shadow[m.end(1)].isdigit()):
            found.add("insurance_number", m.start(), m.end())
    for m in _PASSPORT.finditer(shadow) if n_digits >= 7 else ():
        if nfc[m.start(1)].isupper() or _cue_kind(shadow, m.start()) == "id_number":
            found.add("id_number", m.start(), m.end())


def _find_phones(shadow: str, found: _Spans) -> None:
    for m in _PHONE.finditer(shadow):
        text = m.group(0)
        start = m.start()
        if text.startswith("(") and ")" not in text:
            start += 1
        if _phone_ok(text):
            cue = _cue_kind(shadow, start, 30)
            branch = _BRANCH.match(shadow, m.end())  # "0312345678-001": a tax code with its branch
            if branch:
                found.add("tax_code", start, branch.end())
            else:
                found.add(cue if cue not in (None, "phone") else "phone", start, m.end())


def _find_chains(shadow: str, found: _Spans) -> None:
    """Long numbers: account, ID, tax and insurance numbers in any grouping; amounts, years, dates stay."""
    for m in _CHAIN.finditer(shadow):
        chain = m.group(0).strip()
        digits = sum(c.isdigit() for c in chain)
        if digits < 5 or _DATE.match(chain) or _YEARS.match(chain) or _SERVICE_NUMBER.match(chain):
            continue
        if _UNIT_AFTER.match(shadow, m.end()):
            continue
        cue = _cue_kind(shadow, m.start())
        near = _cue_kind(shadow, m.start(), 25)
        if _THOUSANDS.match(chain) and near in (None, "phone"):
            continue  # an amount: 100.000.000, 8.000 - 9.000
        if digits >= 8 or (near is not None and near != "phone"):
            kind = cue if cue is not None else ("phone" if _phone_ok(chain) and chain.startswith("0") else None)
            found.add(kind or "id_number", m.start(), m.end())


def _find_houses(nfc: str, shadow: str, found: _Spans) -> None:
    for m in _HOUSE_AFTER_WORD.finditer(shadow):
        word, code = m.group(1), m.group(2)
        original = nfc[m.start(1) : m.end(1)].lower()
        if word in _WEAK_HOUSE_WORDS:
            accented = _WEAK_HOUSE_WORDS[word]
            if not original.isascii() and original != accented:
                continue  # "cần", "lộ", "thấp": not an apartment
            n = sum(c.isdigit() for c in code)
            if n < 3 and not re.search(r"[a-z]", code) and not re.search(r"[./\-]", code):
                continue
        elif word in _AMBIGUOUS_HOUSE_WORDS and not original.isascii() and original != _AMBIGUOUS_HOUSE_WORDS[word]:
            continue
        if re.fullmatch(r"[a-z]+", code) or re.fullmatch(r"\d{1,2}m", code):
            continue  # "lô C", "hẻm 3m" (three metres wide)
        found.add("house_number", m.start(2), m.end(2))
    if "/" in shadow:
        for m in _SLASH.finditer(shadow):
            parts = m.group(1).split("/")
            last = re.sub(r"\D", "", parts[-1])
            if len(last) == 4:  # a date 01/7/2025 or a scale 1/2000
                continue
            before = shadow[max(0, m.start() - 12) : m.start()]
            if _NOT_STREET_BEFORE.search(before):
                continue
            if re.search(r"\b(?:o|tai|nha|dia chi|d/c|so)\s*:?\s*$", before) or _is_upper_word_at(nfc, m.end()):
                found.add("house_number", m.start(1), m.end(1))
    for m in _NUM_LETTER.finditer(shadow):
        before = shadow[max(0, m.start() - 12) : m.start()]
        if _NOT_STREET_BEFORE.search(before) or re.search(r"\d\s*$", before):
            continue
        upper = nfc[m.end(1) - 1].isupper() or nfc[m.end(1) - 2].isupper()
        if upper and (
            _is_upper_word_at(nfc, m.end())
            or re.search(r"\b(?:o|tai|nha|dia chi|so)\s*:?\s*$", before)
            or _STREET_WORD_AFTER.match(shadow, m.end())
        ):
            found.add("house_number", m.start(1), m.end(1))
    for m in _NUM_STREET.finditer(shadow):
        if _is_upper_word_at(nfc, m.end(1)) or _STREET_WORD_AFTER.match(shadow, m.end(1)):
            found.add("house_number", m.start(1), m.end(1))
    for m in _SO_NUMBER.finditer(shadow):
        before = shadow[max(0, m.start() - 16) : m.start()]
        if _NOT_STREET_BEFORE.search(before) or not _HOUSE_CUE_BEFORE.search(before):
            continue
        if _STREET_WORD_AFTER.match(shadow, m.end(1)) or _is_upper_word_at(nfc, m.end(1)):
            found.add("house_number", m.start(1), m.end(1))


# ------------------------------------------------------------------------------------------ API


def mask_pii(text: str) -> Masked:
    """Mask phones, e-mails, identity/tax/insurance/account numbers, plates, house numbers and names.

    ``Masked.text`` replaces each finding with a token from :data:`MASK_TOKENS` (no digit of the
    finding stays visible); the rest of ``text`` is unchanged.  ``Masked.found`` lists
    :class:`PiiFinding` spans in the original ``text``."""
    nfc, starts, ends = _nfc_map(text)
    found = [PiiFinding(kind, starts[a], ends[b - 1]) for kind, a, b in _find(nfc)]
    return Masked(_replace(text, [(f.start, f.end, MASK_TOKENS[f.kind]) for f in found]), found)


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    parts: list[str] = []
    pos = 0
    for start, end, token in sorted(spans):
        parts.append(text[pos:start])
        parts.append(token)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


_PII_TRIGGER = re.compile(r"[\d@＠]")


def remove_pii(text: str) -> str:
    """``text`` with every number and e-mail :func:`mask_pii` finds replaced by a space (for matching).

    Names are masked for display only: matching and routing keep their words (tuned that way)."""
    if _PII_TRIGGER.search(text) is None:  # every finding but names has a digit or an "@"
        return text
    nfc, starts, ends = _nfc_map(text)
    return _replace(text, [(starts[a], ends[b - 1], " ") for _, a, b in _find(nfc, names=False)])


_DIGIT_RUN = re.compile(r"\d{4,}|(?<![\w.,])\d+(?:[ .\-]\d+){2,}(?![\w]|[.,]\d)")


def unsure_spans(text: str) -> list[PiiFinding]:
    """What a reader could still take for personal data in ``text`` after :func:`mask_pii`: capitalised
    name-like sequences (``name_like``) and runs of four or more digits, or of seven or more in groups
    (``digits``), that the masker left. Spans in the original ``text``."""
    nfc, starts, ends = _nfc_map(text)
    taken = bytearray(len(nfc))
    for _, a, b in _find(nfc):
        taken[a:b] = b"\x01" * (b - a)
    return [PiiFinding(kind, starts[a], ends[b - 1]) for kind, a, b in _unsure(nfc, taken)]


def _unsure(nfc: str, taken: bytearray) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for a, b in name_like_runs(nfc, _shadow(nfc)):
        if not any(taken[a:b]):
            out.append(("name_like", a, b))
    for m in _DIGIT_RUN.finditer(nfc):
        chain = m.group(0)
        if any(taken[m.start() : m.end()]):
            continue
        if not re.search(r"\d{4}", chain) and (sum(c.isdigit() for c in chain) < 7 or _THOUSANDS.match(chain)):
            continue
        out.append(("digits", m.start(), m.end()))
    out.sort(key=lambda s: s[1])
    return out


def mask_unreviewed(text: str) -> str:
    """``text`` as a public view may show it before a moderator reviewed it: :func:`mask_pii`, then every
    remaining capitalised name-like sequence and every run of four or more digits masked as well."""
    masked = mask_pii(text).text
    nfc, starts, ends = _nfc_map(masked)
    # the masked text has nothing left for mask_pii to find: only what it was unsure of remains
    unsure = _unsure(nfc, bytearray(len(nfc)))
    return _replace(masked, [(starts[a], ends[b - 1], UNREVIEWED_TOKENS[kind]) for kind, a, b in unsure])
