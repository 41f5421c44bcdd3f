"""People's names in Vietnamese citizen texts: where a name is, and where a capitalised sequence is a place.

Numbers have shapes; names do not. A name is found from its cue and its form together:

* the cue before it: a self-introduction (``tôi là``, ``em tên``, ``tên tôi là``, ``Tôi, X,``), a form label
  (``Họ tên:``, ``Người hỏi:``, ``chủ hộ``, ``đứng tên``, ``công dân``), a kinship or address term (``bà``,
  ``ông Tư``, ``chị``, ``em``) or a birth-order nickname (``bà Sáu Mai``);
* its place in the text: a signature on the last line or after a dash, a name in brackets, a name just
  before a phone number;
* its form: 1–5 Vietnamese syllables, capitalised when the text uses case (lower-case or unaccented names
  need a strong cue and a family name), a family name first when there is no cue.

Counter-cues keep a capitalised sequence visible: a place or institution word just before it (``đường``,
``phường``, ``trường``, ``bệnh viện``, ``Sở``), a house number before it (``27/4 Trần Hưng Đạo``), a list
that started as places (``đường Đồng Khởi, Lý Tự Trọng``), a public office's title, or a known place name
(``data/streets.txt``: streets and landmarks named after people; ``data/regions.txt``: provinces, cities,
countries; ``data/places.txt``: wards and communes).

:func:`find_names` returns the spans to mask; :func:`name_like_runs` the capitalised sequences a reader could
still take for a name (what an unreviewed public text hides, and what the moderator's card highlights).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .name_words import (
    ACRONYM_HEADS,
    FOLDED_GIVEN,
    FOLDED_HEADS,
    FOLDED_MIDDLE,
    FOLDED_NAME_SYLLABLES,
    FOLDED_NOT_GIVEN,
    FOLDED_REGIONS,
    FOLDED_STOP_AFTER,
    FOLDED_STREETS,
    FOLDED_SURNAMES,
    GIVEN_NAMES,
    KIN,
    KIN_AFTER_CUE,
    KIN_ASCII,
    MIDDLE_NAMES,
    NAME_LIKE_HEADS,
    NAME_SYLLABLES,
    NOT_GIVEN,
    NOT_HEADS,
    ORDER_WORDS,
    PERSON_BEFORE,
    PLACE_HEADS,
    PLACE_HEADS_2,
    PLACES,
    REGIONS,
    RUN_BREAKERS,
    STOP_AFTER,
    STREETS,
    SURNAMES,
    TITLES,
)
from .syllables import fold_char_table, folded_syllables, is_syllable, normalize

__all__ = ["find_names", "name_like_runs"]

_FOLD = fold_char_table()


def _not_given(w: _W) -> bool:
    return w.low in NOT_GIVEN if not w.plain else w.fold in FOLDED_NOT_GIVEN


def _stops(w: _W) -> bool:
    return w.low in STOP_AFTER if not w.plain else w.fold in FOLDED_STOP_AFTER


_WORD = re.compile(r"[^\W\d_]+")
_MARKED = re.compile(r"[À-ỹ]")  # a letter with a mark: the text is typed with diacritics
_SENTENCE_START = re.compile(r"[.!?:;\n|(\[\"“…•*–—-]\s*$")


@dataclass(slots=True)
class _W:
    start: int
    end: int
    text: str
    low: str
    fold: str
    cap: bool
    acronym: bool
    syl: bool
    gap: str  # what separates it from the previous word
    glued: bool  # touches a digit ("10A2", "F0"): part of a code, not a word
    plain: bool  # in a text typed without marks: compare folded ("minh" may be "mình" or "Minh")


@lru_cache(maxsize=8192)
def _syllable(low: str) -> bool:
    if low.isascii():  # typed without marks: any marks may be missing
        return low.replace("dd", "d") in folded_syllables()
    return is_syllable(low)


_INFO: dict[str, tuple[str, bool, bool, bool]] = {}


def _info(text: str) -> tuple[str, bool, bool, bool]:
    """(lower case, capitalised, acronym, syllable) of a word, memoised (a small vocabulary)."""
    low = normalize(text)  # lower case, one tone style ("thuỷ" -> "thủy"), as the word lists are written
    info = (low, text[0].isupper(), len(text) > 1 and text.isupper(), _syllable(low))
    if len(_INFO) >= 100_000:
        _INFO.clear()
    _INFO[text] = info
    return info


def _words_of(nfc: str, shadow: str) -> list[_W]:
    out: list[_W] = []
    prev = 0
    cache = _INFO
    plain = _MARKED.search(nfc) is None
    for m in _WORD.finditer(nfc):
        s, e = m.span()
        text = m.group()
        low, cap, acronym, syl = cache.get(text) or _info(text)
        glued = (s > 0 and nfc[s - 1].isdigit()) or (e < len(nfc) and nfc[e].isdigit())
        out.append(_W(s, e, text, low, shadow[s:e], cap, acronym, syl, nfc[prev:s], glued, plain))
        prev = e
    return out


def _caps_mode(nfc: str) -> bool:
    """Whether the text is written in capitals (then case says nothing about names)."""
    upper = sum(map(str.isupper, nfc))
    if upper < 8:
        return False
    letters = sum(map(str.isalpha, nfc))
    return letters >= 12 and upper >= 0.6 * letters


def _is_surname(w: _W) -> bool:
    return w.low in SURNAMES if not w.plain else w.fold in FOLDED_SURNAMES


def _is_given(w: _W) -> bool:
    return w.low in GIVEN_NAMES if not w.plain else w.fold in FOLDED_GIVEN


def _is_name_syllable(w: _W) -> bool:
    """A syllable that may follow a family name: a middle or a given name (or a second family name)."""
    if not w.plain:
        return w.low in MIDDLE_NAMES or w.low in NAME_SYLLABLES or w.low in SURNAMES or w.low in ORDER_WORDS
    return w.fold in FOLDED_NAME_SYLLABLES or w.fold in FOLDED_SURNAMES


def _is_middle(w: _W) -> bool:
    return w.low in MIDDLE_NAMES if not w.plain else w.fold in FOLDED_MIDDLE


def _common_word(w: _W) -> bool:
    """A capitalised word that opens a title or a noun phrase rather than a name ("Chủ", "Sinh", "Bà")."""
    return w.low in KIN or (_not_given(w) and not _is_surname(w))


class _Text:
    """One text prepared for name finding."""

    def __init__(self, nfc: str, shadow: str, blocked: bytearray | None = None) -> None:
        self.nfc = nfc
        self.shadow = shadow
        self.words = _words_of(nfc, shadow)
        self.caps = _caps_mode(nfc)
        self.accented = _MARKED.search(nfc) is not None
        # characters already found (numbers, e-mails): words there are not names
        self.blocked = blocked if blocked is not None else bytearray(len(nfc))
        self.index = {w.start: i for i, w in enumerate(self.words)}

    # -- word properties

    def nameword(self, i: int) -> bool:
        w = self.words[i]
        if not w.syl or w.glued or self.blocked[w.start]:
            return False
        if self.caps:
            return not _stops(w) or w.low in ORDER_WORDS
        return w.cap and not w.acronym

    def adjacent(self, i: int) -> bool:
        """Word ``i`` follows word ``i - 1`` with one space (same phrase)."""
        return i > 0 and self.words[i].gap in (" ", "\u00a0")

    def sentence_start(self, i: int) -> bool:
        if i == 0:
            return not self.nfc[: self.words[0].start].strip(" \t\"'“")
        return bool(_SENTENCE_START.search(self.nfc[self.words[i - 1].end : self.words[i].start]))

    def run_from(self, i: int, limit: int = 5) -> int:
        """End index (exclusive) of the capitalised run starting at word ``i``."""
        j = i
        while j < len(self.words) and j - i < limit and self.nameword(j) and (j == i or self.adjacent(j)):
            if j > i and self.breaks_run(j):
                break
            j += 1
        return j

    def head_word(self, j: int) -> bool:
        """Word ``j`` heads a place or an institution."""
        w = self.words[j]
        if w.acronym or (self.caps and w.fold in ACRONYM_HEADS and len(w.fold) > 2):
            return w.fold in ACRONYM_HEADS
        if not w.plain:
            head = w.low in PLACE_HEADS and not (w.cap and not self.caps and w.low in NAME_LIKE_HEADS)
        else:
            head = not w.cap and w.fold in FOLDED_HEADS
        if head and j > 0 and f"{self.words[j - 1].fold} {w.fold}" in NOT_HEADS:
            return False  # "gia đình", "hồ sơ"-like compounds: not a place
        if head and j + 1 < len(self.words) and f"{w.fold} {self.words[j + 1].fold}" in NOT_HEADS:
            return False
        return head

    def is_head(self, j: int) -> bool:
        """Word ``j`` (alone or with the next word) heads a place or an institution."""
        if self.head_word(j):
            return True
        w = self.words[j]
        return j + 1 < len(self.words) and f"{w.fold} {self.words[j + 1].fold}" in PLACE_HEADS_2

    def breaks_run(self, j: int) -> bool:
        w = self.words[j]
        return w.low in RUN_BREAKERS or (
            j + 1 < len(self.words) and w.cap and f"{w.fold} {self.words[j + 1].fold}" in PLACE_HEADS_2
        )

    def fold_of(self, i: int, j: int) -> str:
        return " ".join(w.fold for w in self.words[i:j])

    # -- counter-cues

    def known_place(self, i: int, j: int) -> bool:
        """Words ``i:j`` (or a tail of two or more of them, "Chợ Bà Chiểu") name a known place."""
        plain = self.words[i].plain
        streets, regions = (FOLDED_STREETS, FOLDED_REGIONS) if plain else (STREETS, REGIONS)
        for k in range(i, max(i + 1, j - 1)):
            name = " ".join((w.fold if plain else w.low) for w in self.words[k:j])
            if name in streets or name in regions or name.translate(_FOLD) in PLACES:
                return True
        return False

    def region(self, i: int, j: int) -> bool:
        """Words ``i:j`` name a province, a country or a ward: never a person."""
        plain = self.words[i].plain
        name = " ".join((w.fold if plain else w.low) for w in self.words[i:j])
        return name in (FOLDED_REGIONS if plain else REGIONS) or name.translate(_FOLD) in PLACES

    def place_context(self, i: int) -> bool:
        """A place/institution head or an office's title in the same phrase, just before word ``i``."""
        k = i - 1
        seen = 0
        while k >= 0 and seen < 4:
            gap = self.words[k + 1].gap
            if gap.strip(" ") and gap.strip(" ") not in ("&", "'"):
                break
            w = self.words[k]
            if w.fold in PERSON_BEFORE and not w.cap:
                return False  # "hồ sơ của …", "nhờ …", "gửi …": a person is meant after these
            if self.is_head(k):
                return True
            if k >= 1 and (
                f"{self.words[k - 1].fold} {w.fold}" in PLACE_HEADS_2 or f"{self.words[k - 1].fold} {w.fold}" in TITLES
            ):
                return True
            k -= 1
            seen += 1
        return False

    def after_house_number(self, i: int) -> bool:
        """Word ``i`` follows a house number ("27/4 Trần Hưng Đạo", "ở 88 Lê Lợi", "[số nhà] Lê Lợi")."""
        before = self.nfc[max(0, self.words[i].start - 14) : self.words[i].start]
        return bool(re.search(r"(?:\d[\w/.\-]*|\[số nhà\])\s$", before))

    def after_place_list(self, i: int, protected_ends: set[int]) -> bool:
        """Word ``i`` continues a list whose previous item was a place ("đường Đồng Khởi, Lý Tự Trọng")."""
        if i == 0:
            return False
        gap = self.words[i].gap.strip()
        prev_end = self.words[i - 1].end
        if gap in (",", "–", "-", "—", "/", "&") and prev_end in protected_ends:
            return True
        if self.words[i - 1].fold in ("va", "hoac", "voi", "den", "qua", "sang") and i >= 2:
            return self.words[i - 2].end in protected_ends
        return False


# ------------------------------------------------------------------------------------------- cues

# Self-introductions and the names of relatives: "tôi là", "em tên", "tên tôi là", "con gái tôi là".
_INTRO = re.compile(
    r"\b(?:(?:toi|tui|em|minh|chau|con|to|chung toi|anh|chi|co|chu|bac|ong|ba)\s+(?:ten\s+la|ten\s+that\s+la|ten|la)"
    r"|ten\s+(?:toi|tui|em|minh|chau|con|ong|ba|cua toi)\s+la|ho\s+ten\s+(?:toi\s+)?la)\s+"
)
# "Tôi, Hà Minh Nhật, …", "chồng tôi (Lưu Văn Đạt)", "Con gái tôi, Hầu Ngọc Châu, …"
_APPOSITION = re.compile(r"\b(?:toi|tui|em|minh|chau)\s*(?:,|\()\s*")
# Form labels and roles that carry the person's name.
_LABEL = re.compile(
    r"(?:^|(?<=[\s|(\[;,.:]))(?:ho va ten|ho ten|ten nguoi gui|ten nguoi hoi|nguoi hoi|nguoi gui|nguoi phan anh"
    r"|nguoi lien he|nguoi lien lac|nguoi viet|nguoi de nghi|nguoi khieu nai|nguoi to cao|nguoi yeu cau|nguoi bao"
    r"|nguoi ky|ky ten|nguoi dung ten|dung ten|ten chu tai khoan|ten chu tk|ten tai khoan|ten tk|chu tai khoan"
    r"|chu tk|chu ho|chu nha|chu xe|cong dan|ten|nguoi goi|nguoi nhan|ho ten nguoi (?:gui|hoi))"
    r"(?:\s*:\s*|\s+-\s+|\s+)"
)
_STRONG_LABEL = re.compile(r"\s*[:\-]\s*$")
_KIN_PAIR = re.compile(r"^(?:cu ong|cu ba|ong ba|anh chi|co chu|co bac|chu bac|ba con)$")
_PHONE_AFTER = re.compile(r"^\s*(?:[-–—:,(]\s*)?(?:\[số điện thoại\]|\+?\(?\d[\d .\-()]{7,})")


def _strong_lower_name(t: _Text, i: int, strong: bool = True) -> int:
    """End of a lower-case (or unaccented, or capitals) name at word ``i`` after a cue, or ``i``: a family
    name then given-name syllables ("dương thị kim phượng"); after a strong cue also given names alone
    ("mình là thu trang ở …")."""
    words = t.words
    j = i
    while j < len(words) and j - i < 4 and (j == i or t.adjacent(j)) and words[j].syl:
        # after a family name and a middle name the next syllable is the given name, whatever it means
        # as a word ("nguyen van tai", "nguyễn thị lựu")
        given_slot = j == i + 2 and _is_middle(words[i + 1])
        middle_slot = j == i + 1 and _is_surname(words[i]) and _is_middle(words[j])  # "thi" is "Thị" here
        if j > i and _stops(words[j]) and not given_slot and not middle_slot:
            break
        if j > i + 2 and not _is_name_syllable(words[j]):
            break
        j += 1
    n = j - i
    if n >= 3 and _is_surname(words[i]):
        if _is_middle(words[i + 1]):
            return j  # "nguyễn văn an", "dương thị kim phượng"
        if (strong or t.caps) and all(_is_name_syllable(w) for w in words[i + 1 : j]):
            return j  # "doan minh khoa"
    if strong and 1 <= n <= 3 and all(_is_given(w) or w.low in ORDER_WORDS for w in words[i:j]) and _ends_clause(t, j):
        return j
    return i


def _ends_clause(t: _Text, j: int) -> bool:
    if j >= len(t.words):
        return True
    gap = t.words[j].gap.strip()
    return bool(gap) or _stops(t.words[j])


def _one_word_ok(t: _Text, i: int, *, after_kin: bool = False) -> bool:
    """A single capitalised word after a cue is a name unless it starts a title or a noun ("tôi là Chủ
    tịch", "tôi là Nhân viên …"): after "tôi là" the clause must end with it; after a kinship term ("thầy
    Tuấn dạy …", "chị Hằng ơi") any word may follow."""
    w = t.words[i]
    if (_not_given(w) and w.low not in ORDER_WORDS) or t.region(i, i + 1):
        return False
    return after_kin or _ends_clause(t, i + 1)


def _name_after_cue(
    t: _Text, pos: int, *, strong: bool, kin_allowed: bool = True, after_kin: bool = False
) -> tuple[int, int] | None:
    """The name that starts at the first word at or after ``pos`` (spaces, ':' or '-' between), as word indexes."""
    words = t.words
    k = next((n for n, w in enumerate(words) if w.start >= pos), None)
    if k is None or t.nfc[pos : words[k].start].strip(" :-–\t"):
        return None
    # "cụ ông Từ Văn Hậu", "là bà Tôn Nữ Thu Vân", "chị Bạch Tuyết Mai"
    steps = 0
    if kin_allowed:
        while (
            k + 1 < len(words)
            and steps < 2
            and (words[k].low in KIN or (not t.accented and words[k].fold in KIN_AFTER_CUE))
            and (not words[k].cap or t.caps or k == 0 or t.sentence_start(k) or strong)
            and t.adjacent(k + 1)
        ):
            k += 1
            steps += 1
    w = words[k]
    order_name = w.low in ORDER_WORDS and k + 1 < len(words) and t.adjacent(k + 1)
    if order_name and (t.nameword(k + 1) or t.caps) and (t.caps or w.cap):
        return (k, k + 2 if t.caps else t.run_from(k + 1, 3))  # "bà Sáu Mai", "CÔ TƯ NGA"
    if t.caps:
        end = _strong_lower_name(t, k, strong)
        return (k, end) if end > k else None
    if t.nameword(k):
        end = t.run_from(k)
        if end - k == 1 and not _one_word_ok(t, k, after_kin=after_kin or steps > 0):
            return None
        if t.known_place(k, end) and not strong:
            return None
        return (k, end)
    if strong and w.cap and not w.acronym and w.text.isascii():
        # a foreign name after "em là", "tôi tên" ("em là Lily, 20 tuổi")
        j = k
        while j < len(words) and j - k < 3 and (j == k or t.adjacent(j)) and words[j].cap and words[j].text.isascii():
            j += 1
        if not any(x.acronym for x in words[k:j]) and _ends_clause(t, j):
            return (k, j)
    if strong or not t.accented:
        end = _strong_lower_name(t, k, strong)
        if end > k:
            return (k, end)
    return None


def _cue_ok(t: _Text, start: int) -> bool:
    """A cue counts when written in lower case, at the start of a sentence, or in an all-capitals text."""
    if t.caps:
        return True
    i = t.index.get(start)
    if i is None:
        return True
    w = t.words[i]
    return not w.cap or t.sentence_start(i)


def find_names(nfc: str, shadow: str, blocked: bytearray) -> list[tuple[int, int]]:
    """``[start, end)`` spans of people's names in ``nfc`` (``shadow``: its folded lower-case twin; ``blocked``:
    one byte per character, non-zero where another finding already is)."""
    t = _Text(nfc, shadow, blocked)
    words = t.words
    if not words:
        return []
    found: dict[int, int] = {}  # first word index -> end word index

    def take(span: tuple[int, int] | None) -> None:
        if span is not None and span[1] > span[0]:
            a, b = span
            if found.get(a, 0) < b:
                found[a] = b

    # 1. cues
    for m in _INTRO.finditer(shadow):
        if _cue_ok(t, m.start()):
            take(_name_after_cue(t, m.end(), strong=True))
    for m in _APPOSITION.finditer(shadow):
        if _cue_ok(t, m.start()):
            span = _name_after_cue(t, m.end(), strong=False, kin_allowed=True)
            if span and span[1] - span[0] >= 2:
                take(span)
    for m in _LABEL.finditer(shadow):
        if not _cue_ok(t, m.start()):
            continue
        strong = bool(_STRONG_LABEL.search(shadow[m.start() : m.end()])) or shadow[m.start() : m.start() + 3] != "ten"
        if shadow[m.start() : m.end()].strip() == "ten" and not _STRONG_LABEL.search(shadow[m.start() : m.end()]):
            prev = shadow[max(0, m.start() - 8) : m.start()]
            if re.search(r"(?:dat|doi|mang|ghi|cai|ky|sang|chuyen|trung)\s$", prev):
                continue  # "đặt tên", "đổi tên", "mang tên": a street or a school is meant
        take(_name_after_cue(t, m.end(), strong=strong, after_kin=True))
    for i, w in enumerate(words[:-1]):
        kin = w.low in KIN or (not t.accented and w.fold in KIN_ASCII)
        if not kin or not t.adjacent(i + 1):
            continue
        if w.cap and not (t.caps or t.sentence_start(i)):
            continue  # "chợ Bà Chiểu", "cầu Ông Lãnh": part of a proper noun
        if i + 2 < len(words) and _KIN_PAIR.match(f"{w.fold} {words[i + 1].fold}"):
            continue
        span = _name_after_cue(t, words[i + 1].start, strong=False, kin_allowed=False, after_kin=True)
        if span and not t.known_place(i, span[1]) and not t.place_context(i):
            take(span)

    # 2. positions: brackets, before a phone number, signatures
    protected_ends: set[int] = set()
    runs = _runs(t)
    for i, j in runs:
        if _protected(t, i, j, protected_ends):
            protected_ends.add(words[j - 1].end)
            continue
        n = j - i
        before = nfc[max(0, words[i].start - 2) : words[i].start]
        after = nfc[words[j - 1].end : words[j - 1].end + 2]
        bracketed = re.search(r"[(\[]\s*$", before) and re.match(r"\s*[)\],]", after)
        if bracketed and not t.caps and (n >= 2 or _one_word_ok(t, i)):
            take((i, j))  # "(Tuệ Nhi)", "(Quan Văn Sự, 76 tuổi)"
            continue
        before_phone = _PHONE_AFTER.match(nfc[words[j - 1].end : words[j - 1].end + 24])
        if before_phone and not t.caps and (n >= 2 or (not t.sentence_start(i) and _one_word_ok(t, i))):
            take((i, j))  # "Lục Minh Tâm – 0916 …", "chị Mơ 0903 …"
            continue
        # 3. form: a capitalised run of three or more syllables that starts with a family name
        if not t.caps and n >= 3 and _is_surname(words[i]):
            take((i, j))
            continue
        if not t.caps and n == 2 and _is_surname(words[i]) and _is_middle(words[i + 1]):
            take((i, j))
    take(_signature(t))
    spans: list[tuple[int, int]] = []
    for a, b in sorted(found.items()):
        if spans and a < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
            continue
        spans.append((a, b))
    return [(words[a].start, words[b - 1].end) for a, b in spans]


def _runs(t: _Text) -> list[tuple[int, int]]:
    """Capitalised runs, each at most five words and not starting with a place head."""
    out = []
    i = 0
    n = len(t.words)
    while i < n:
        if not t.nameword(i) or t.is_head(i):
            i += 1
            continue
        if _common_word(t.words[i]) and t.sentence_start(i):
            i += 1  # "Cụ Đào Thị Lệ", "Bà Năm …": the opening word is not part of the name
            continue
        j = t.run_from(i)
        out.append((i, j))
        i = j
    return out


def _protected(t: _Text, i: int, j: int, protected_ends: set[int]) -> bool:
    """The run ``i:j`` names a place, an institution or a public figure's office."""
    return t.place_context(i) or t.after_house_number(i) or t.known_place(i, j) or t.after_place_list(i, protected_ends)


_CLOSING = re.compile(
    r"\b(?:cam on|tran trong|kinh thu|than ai|tham chao|chuc suc khoe|thanks?|thank you)\b[^.!?\n,]{0,30}[,.!]*\s*$"
)
_SIGNATURE_LABEL = frozenset("nguoi gui ky ten tu viet".split())


def _signature(t: _Text) -> tuple[int, int] | None:
    """A name that signs the text: alone on the last line, after a dash at the end ("… Thank you! - Lina
    Pham"), or after a closing formula ("Trân trọng, Đoàn Thị Mỹ Linh", "xin cam on, nguyen van hai")."""
    nfc = t.nfc
    starts: list[int] = []
    body = nfc.rstrip()
    last_break = body.rfind("\n")
    if last_break > 0 and body[:last_break].strip():
        starts.append(last_break + 1)
    for m in re.finditer(r"(?:^|\s)[-–—]+\s+", body):
        if not re.search(r"[.!?]", body[m.end() :]):
            starts.append(m.end())
            break
    for m in re.finditer(r"[,.!\n]", body):
        if _CLOSING.search(t.shadow[max(0, m.start() - 45) : m.end()]):
            starts.append(m.end())
    for start in starts:
        span = _signature_at(t, start)
        if span is not None:
            return span
    return None


def _signature_at(t: _Text, start: int) -> tuple[int, int] | None:
    words = t.words
    nfc = t.nfc
    k = next((n for n, w in enumerate(words) if w.start >= start), None)
    if k is None or len(nfc[start:].strip()) > 60:
        return None
    # a label or a kinship term before the name ("Người gửi: …", "cụ ông …")
    while (
        k < len(words) - 1
        and (words[k].fold in _SIGNATURE_LABEL or words[k].low in KIN)
        and not (words[k].cap and words[k].fold not in _SIGNATURE_LABEL and words[k].low not in KIN)
    ):
        k += 1
    dashed = bool(re.search(r"[-–—]\s*$", nfc[:start]))
    j = k
    while j < len(words) and j - k < 5 and (j == k or t.adjacent(j)) and words[j].cap and not t.caps:
        if words[j].acronym or (not words[j].syl and not dashed):
            break
        j += 1
    if j == k:
        j = _strong_lower_name(t, k, strong=True)
        if j - k < 2 or not _is_surname(words[k]):
            return None
    elif j - k < 2:
        return None
    rest = nfc[words[j - 1].end :].strip()
    if rest and not re.match(r"^[,\-–—(]", rest) and not _PHONE_AFTER.match(rest):
        return None
    if t.is_head(k) or t.known_place(k, j) or _common_word(words[k]):
        return None
    return (k, j)


def name_like_runs(nfc: str, shadow: str) -> list[tuple[int, int]]:
    """Capitalised sequences a reader could take for a person's name: runs of capitalised Vietnamese
    syllables that are not the one word opening a sentence and not right after a place or institution word.
    In a text written in capitals, runs of two or more words that start with a family name."""
    t = _Text(nfc, shadow)
    out = []
    for i, j in _runs(t):
        if t.caps:
            if j - i >= 2 and _is_surname(t.words[i]) and not t.place_context(i) and not t.after_house_number(i):
                out.append((t.words[i].start, t.words[j - 1].end))
            continue
        if j - i == 1 and t.sentence_start(i):
            continue
        if t.region(i, j):
            continue  # "Việt Nam", "Tây Ninh", "Bình Tân": never a person
        if t.sentence_start(i) and (
            _common_word(t.words[i]) or not (_is_surname(t.words[i]) or _is_name_syllable(t.words[i]))
        ):
            i += 1  # "Nhờ Lan Anh …", "Bà Năm …": the word opening the sentence is a common word
            if i >= j:
                continue
        if i > 0 and t.adjacent(i) and t.is_head(i - 1):
            continue
        if i > 1 and t.adjacent(i) and f"{t.words[i - 2].fold} {t.words[i - 1].fold}" in PLACE_HEADS_2:
            continue
        out.append((t.words[i].start, t.words[j - 1].end))
    return out
