"""Vietnamese text normalisation: NFC, tone-mark style, folding, telex/VNI repair, abbreviations.

Public functions:

* :func:`normalize` -- NFC, one tone-mark style (``hòa``, ``khỏe``, ``thủy``), whitespace,
  zero-width and NBSP cleaned, lower case.  Idempotent.  Does not change words.
* :func:`fold` -- :func:`normalize` then diacritics removed and ``đ`` -> ``d``.  Idempotent.
* :func:`canonical` -- :func:`normalize` plus repair of telex/VNI leftovers (per token, only when
  the token is not a valid Vietnamese syllable) and expansion of chat and government
  abbreviations.  Used for matching and routing, never for display.
* :func:`match_text` -- the text used for matching: personal data, greetings, self-introductions,
  signatures and filler phrases removed, then :func:`canonical`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "canonical",
    "clean",
    "fold",
    "fold_char_table",
    "is_syllable",
    "match_pair",
    "match_text",
    "normalize",
    "repair_token",
    "strip_courtesies",
    "tokens",
]

# --------------------------------------------------------------------------- cleaning

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u3000\t\r\n\f\v"), " ")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_PUNCT = {
    ord("\u2026"): "...",
    ord("\u2018"): "'",
    ord("\u2019"): "'",
    ord("\u201c"): '"',
    ord("\u201d"): '"',
    ord("\u2013"): "-",
    ord("\u2014"): "-",
}
_CLEAN_TABLE: dict[int, str | int | None] = {**_ZERO_WIDTH, **_SPACES, **_FULLWIDTH, **_PUNCT}
_MULTISPACE = re.compile(r" {2,}")


_CLEAN_TRIGGER = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_CLEAN_TABLE)) + "]")


def clean(text: str) -> str:
    """NFC, zero-width characters dropped, NBSP/tabs/newlines to spaces, fullwidth ASCII to ASCII,
    typographic quotes/dashes/ellipsis to ASCII, runs of spaces collapsed, stripped.  Keeps case."""
    text = unicodedata.normalize("NFC", text)
    if _CLEAN_TRIGGER.search(text) is not None:  # str.translate costs ~50 ns a character
        text = text.translate(_CLEAN_TABLE)
    return _MULTISPACE.sub(" ", text).strip()


# --------------------------------------------------------------------------- tones

_TONES = {"\u0300": "f", "\u0301": "s", "\u0303": "x", "\u0309": "r", "\u0323": "j"}
_TONE_BY_LETTER = {v: k for k, v in _TONES.items()}
_VOWELS = set("aăâeêioôơuưy")
_MODIFIED = set("ăâêôơư")
_INITIALS = {
    "",
    "b",
    "c",
    "ch",
    "d",
    "đ",
    "g",
    "gh",
    "gi",
    "h",
    "k",
    "kh",
    "l",
    "m",
    "n",
    "ng",
    "ngh",
    "nh",
    "p",
    "ph",
    "qu",
    "r",
    "s",
    "t",
    "th",
    "tr",
    "v",
    "x",
}
_NUCLEI = {
    "a",
    "ă",
    "â",
    "e",
    "ê",
    "i",
    "o",
    "ô",
    "ơ",
    "u",
    "ư",
    "y",
    "ai",
    "ao",
    "au",
    "ay",
    "âu",
    "ây",
    "eo",
    "êu",
    "ia",
    "iê",
    "iu",
    "oa",
    "oă",
    "oe",
    "oi",
    "ôi",
    "ơi",
    "ua",
    "uâ",
    "uê",
    "ui",
    "uô",
    "uơ",
    "uy",
    "ưa",
    "ưi",
    "ưu",
    "ươ",
    "yê",
    "iêu",
    "oai",
    "oay",
    "oeo",
    "uây",
    "uôi",
    "uya",
    "uyê",
    "uyu",
    "ươi",
    "ươu",
    "yêu",
}
_FINALS = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}
_STOP_FINALS = {"c", "ch", "p", "t"}


def _split_syllable(base: str) -> tuple[str, str, str] | None:
    """Split a toneless lower-case syllable into (initial, nucleus, final), or None."""
    i = 0
    n = len(base)
    while i < n and base[i] not in _VOWELS:
        i += 1
    initial = base[:i]
    # "qu" and "gi": the u / i belongs to the consonant when another vowel follows
    if initial == "q" and i < n and base[i] == "u":
        initial, i = "qu", i + 1
    elif initial == "g" and i + 1 < n and base[i] == "i" and base[i + 1] in _VOWELS:
        initial, i = "gi", i + 1
    j = i
    while j < n and base[j] in _VOWELS:
        j += 1
    nucleus, final = base[i:j], base[j:]
    if initial not in _INITIALS or final not in _FINALS:
        return None
    if not nucleus:
        # "gì", "gìn": the i is the vowel
        if initial == "gi":
            return "g", "i", final
        return None
    if nucleus not in _NUCLEI:
        return None
    return initial, nucleus, final


def _tone_index(nucleus: str, final: str) -> int:
    """Index in the nucleus that carries the tone mark (new style: hòa, khỏe, thủy)."""
    if len(nucleus) == 1:
        return 0
    mods = [k for k, ch in enumerate(nucleus) if ch in _MODIFIED]
    if mods:
        return mods[-1]  # ươ -> ơ, uyê -> ê, iê -> ê
    if len(nucleus) == 3:
        return 1  # oai, oay, uya, uyu, oeo
    return 1 if final else 0  # hòa / hoàn, thủy / thuyền (ê rule above), mùa, gửi


def _strip_tone(word: str) -> tuple[str, list[str]]:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return base, tones


def _apply_tone(base: str, tone: str | None) -> str | None:
    """Put ``tone`` (a combining mark or None) on the syllable ``base``; None if not a syllable."""
    parts = _split_syllable(base)
    if parts is None:
        return None
    initial, nucleus, final = parts
    if tone is None:
        return base
    if final in _STOP_FINALS and tone not in ("\u0301", "\u0323"):
        return None
    k = _tone_index(nucleus, final)
    marked = unicodedata.normalize("NFC", nucleus[k] + tone)
    return initial + nucleus[:k] + marked + nucleus[k + 1 :] + final


def is_syllable(word: str) -> bool:
    """True when the lower-case ``word`` is a well-formed Vietnamese syllable (tone optional)."""
    base, tones = _strip_tone(word)
    if len(tones) > 1:
        return False
    return _apply_tone(base, tones[0] if tones else None) is not None


_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _retone(match: re.Match[str]) -> str:
    word = match.group(0)
    base, tones = _strip_tone(word)
    if len(tones) != 1:
        return word
    fixed = _apply_tone(base, tones[0])
    return fixed if fixed is not None else word


_WORD_SPLIT = re.compile(r"([^\W\d_]+)", re.UNICODE)
_CACHE_MAX = 200_000  # distinct words memoised per cache (Vietnamese has a small vocabulary)
_RETONE_CACHE: dict[str, str] = {}


def _retone_word(word: str) -> str:
    """:func:`_retone` of one word, memoised (the per-syllable parse costs ~10 µs)."""
    fixed = _RETONE_CACHE.get(word)
    if fixed is None:
        base, tones = _strip_tone(word)
        fixed = word
        if len(tones) == 1:
            fixed = _apply_tone(base, tones[0]) or word
        if len(_RETONE_CACHE) >= _CACHE_MAX:
            _RETONE_CACHE.clear()
        _RETONE_CACHE[word] = fixed
    return fixed


def normalize(text: str) -> str:
    """NFC, cleaned whitespace/zero-width/NBSP, lower case, one tone-mark style (new style:
    ``hòa``, ``khỏe``, ``thủy``; ``quý``, ``giá`` untouched).  Idempotent."""
    text = clean(text).lower()
    if text.isascii():  # no tone mark to move
        return text
    parts = _WORD_SPLIT.split(text)
    cache = _RETONE_CACHE
    parts[1::2] = [cache.get(w) or _retone_word(w) for w in parts[1::2]]
    return unicodedata.normalize("NFC", "".join(parts))


# --------------------------------------------------------------------------- folding


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x00C0, 0x1EFF + 1):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii() and base.isalpha():
            table[cp] = base
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    return table


_FOLD = _build_fold_table()


def fold_char_table() -> dict[int, str]:
    """The one-character-to-one-character folding table (length preserving on NFC text)."""
    return dict(_FOLD)


def fold(text: str) -> str:
    """:func:`normalize`, then Vietnamese diacritics removed and ``đ`` -> ``d``.  Idempotent.
    Other scripts and emoji are kept as they are."""
    return normalize(text).translate(_FOLD)


def _fold_raw(text: str) -> str:
    """Fold an NFC string character by character (same length, case kept)."""
    return text if text.isascii() else text.translate(_FOLD)


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
            if not out or (out[-1], c) not in _VNI_MOD:
                # "uo7" -> "ươ"
                if c == "7" and out and out[-1] == "o" and len(out) > 1 and out[-2] in "uư":
                    out[-2:] = ["ư", "ơ"]
                    continue
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
        elif not _hint(text, needs):
            continue
        text = pattern.sub(repl, text)
    return text


_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
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


# --------------------------------------------------------------------------- courtesies

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
_INTRO_HINTS = ("ten", " la ")


def _hint(text: str, hints: tuple[str, ...]) -> bool:
    for h in hints:  # noqa: SIM110 -- a plain loop: any() over a generator costs ~3x more here
        if h in text:
            return True
    return False


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
    shadow = _fold_raw(text).lower()
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
        for m in _INTRO.finditer(shadow) if _hint(shadow, _INTRO_HINTS) else ():
            after = text[m.end() :].split()
            if len(after) >= 2 and all(_NAME_WORD.match(w.strip(",.;:")) for w in after[:2]):
                end = _sentence_end(text, m.end())
                text = (text[: m.start()] + text[end:]).strip()
                shadow = _fold_raw(text).lower()
                break
        text = _strip_tail(text, shadow)
        if text == before:
            break
        shadow = _fold_raw(text).lower()
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
        m = _CONTACT.search(shadow) if _hint(shadow, _CONTACT_HINTS) else None
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
        m = _CLOSERS.search(shadow) if _hint(shadow, _CLOSER_HINTS) else None
        if m and m.start() > 0:
            text, shadow = text[: m.start()].rstrip(" ,"), shadow[: m.start()].rstrip(" ,")
            changed = True
    return text


# --------------------------------------------------------------------------- matching text

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
def _filler_pattern(extra: tuple[str, ...]) -> re.Pattern[str] | None:
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


def tokens(text: str) -> list[str]:
    """Word tokens (letters and digits) of an already normalised text."""
    return _TOKEN_RE.findall(text)


def match_text(text: str, fillers: Iterable[str] = ()) -> str:
    """Text used for matching: personal data removed (see :mod:`moderation.pii`), greetings,
    self-introductions and signatures stripped, then :func:`canonical`; filler phrases
    (defaults plus ``fillers``, compared folded) removed."""
    return match_pair(text, fillers)[0]


def match_pair(text: str, fillers: Iterable[str] = ()) -> tuple[str, str]:
    """:func:`match_text` and its folded form (same length), computed together.

    The last few results are remembered: a new question is matched against the duplicates and
    routed, and both start from this."""
    return _match_pair(text, tuple(fillers))


@lru_cache(maxsize=256)
def _match_pair(text: str, fillers: tuple[str, ...]) -> tuple[str, str]:
    from .pii import remove_pii

    stripped = strip_courtesies(remove_pii(text))
    if len(_TOKEN_RE.findall(stripped)) < 2:
        stripped = remove_pii(text)
    canon = canonical(stripped)
    folded = _fold_raw(canon)
    m = _GREETING.match(folded)
    if m and m.end() < len(folded):
        canon, folded = canon[m.end() :], folded[m.end() :]
    m = _OPENERS.match(folded)
    if m and m.end() < len(folded):
        canon, folded = canon[m.end() :], folded[m.end() :]
    m = _CLOSERS.search(folded) if _hint(folded, _CLOSER_HINTS) else None
    if m and m.start() > 0:
        canon, folded = canon[: m.start()], folded[: m.start()]
    pat = _filler_pattern(tuple(fillers))
    if pat is not None:
        pieces: list[str] = []
        fpieces: list[str] = []
        pos = 0
        for m in pat.finditer(folded):
            pieces.append(canon[pos : m.start()])
            fpieces.append(folded[pos : m.start()])
            pieces.append(" ")
            fpieces.append(" ")
            pos = m.end()
        if pos:
            pieces.append(canon[pos:])
            fpieces.append(folded[pos:])
            canon, folded = "".join(pieces), "".join(fpieces)
    # spaces and the stripped punctuation are folded to themselves: both stay aligned
    canon = _MULTISPACE.sub(" ", canon).strip(" ,.;:!?")
    folded = _MULTISPACE.sub(" ", folded).strip(" ,.;:!?")
    return canon, folded


# Folded words that carry no topic in any matcher (particles, pronouns, connectives); duplicates, routing
# and the answer match check each add the words that are noise for their own purpose.
BASE_STOP_WORDS = frozenset(
    "a ah ai bi cac cho co cua duoc em gi giup ha hay hoac khi khong la lai lam ma minh mot "
    "nao nay ne neu nhe nhieu nhung o oi qua roi thi toi u va vao vay voi xin".split()
)
