"""Typing repair and abbreviations: what :func:`canonical` does to a normalised text before matching.

* :func:`repair_token` -- telex/VNI leftovers and doubled keys in one token (``ddaats`` -> ``đất``,
  ``ho3i`` -> ``hỏi``, ``phườngg`` -> ``phường``), only when the token is not a valid syllable.
* :func:`canonical` -- :func:`moderation.syllables.normalize`, repaired tokens, chat and government
  abbreviations expanded (``ko`` -> ``không``, ``UBND`` -> ``ủy ban nhân dân``, ``TP.HCM`` ->
  ``thành phố hồ chí minh``).  Idempotent; for matching and routing, never for display.
"""

from __future__ import annotations

import re

# the telex decoder builds a syllable from its parts: it shares the syllable model's tables
from .syllables import (
    _CACHE_MAX,
    _MULTISPACE,
    _TONE_BY_LETTER,
    _VOWELS,
    _apply_tone,
    contains_any,
    is_syllable,
    normalize,
)

__all__ = ["TOKEN_RE", "canonical", "repair_token"]

# --------------------------------------------------------------------------- telex / VNI

_TELEX_DOUBLE = {"a": "â", "e": "ê", "o": "ô"}
_TELEX_W = {"a": "ă", "o": "ơ", "u": "ư"}
_VNI_MOD = {
    ("a", "6"): "â",
    ("e", "6"): "ê",
    ("o", "6"): "ô",
    ("a", "8"): "ă",
    ("o", "7"): "ơ",
    ("u", "7"): "ư",
    ("d", "9"): "đ",
}
_VNI_TONE = {"1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323"}
# words typed without diacritics that look like telex but are loanwords
_LOANWORDS = frozenset(
    {
        "bus",
        "gas",
        "app",
        "web",
        "file",
        "online",
        "email",
        "wifi",
        "zalo",
        "facebook",
        "tour",
        "vneid",
        "vssid",
        "karaoke",
        "upload",
        "clip",
        "shop",
        "camera",
        "video",
        "internet",
        "apec",
        "covid",
        "hotline",
        "homestay",
        "buffet",
        "taxi",
        "grab",
        "container",
        "laptop",
        "iphone",
    }
)


def _telex(word: str) -> str | None:
    tone: str | None = None
    body = word
    if len(body) > 1 and body[-1] in "sfrxj" and any(c in _VOWELS for c in body[:-1]):
        tone = _TONE_BY_LETTER[body[-1]]
        body = body[:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if c == "d" and nxt == "d":
            out.append("đ")
            i += 2
        elif c in _TELEX_DOUBLE and nxt == c:
            out.append(_TELEX_DOUBLE[c])
            i += 2
        elif c == "u" and nxt == "o" and body[i + 2 : i + 3] == "w":
            out.append("ươ")
            i += 3
        elif c in _TELEX_W and nxt == "w":
            out.append(_TELEX_W[c])
            i += 2
        elif c == "w":
            if out and out[-1] == "ư" and False:
                pass
            out.append("ư")
            i += 1
        else:
            out.append(c)
            i += 1
    base = "".join(out)
    # "uow" written as "uwow": ưo + w handled above gives "ươ" already; "ưo" -> "ươ"
    base = base.replace("ưo", "ươ")
    return _apply_tone(base, tone)


def _vni(word: str) -> str | None:
    tone: str | None = None
    out: list[str] = []
    for c in word:
        if c in _VNI_TONE:
            if tone is not None:
                return None
            tone = _VNI_TONE[c]
        elif c in "6789":
            # "uo7" -> "ươ" (the 7 marks both vowels), before "o7" -> "ơ"; not after q ("quo7" is "quơ");
            # "u7o7" needs no rule: "ư" then "o7" -> "ơ"
            if c == "7" and out[-2:] == ["u", "o"] and out[-3:-2] != ["q"]:
                out[-2:] = ["ư", "ơ"]
                continue
            if not out or (out[-1], c) not in _VNI_MOD:
                return None
            out[-1] = _VNI_MOD[(out[-1], c)]
        else:
            out.append(c)
    base = "".join(out).replace("ưo", "ươ")
    return _apply_tone(base, tone)


def _dedup(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)


def repair_token(word: str) -> str:
    """Repair one lower-case NFC token with telex/VNI leftovers or a doubled key
    (``ddaats`` -> ``đất``, ``tamj`` -> ``tạm``, ``ho3i`` -> ``hỏi``, ``phườngg`` -> ``phường``).
    Returns the token unchanged when it is already a syllable or no repair yields one."""
    if len(word) < 2 or word in _LOANWORDS or is_syllable(word):
        return word
    if word.isascii():
        if "uu" in word and is_syllable(word.replace("uu", "ưu", 1)):
            return word  # hữu, lưu, cứu, bưu typed without diacritics: not a doubled key
        if word.isalpha():
            for cand in (_telex(word), _telex(_dedup_keep_telex(word))):
                if cand is not None:
                    return cand
        elif (
            word[0].isalpha() and any(c.isdigit() for c in word) and all(c.isalpha() or c in "123456789" for c in word)
        ):
            cand = _vni(word)
            if cand is not None:
                return cand
            return word
    deduped = _dedup(word)
    if deduped != word and is_syllable(deduped):
        return deduped
    return word


def _dedup_keep_telex(word: str) -> str:
    """Collapse doubled letters except the telex pairs aa/ee/oo/dd (and keep one extra)."""
    return re.sub(r"([^aeod])\1+", r"\1", word)


# --------------------------------------------------------------------------- abbreviations

# multi-word / punctuated forms, applied on the normalised (lower-case) text
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:tp\.?\s?hcm|tp\.?\s?hồ chí minh|thành phố hcm|tphcm|tp\.hcm|hcmc)\b"), "thành phố hồ chí minh"),
    # not the ward "Phường Sài Gòn" (2025), the river, the station or the port
    (
        re.compile(r"(?<!phường )(?<!sông )(?<!ga )(?<!cảng )(?<!chợ )(?<!cầu )(?<!bến )\bsài gòn\b"),
        "thành phố hồ chí minh",
    ),
    (re.compile(r"\bgd\s?(?:&|và|-)?\s?đt\b|\bgdđt\b"), "giáo dục và đào tạo"),
    (re.compile(r"\bnn\s?(?:&|và|-)\s?mt\b"), "nông nghiệp và môi trường"),
    (re.compile(r"\bkh\s?(?:&|và|-)\s?cn\b"), "khoa học và công nghệ"),
    (re.compile(r"\bvh\s?(?:&|và|-)\s?tt\b"), "văn hóa và thể thao"),
    (re.compile(r"\bqh\s?-\s?kt\b"), "quy hoạch kiến trúc"),
    (re.compile(r"\bthẻ căn cước công dân\b|\bcăn cước công dân\b|\bthẻ căn cước\b"), "căn cước"),
    (re.compile(r"\bchứng minh nhân dân\b|\bchứng minh thư\b"), "căn cước"),
    (re.compile(r"\bbằng lái xe\b|\bbằng lái\b"), "giấy phép lái xe"),
    (re.compile(r"\bgiấy chứng nhận quyền sử dụng đất(?: và quyền sở hữu nhà ở)?\b"), "sổ đỏ"),
    (re.compile(r"\bsổ hồng\b"), "sổ đỏ"),
    (re.compile(r"\bủy ban\b(?! nhân dân)"), "ủy ban nhân dân"),
    (re.compile(r"\b(?:p|f|ph)\.?\s?(\d{1,2})\b"), r"phường \1"),
    (re.compile(r"\bq\.?\s?(\d{1,2})\b"), r"quận \1"),
    (re.compile(r"\bp\.\s?(?=[^\W\d_])"), "phường "),
    (re.compile(r"\bq\.\s?(?=[^\W\d_])"), "quận "),
    (re.compile(r"\btp\.?\s(?=[^\W\d_])"), "thành phố "),
    (re.compile(r"\bxe bus\b"), "xe buýt"),
]

# single tokens (exact lower-case form) -> expansion
_TOKENS: dict[str, str] = {
    "ko": "không",
    "k": "không",
    "hông": "không",
    "hok": "không",
    "khg": "không",
    "kg": "không",
    "khong": "không",
    "hem": "không",
    "dc": "được",
    "đc": "được",
    "dk": "được",
    "đk": "đăng ký",
    "đky": "đăng ký",
    "dky": "đăng ký",
    "bn": "bao nhiêu",
    "bnhiu": "bao nhiêu",
    "j": "gì",
    "vs": "với",
    "mn": "mọi người",
    "mng": "mọi người",
    "tui": "tôi",
    "t": "tôi",
    "e": "em",
    "ad": "chương trình",
    "cty": "công ty",
    "tt": "thủ tục",
    "bh": "bảo hiểm",
    "bít": "biết",
    "bit": "biết",
    "nc": "nước",
    "ng": "người",
    "nguoi": "người",
    "ntn": "như thế nào",
    "sao": "sao",
    "trc": "trước",
    "r": "rồi",
    "ròi": "rồi",
    "lun": "luôn",
    "dụ": "vụ",
    "ubnd": "ủy ban nhân dân",
    "hđnd": "hội đồng nhân dân",
    "hdnd": "hội đồng nhân dân",
    "hcm": "thành phố hồ chí minh",
    "tphcm": "thành phố hồ chí minh",
    "sg": "thành phố hồ chí minh",
    "cccd": "căn cước",
    "cmnd": "căn cước",
    "cmt": "căn cước",
    "gplx": "giấy phép lái xe",
    "gpxd": "giấy phép xây dựng",
    "gcn": "giấy chứng nhận",
    "gcnqsdđ": "sổ đỏ",
    "qsdđ": "sổ đỏ",
    "gcnqsdd": "sổ đỏ",
    "qsdd": "sổ đỏ",
    "bhxh": "bảo hiểm xã hội",
    "bhyt": "bảo hiểm y tế",
    "bhtn": "bảo hiểm thất nghiệp",
    "lltp": "lý lịch tư pháp",
    "hkd": "hộ kinh doanh",
    "dn": "doanh nghiệp",
    "mst": "mã số thuế",
    "attp": "an toàn thực phẩm",
    "vsattp": "vệ sinh an toàn thực phẩm",
    "noxh": "nhà ở xã hội",
    "kp": "khu phố",
    "tdp": "tổ dân phố",
    "kdc": "khu dân cư",
    "csgt": "cảnh sát giao thông",
    "nđ": "nghị định",
    "qđ": "quyết định",
    "nq": "nghị quyết",
    "cv": "công văn",
    "pccc": "phòng cháy chữa cháy",
    "thpt": "trung học phổ thông",
    "thcs": "trung học cơ sở",
    "tnhh": "trách nhiệm hữu hạn",
    "đkkd": "đăng ký kinh doanh",
    "gpkd": "giấy phép kinh doanh",
    "lđtbxh": "lao động thương binh và xã hội",
    "tnmt": "tài nguyên và môi trường",
    "sđt": "",
    "sdt": "",
    "đt": "điện thoại",
    "dt": "điện thoại",
    "bus": "buýt",
    "online": "trực tuyến",
    "web": "trang web",
    "app": "ứng dụng",
    "trieu": "triệu",
    "tr": "triệu",
}


# Literal substrings without one of which a phrase pattern cannot match ("" : a digit is needed):
# most texts skip most patterns for the price of an ``in`` test.
_PHRASE_NEEDS: tuple[tuple[str, ...], ...] = (
    ("tp", "hcm", "thành phố hcm"),
    ("sài gòn",),
    ("gd",),
    ("nn",),
    ("kh",),
    ("vh",),
    ("qh",),
    ("căn cước",),
    ("chứng minh",),
    ("bằng lái",),
    ("giấy chứng nhận",),
    ("sổ hồng",),
    ("ủy ban",),
    ("",),
    ("",),
    ("p.",),
    ("q.",),
    ("tp",),
    ("xe bus",),
)
assert len(_PHRASE_NEEDS) == len(_PHRASES)
_DIGIT = re.compile(r"\d")


def _expand_phrases(text: str) -> str:
    for (pattern, repl), needs in zip(_PHRASES, _PHRASE_NEEDS, strict=True):
        if needs[0] == "":
            if _DIGIT.search(text) is None:
                continue
        elif not contains_any(text, needs):
            continue
        text = pattern.sub(repl, text)
    return text


TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
_TOKEN_SPLIT = re.compile(r"([^\W_]+)", re.UNICODE)
_CANON_CACHE: dict[str, str] = {}


def _canon_word(word: str) -> str:
    """Canonical form of one normalised token (abbreviation expanded, telex/VNI repaired), memoised."""
    out = _CANON_CACHE.get(word)
    if out is None:
        if word in _TOKENS:
            out = _TOKENS[word]
        elif word.isdigit():
            out = word
        else:
            fixed = repair_token(word)
            out = _TOKENS.get(fixed, fixed)
        if len(_CANON_CACHE) >= _CACHE_MAX:
            _CANON_CACHE.clear()
        _CANON_CACHE[word] = out
    return out


def _canon_token(match: re.Match[str]) -> str:
    return _canon_word(match.group(0))


def canonical(text: str) -> str:
    """:func:`normalize` plus telex/VNI repair of tokens that are not Vietnamese syllables and
    expansion of chat/government abbreviations (``ko`` -> ``không``, ``UBND`` -> ``ủy ban nhân
    dân``, ``TP.HCM`` -> ``thành phố hồ chí minh`` ...).  Idempotent; for matching only."""
    text = _expand_phrases(normalize(text))
    parts = _TOKEN_SPLIT.split(text)
    cache = _CANON_CACHE
    parts[1::2] = [c if (c := cache.get(w)) is not None else _canon_word(w) for w in parts[1::2]]
    text = _expand_phrases("".join(parts))
    return _MULTISPACE.sub(" ", text).strip()
