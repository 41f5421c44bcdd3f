"""The city's 168 current wards and communes (since 01/7/2025) and the old units each was formed from."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from moderation import fold, normalize

WARDS_FILE = Path(__file__).resolve().parent.parent / "data" / "wards-hcmc.json"


@dataclass(frozen=True)
class Ward:
    code: str
    name: str
    kind: str
    formed_from: tuple[str, ...]
    partly_from: tuple[str, ...]
    former_district: str


@cache
def all_wards() -> tuple[Ward, ...]:
    data = json.loads(WARDS_FILE.read_text(encoding="utf-8"))
    return tuple(
        Ward(
            code=item["code"],
            name=item["name"],
            kind=item["kind"],
            formed_from=tuple(item.get("formed_from", [])),
            partly_from=tuple(item.get("partly_from", [])),
            former_district=item.get("former_district", ""),
        )
        for item in data
    )


@cache
def wards_by_code() -> dict[str, Ward]:
    return {ward.code: ward for ward in all_wards()}


def ward_by_name(name: str) -> Ward | None:
    """Exact (case-insensitive) lookup by the official name, e.g. "Phường Sài Gòn"."""
    wanted = name.strip().casefold()
    return next((w for w in all_wards() if w.name.casefold() == wanted), None)


@cache
def wards_sorted_by_name() -> tuple[Ward, ...]:
    """All wards in the order Vietnamese readers expect (accents ignored, then as written)."""
    import unicodedata

    def key(ward: Ward) -> tuple[str, str]:
        base = unicodedata.normalize("NFD", ward.name.replace("Đ", "D").replace("đ", "d"))
        return ("".join(ch for ch in base if not unicodedata.combining(ch)).casefold(), ward.name)

    return tuple(sorted(all_wards(), key=key))


# --------------------------------------------------------------------------- search for the question form
#
# See /work/shared/data/wards-hcmc.md, "How to use it on the form".  Everything is matched on folded text
# (lower case, no diacritics, đ -> d, "qui" -> "quy"); the indexes are built once.


@dataclass(frozen=True)
class WardMatch:
    ward: Ward
    hint: str  # grey hint under the name, e.g. "trước đây: Quận Gò Vấp" or "gồm một phần Phường 12 (Quận Gò Vấp)"
    partial: bool  # reached through an old unit that was split (in partly_from): the citizen must choose


@dataclass(frozen=True)
class WardSearch:
    matches: list[WardMatch]
    kind: str  # "name", "old_ward", "old_district" or "none"
    ambiguous: bool  # a split old ward or an ambiguous alias ("BT"): show every candidate, never pick one


@dataclass(frozen=True)
class _OldUnit:
    ward: int  # index into all_wards()
    entry: str  # the old unit without its district, e.g. "Phường 12"
    district: str  # e.g. "Quận Gò Vấp" or "Thành phố Dĩ An, tỉnh Bình Dương"
    kind: str  # folded: "phuong", "xa", "thi tran", "huyen"
    partial: bool


@dataclass(frozen=True)
class _Index:
    names: tuple[tuple[str | None, str], ...]  # (folded kind, folded core name) per ward, in all_wards() order
    accented: tuple[str, ...]  # normalize()d core name per ward: "thạnh an" ranks Thạnh An before Thanh An
    old_by_core: dict[str, tuple[_OldUnit, ...]]  # folded old core name -> old units (every district)
    districts: dict[str, str]  # folded district core ("go vap", "7", "di an") -> district label
    by_district: dict[str, tuple[_OldUnit, ...]]  # district label -> old units in it


_ENTRY = re.compile(r"^(Phường|Xã|Thị trấn|Huyện|Đặc khu) (.+?) \((.+)\)$")
_WARD_KINDS = ("phuong", "xa", "thi tran", "dac khu")
_DISTRICT_KINDS = ("quan", "huyen", "thanh pho")
_DISTRICT_ALIASES: dict[str, tuple[str, ...]] = {
    "2": ("thu duc",),
    "9": ("thu duc",),
    "gv": ("go vap",),
    "bt": ("binh thanh", "binh tan"),
    "long dien": ("long dat",),
    "dat do": ("long dat",),
}
_PROVINCE_SEGMENTS = frozenset({"binh duong", "ba ria vung tau", "brvt", "br vt", "vn"})


def _key(text: str) -> str:
    """Folded search key: lower case, no diacritics, punctuation to spaces, "qui" -> "quy", no leading zeros."""
    text = re.sub(r"[^a-z0-9]+", " ", fold(text))
    text = re.sub(r"\bqui\b", "quy", text)
    return re.sub(r"\b0+(\d)", r"\1", text).strip()


def _split_kind(key: str, kinds: tuple[str, ...]) -> tuple[str | None, str]:
    for kind in kinds:
        if key == kind:
            return kind, ""
        if key.startswith(kind + " "):
            return kind, key[len(kind) + 1 :]
    return None, key


@cache
def _index() -> _Index:
    wards = all_wards()
    names = tuple(_split_kind(_key(w.name), _WARD_KINDS) for w in wards)
    accented = tuple(normalize(w.name).split(" ", 2 if w.kind == "đặc khu" else 1)[-1] for w in wards)
    old_by_core: dict[str, list[_OldUnit]] = {}
    districts: dict[str, str] = {}
    by_district: dict[str, list[_OldUnit]] = {}
    for i, ward in enumerate(wards):
        partly = set(ward.partly_from)
        for item in ward.formed_from:
            m = _ENTRY.match(item)
            if m is None:  # pragma: no cover - the data file is checked by the tests
                continue
            kind_word, name, district = m.groups()
            kind, core = _split_kind(_key(f"{kind_word} {name}"), (*_WARD_KINDS, "huyen"))
            unit = _OldUnit(i, f"{kind_word} {name}", district, kind or "", item in partly)
            if kind == "huyen":  # Huyện Côn Đảo is an old district in its own right
                district = f"{kind_word} {name}, {district}"
                unit = _OldUnit(i, unit.entry, district, "huyen", unit.partial)
            else:
                old_by_core.setdefault(core, []).append(unit)
            label = district.split(",")[0]
            if not label.startswith("tỉnh"):
                districts.setdefault(_split_kind(_key(label), _DISTRICT_KINDS)[1], district)
                by_district.setdefault(district, []).append(unit)
    return _Index(
        names=names,
        accented=accented,
        old_by_core={k: tuple(v) for k, v in old_by_core.items()},
        districts=districts,
        by_district={k: tuple(v) for k, v in by_district.items()},
    )


_CU = re.compile(r"\(\s*cũ\s*\)|\bcũ\b")
_HCM = re.compile(r"(?:\b(?:tp|thanh\s*pho)\s*\.?\s*)?\b(?:hcmc?|ho\s*chi\s*minh)\b|\btphcm\b|\bviet\s*nam\b")
_PROVINCE = re.compile(
    r"\b(?:tinh\s+)?(?:ba\s*ria\s*-\s*vung\s*tau|brvt|br\s*-\s*vt)\b|\btinh\s+(?:binh\s*duong|ba\s*ria\s*vung\s*tau)\b"
)
_REWRITES = (
    (re.compile(r"\(\s*cu\s*\)|\bcu\b(?!\s*chi\b)"), " "),  # "cu" typed without accents, but not "Củ Chi"
    (re.compile(r"\bthi\s*xa\b\.?|\btx\b\.?"), " thanh pho "),
    (re.compile(r"\btp\b\.?"), " thanh pho "),
    (re.compile(r"\b(?:p|f|phuong)\s*\.?\s*0*(\d+)\b"), r" phuong \1 "),
    (re.compile(r"\b(?:q|quan)\s*\.?\s*0*(\d+)\b"), r" quan \1 "),
    (re.compile(r"\bq\b\.?"), " quan "),
    (re.compile(r"\b[pf]\b\.?"), " phuong "),
    (re.compile(r"\bh\b\.?"), " huyen "),
    (re.compile(r"\bx\b\.?"), " xa "),
    (re.compile(r"\btt\b\.?"), " thi tran "),
)


def _normalise_query(query: str) -> list[str]:
    """What the citizen typed -> folded segments (split on commas), abbreviations expanded, noise dropped."""
    text = _CU.sub(" ", unicodedata.normalize("NFC", query).lower())
    text = fold(text)
    text = _HCM.sub(" ", text)
    text = _PROVINCE.sub(" ", text)
    for pattern, repl in _REWRITES:
        text = pattern.sub(repl, text)
    segments = [_key(part) for part in re.split(r"[,;]", text)]
    segments = [s for s in segments if s]
    # "..., Bình Dương": a province after the unit (but "Phường Bình Dương" on its own is a ward)
    return [s for i, s in enumerate(segments) if i == 0 or s not in _PROVINCE_SEGMENTS]


def _districts_for(key: str) -> tuple[str, ...]:
    """District labels for "quan go vap", "go vap", "q 2" (already expanded), "gv", "bt" (two)."""
    _, core = _split_kind(key, _DISTRICT_KINDS)
    index = _index()
    cores = _DISTRICT_ALIASES.get(core, (core,))
    return tuple(index.districts[c] for c in cores if c in index.districts)


def _old_units(key: str, districts: tuple[str, ...] | None = None) -> list[_OldUnit]:
    """Old units named ``key`` ("phuong 12", "an phu", "xa tan kien"), optionally only in ``districts``."""
    kind, core = _split_kind(key, _WARD_KINDS)
    if not core:
        return []
    found = [u for u in _index().old_by_core.get(core, ()) if districts is None or u.district in districts]
    same_kind = [u for u in found if u.kind == kind]
    return same_kind or found


def _describe(units: list[_OldUnit]) -> str:
    """ "gồm Phường 1, Phường 3 (Quận Gò Vấp); một phần Xã Tân Kiên (Huyện Bình Chánh)"."""
    groups: list[tuple[str, bool, list[str]]] = []
    for unit in sorted(units, key=lambda u: u.partial):
        if groups and groups[-1][0] == unit.district and groups[-1][1] == unit.partial:
            groups[-1][2].append(unit.entry)
        else:
            groups.append((unit.district, unit.partial, [unit.entry]))
    parts = [f"{'một phần ' if partial else ''}{', '.join(names)} ({district})" for district, partial, names in groups]
    return "gồm " + "; ".join(parts)


def _group_by_ward(units: list[_OldUnit], *, partial_if_all: bool) -> list[WardMatch]:
    """One match per new unit; full contributions first, then file order."""
    wards = all_wards()
    by_ward: dict[int, list[_OldUnit]] = {}
    for unit in units:
        by_ward.setdefault(unit.ward, []).append(unit)
    rows = []
    for i, group in by_ward.items():
        flags = [u.partial for u in group]
        partial = all(flags) if partial_if_all else any(flags)
        rows.append((partial, i, WardMatch(wards[i], _describe(group), partial)))
    rows.sort(key=lambda row: (row[0], row[1]))
    return [row[2] for row in rows]


def _district_matches(districts: tuple[str, ...]) -> list[WardMatch]:
    units = [u for d in districts for u in _index().by_district.get(d, ())]
    matches = _group_by_ward(units, partial_if_all=True)
    primary = [m for m in matches if not m.partial and m.ward.former_district in districts]
    return primary + [m for m in matches if m not in primary]


def _name_tiers(key: str, raw: str = "") -> list[list[int]]:
    """Indexes of the wards whose name matches ``key``: [exact, prefix, contains], each best first.  ``raw`` is
    the query with its accents (normalize()d): a name written there with the same accents ranks first."""
    kind, core = _split_kind(key, _WARD_KINDS)
    tiers: list[list[tuple[bool, bool, int, int]]] = [[], [], []]
    accented = _index().accented
    if not core:
        return [[], [], []]
    padded = " " + core
    for i, (ward_kind, name) in enumerate(_index().names):
        if name == core:
            tier = 0
        elif name.startswith(core):
            tier = 1
        elif padded in " " + name:  # at a word start: "hoi tay" finds "An Hội Tây", "an phu" not "Tân Phú"
            tier = 2
        else:
            continue
        tiers[tier].append((accented[i] not in raw, kind is not None and kind != ward_kind, len(name), i))
    return [[i for *_, i in sorted(tier)] for tier in tiers]


def _merge(*groups: list[WardMatch]) -> list[WardMatch]:
    seen: set[str] = set()
    out = []
    for group in groups:
        for match in group:
            if match.ward.code not in seen:
                seen.add(match.ward.code)
                out.append(match)
    return out


def _by_name(key: str, raw: str, limit: int, districts: tuple[str, ...] = ()) -> WardSearch | None:
    """A current unit by name; units formed from the same-named old district / old ward come after the exact hit."""
    wards = all_wards()
    exact, prefix, contains = _name_tiers(key, raw)
    if not (exact or prefix or contains):
        return None

    def plain(indexes: list[int]) -> list[WardMatch]:
        hits = [WardMatch(wards[i], _former_hint(wards[i]), partial=False) for i in indexes]
        if districts:  # "Phường An Hội Tây, Gò Vấp": units touching the district first
            touching = {m.ward.code for m in _district_matches(districts)}
            hits.sort(key=lambda m: m.ward.code not in touching)
        return hits

    related: list[WardMatch] = []
    if exact and not districts:
        _, core = _split_kind(key, _WARD_KINDS)
        related = _district_matches(_districts_for(core))
        related += _group_by_ward(_old_units(key), partial_if_all=False)
    matches = _merge(plain(exact), related, plain(prefix), plain(contains))
    return WardSearch(matches[: max(limit, 1)], "name", ambiguous=False)


def _former_hint(ward: Ward) -> str:
    return f"trước đây: {ward.former_district}" if ward.former_district else ""


def _old_ward_result(units: list[_OldUnit]) -> WardSearch:
    matches = _group_by_ward(units, partial_if_all=False)
    return WardSearch(matches, "old_ward", ambiguous=len(matches) > 1 or any(m.partial for m in matches))


def _ward_and_district(tokens: list[str]) -> tuple[list[_OldUnit], str, tuple[str, ...]]:
    """Split "phuong 12 quan go vap" into an old ward and an old district.  Returns the old units found (the
    longest ward wins), and failing that the ward text and districts of the longest district at the end."""
    n = len(tokens)
    best: tuple[int, list[_OldUnit]] = (0, [])
    fallback: tuple[str, tuple[str, ...]] = ("", ())
    for k in range(1, n):  # the district starts at token k
        for m in range(n, k, -1):  # ... and ends before token m (trailing words allowed)
            districts = _districts_for(" ".join(tokens[k:m]))
            if not districts:
                continue
            if m == n and not fallback[1]:
                fallback = (" ".join(tokens[:k]), districts)
            for j in range(max(0, k - 8), k):
                units = _old_units(" ".join(tokens[j:k]), districts)
                if units and (k - j) + (m - k) > best[0]:
                    best = ((k - j) + (m - k), units)
    if not best[1]:  # the district first: "Quận 8, Phường 16", "Gò Vấp P12" (the ward must say phường/xã/thị trấn)
        for k in range(1, n):
            districts = _districts_for(" ".join(tokens[:k]))
            ward = " ".join(tokens[k:])
            if districts and _split_kind(ward, _WARD_KINDS)[0] is not None:
                units = _old_units(ward, districts)
                if units:
                    return units, "", ()
    return best[1], *fallback


def search_wards(query: str, limit: int = 12) -> WardSearch:
    """Search the current units for the citizen's text: a current name, an old ward (+ district) or an old
    district.  Accents, case, tone-mark style and the usual abbreviations (P.12, Q.GV, F4, TX, TP) are ignored."""
    segments = _normalise_query(query or "")
    key = " ".join(segments)
    none = WardSearch([], "none", ambiguous=False)
    if not key:
        return none
    tokens = key.split()[:24]
    district_kind, _ = _split_kind(key, _DISTRICT_KINDS)
    districts = _districts_for(key)

    # 1. the exact name of a current unit
    raw = normalize(query)
    if _name_tiers(key)[0] and district_kind is None:
        result = _by_name(key, raw, limit)
        assert result is not None
        return result
    # 2. an old district said as one: "quận 7", "huyện Bình Chánh", "TP Thủ Đức", "thị xã Dĩ An"
    if districts and district_kind is not None:
        return _district_result(districts)
    # 3. old ward + old district ("Phường 12, Quận Gò Vấp"), or a current name + old district
    units, ward_text, ward_districts = _ward_and_district(tokens)
    if units:
        return _old_ward_result(units)
    if ward_text and _split_kind(ward_text, _WARD_KINDS)[1]:
        return _by_name(ward_text, raw, limit, ward_districts) or none
    # 4. a current name by prefix / contains
    result = _by_name(key, raw, limit)
    if result is not None:
        return result
    # 5. an old ward without its district, then an old district without its kind ("Long Đất", "GV", "BT")
    units = _old_units(key)
    if units:
        return _old_ward_result(units)
    if districts:
        return _district_result(districts)
    return none


def _district_result(districts: tuple[str, ...]) -> WardSearch:
    return WardSearch(_district_matches(districts), "old_district", ambiguous=len(districts) > 1)
