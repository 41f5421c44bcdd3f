"""Courtesies and statements that carry no topic, stripped for matching (never for display).

* :func:`strip_courtesies` -- greetings (``Kính gửi …``, ``Xin chào chương trình …``), question openers
  (``Xin cho tôi hỏi:``), self-introductions with a name, closing formulas (``Xin cảm ơn``, ``Trân
  trọng``), contact lines and trailing signatures.  Works with or without diacritics; keeps case.
* :func:`trim_pair` -- the same greetings, openers and closers once more on a canonical text and its
  folded twin (abbreviations expanded may reveal them).
* :func:`filler_pattern` -- the default and an episode's filler phrases, and the meta-statements about
  the asker's earlier attempts or feelings (:data:`_META_STATEMENTS`), as one folded pattern.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .syllables import clean, contains_any, fold, fold_raw

__all__ = ["filler_pattern", "strip_courtesies", "trim_pair"]

_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)

# patterns on the folded lower-case text (same length as the cleaned text)
# one dropped letter in the greeting word is tolerated ("kinh gu", "xi chao")
_GREETING = re.compile(
    r"^\W*(?:(?:em |con |chau |toi )?(?:kinh gui?|kinh gu?i|kinh thua|xin? chao|chao|kinh chao|thua)\b[^.!?:,\n]*"
    r"(?:[.!?:,]+|$)\s*)+"
)
_OPENERS = re.compile(
    r"^\W*(?:da,? |vang,? )?(?:xin (?:cho )?(?:toi |em |chau |con )?hoi|cho (?:toi |em |e |chau |con |minh )?hoi"
    r"|(?:toi|em|chau) (?:xin )?(?:muon )?hoi|xin phep hoi|nho (?:chuong trinh|anh chi) (?:tra loi|giai dap))"
    r"(?: (?:cac anh chi|anh chi|chuong trinh|mot chut|la|ve viec|ve)\b)?\s*[:,.]?\s*"
)
_CLOSERS = re.compile(
    r"(?:\b(?:xin (?:chan thanh )?cam on|cam on|tran trong|rat mong|mong (?:duoc|dc|som|chuong trinh|nhan)|"
    r"xin mong|kinh mong|tran trong cam on|thanks?|thank you)\b[^.!?\n]*(?:[.!?]+|$)\s*)+$"
)
# a contact line starts a clause and says little after its label ("SĐT liên hệ: …" once the number is
# masked); "sóng điện thoại chập chờn" or "bị giật điện thoại" inside a sentence is the question itself
_CONTACT = re.compile(
    r"(?:^|(?<=[.!?,;:\n])\s*)(?:sdt|so dien thoai|dien thoai|dt|lien he|email|zalo)\b"
    r"(?:[^\w.!?\n]*\w+){0,6}[^\w.!?\n]*[.!?\s]*$"
)
_ADDRESS_PAREN = re.compile(r"\((?:dia chi|dc|d/c)[^)]*\)")
_INTRO = re.compile(r"(?:^|(?<=[.!?] ))(?:toi|em|chau|con|minh) (?:ten la|ten|la)\s+")
_SIGNATURE = re.compile(r"(?:^|(?<=[.!?]))\s*([^.!?]{3,60})$")
# literal substrings without which a pattern cannot match: a substring test costs ~50 ns, a
# search of these patterns 4-8 µs
_CLOSER_HINTS = ("cam on", "tran trong", "mong", "thank")
_CONTACT_HINTS = ("sdt", "dien thoai", "dt", "lien he", "email", "zalo")
_INTRO_HINTS = ("ten", " la")  # "là" may be followed by any whitespace


def _signature_possible(text: str) -> bool:
    """Whether :data:`_SIGNATURE` can match with its group not at the start (see _strip_tail)."""
    k = max(text.rfind("."), text.rfind("!"), text.rfind("?"))
    return len(text) - k - 1 >= 3 if k >= 0 else text[:1].isspace()


_SENTENCE_END = re.compile(r"(?<! [pqfPQF])(?<! [tT][pP])(?<!^[pqfPQF])[.!?](?:\s|$)")
_NAME_WORD = re.compile(r"^[A-ZĐ][^\W\d_]*$", re.UNICODE)


def _is_name(words: list[str]) -> bool:
    return 2 <= len(words) <= 5 and all(_NAME_WORD.match(w) for w in words)


def strip_courtesies(text: str) -> str:
    """Remove greetings (``Kính gửi …``, ``Xin chào chương trình …``), question openers
    (``Xin cho tôi hỏi:``), self-introductions with a name (``Tôi tên Trần Thị Mai, 44 tuổi, ở …``),
    closing formulas (``Xin cảm ơn``, ``Trân trọng``, ``Rất mong …``), contact lines and trailing
    signatures (``Nguyễn Văn A - …``).  Works with or without diacritics; keeps case."""
    text = clean(text)
    if not text:
        return text
    shadow = fold_raw(text).lower()
    for _ in range(3):
        before = text
        m = _GREETING.match(shadow)
        if m and m.end() < len(text):
            text = text[m.end() :]
            shadow = shadow[m.end() :]
        m = _OPENERS.match(shadow)
        if m and m.end() < len(text):
            text = text[m.end() :]
            shadow = shadow[m.end() :]
        # self-introduction sentence with a capitalised name
        for m in _INTRO.finditer(shadow) if contains_any(shadow, _INTRO_HINTS) else ():
            after = text[m.end() :].split()
            if len(after) >= 2 and all(_NAME_WORD.match(w.strip(",.;:")) for w in after[:2]):
                end = _sentence_end(text, m.end())
                text = (text[: m.start()] + text[end:]).strip()
                shadow = fold_raw(text).lower()
                break
        text = _strip_tail(text, shadow)
        if text == before:
            break
        shadow = fold_raw(text).lower()
    return text.strip()


def _sentence_end(text: str, start: int) -> int:
    m = _SENTENCE_END.search(text, start)
    return m.end() if m else len(text)


def _strip_tail(text: str, shadow: str) -> str:
    changed = True
    while changed and text:
        changed = False
        m = _ADDRESS_PAREN.search(shadow)
        if m:
            text = (text[: m.start()] + text[m.end() :]).strip()
            shadow = (shadow[: m.start()] + shadow[m.end() :]).strip()
            changed = True
        m = _CONTACT.search(shadow) if contains_any(shadow, _CONTACT_HINTS) else None
        if m and m.start() > 0:
            text, shadow = text[: m.start()].rstrip(" :-,"), shadow[: m.start()].rstrip(" :-,")
            changed = True
        # trailing signature "Họ Tên" or "Họ Tên - ..." after the last sentence end
        m = _SIGNATURE.search(text) if _signature_possible(text) else None
        if m and m.start(1) > 0:
            tail = m.group(1).strip()
            name = re.split(r"\s[-–,]\s?|\s*[-–]\s*$", tail, maxsplit=1)[0].split()
            if _is_name(name):
                text, shadow = text[: m.start(1)].rstrip(), shadow[: m.start(1)].rstrip()
                changed = True
        m = _CLOSERS.search(shadow) if contains_any(shadow, _CLOSER_HINTS) else None
        if m and m.start() > 0:
            text, shadow = text[: m.start()].rstrip(" ,"), shadow[: m.start()].rstrip(" ,")
            changed = True
    return text


def trim_pair(canon: str, folded: str) -> tuple[str, str]:
    """Greetings, openers and closers stripped from a canonical text and its folded twin (same length)."""
    m = _GREETING.match(folded)
    if m and m.end() < len(folded):
        canon, folded = canon[m.end() :], folded[m.end() :]
    m = _OPENERS.match(folded)
    if m and m.end() < len(folded):
        canon, folded = canon[m.end() :], folded[m.end() :]
    m = _CLOSERS.search(folded) if contains_any(folded, _CLOSER_HINTS) else None
    if m and m.start() > 0:
        canon, folded = canon[: m.start()], folded[: m.start()]
    return canon, folded


# --------------------------------------------------------------------------- fillers and meta-statements

_DEFAULT_FILLERS = (
    "xin cho toi hoi",
    "xin cho em hoi",
    "cho toi hoi",
    "cho em hoi",
    "cho minh hoi",
    "xin hoi",
    "cho hoi",
    "xin phep hoi",
    "thanh pho ho chi minh",
    "tai thanh pho ho chi minh",
    "lam on cho biet",
    "mong duoc tra loi som",
    "mong duoc giai dap",
    "xin chuong trinh giai dap giup",
    "mong chuong trinh phan hoi",
    "rat mong nhan duoc phan hoi",
)


# Statements about the asking rather than the topic (folded), as general forms: every department has
# a hotline, and feelings or the number of neighbours affected say nothing of which question it is.
_META_STATEMENTS = (
    # contact attempts through a generic channel that went unanswered: "(tôi) đã gọi đường dây nóng /
    # tổng đài mấy lần nhưng không ai bắt máy", "gọi hotline mà chưa ai trả lời"
    r"(?:(?:toi|em|minh|chung toi|gia dinh) )?(?:(?:da|co|cung da|cung|tung) )?"
    r"(?:goi|goi dien|lien he|lien lac|nhan tin|phan anh|bao)(?: (?:len|den|cho|vao|qua|toi))? "
    r"(?:duong day nong|tong dai|hotline|so nong)[^.!?]{0,40}?(?:nhung|ma) "
    r"(?:khong|chua|van khong|van chua) (?:co )?(?:ai )?(?:bat may|nghe may|nghe|tra loi|phan hoi)",
    # a feeling about "this" (an anaphoric cause, not a new topic) and how long it has lasted:
    # "(gia đình) tôi rất bức xúc / mệt mỏi (vì chuyện này) (kéo dài mấy tháng nay)"
    r"(?:(?:gia dinh toi|chung toi|toi|em|nguoi dan|ba con) )?(?:(?:rat|that su|qua|vo cung|het suc) )?"
    r"(?:buc xuc|buc minh|met moi|lo lang|kho chiu|kho so|hoang mang|ngao ngan)"
    r"(?: (?:vi|voi|ve) (?:chuyen|viec|tinh trang|van de|canh) (?:nay|do|tren))?"
    r"(?: (?:keo dai|da keo dai|dien ra)(?: (?:may|nhieu|ca|hon) (?:ngay|tuan|thang|nam))?(?: (?:nay|roi|qua))?)?",
    # who else is affected: "chuyện này không (phải / chỉ) (của) riêng nhà tôi (mà cả xóm đều gặp)",
    # "cả khu phố đều bị tình trạng này"
    r"(?:chuyen|tinh trang|van de|viec|canh) (?:nay|do) khong (?:phai|chi) (?:cua |la )?rieng "
    r"(?:nha|gia dinh|ho|ban than) (?:toi|minh|em)(?: (?:ma|ca) [^.!?,]{0,40}?(?:deu|cung) (?:gap|bi|chiu|vay|the))?",
    r"(?:ca|nhieu|cac) (?:xom|khu pho|hem|to|ho|nha|ba con)(?: [^.!?,]{0,20}?)? (?:deu|cung) "
    r"(?:bi|gap|chiu) (?:tinh trang|canh|chuyen|van de) (?:nay|tuong tu|do)",
)


@lru_cache(maxsize=64)
def filler_pattern(extra: tuple[str, ...]) -> re.Pattern[str] | None:
    alts: list[str] = []
    for phrase in (*_DEFAULT_FILLERS, *extra):
        words = _TOKEN_RE.findall(fold(phrase))
        if words:
            alts.append(r"\W+".join(map(re.escape, words)))
    if not alts:
        return None
    alts.sort(key=len, reverse=True)
    alts.extend(_META_STATEMENTS)
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b")
