"""search_wards(): the ward/commune search of the citizen question form (see /work/shared/data/wards-hcmc.md)."""

from __future__ import annotations

import pytest

from qa_app.services.wards import (
    Ward,
    WardMatch,
    WardSearch,
    all_wards,
    search_wards,
    ward_by_name,
    wards_by_code,
)


def names(result: WardSearch) -> list[str]:
    return [m.ward.name for m in result.matches]


def short(result: WardSearch) -> set[str]:
    """Names without the kind word ("Phường Tân Thuận" -> "Tân Thuận")."""
    return {m.ward.name.removeprefix(m.ward.kind.capitalize()).strip() for m in result.matches}


# --------------------------------------------------------------------------- the existing API still works


def test_existing_api() -> None:
    wards = all_wards()
    assert len(wards) == 168
    assert all(isinstance(w, Ward) for w in wards)
    assert len(wards_by_code()) == 168
    ward = ward_by_name("phường sài gòn")
    assert ward is not None
    assert wards_by_code()[ward.code] == ward


# --------------------------------------------------------------------------- current names


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sài gòn", "Phường Sài Gòn"),
        ("Sài Gòn", "Phường Sài Gòn"),
        ("sai gon", "Phường Sài Gòn"),
        ("SAI GON", "Phường Sài Gòn"),
        ("phuong an hoi tay", "Phường An Hội Tây"),
        ("Phường An Hội Tây", "Phường An Hội Tây"),
        ("P. An Hội Tây", "Phường An Hội Tây"),
        ("Bến Thành", "Phường Bến Thành"),
        ("ben thanh", "Phường Bến Thành"),
        ("ben th", "Phường Bến Thành"),  # typing, prefix
        ("hoi tay", "Phường An Hội Tây"),  # a word inside the name
        ("Hòa Hưng", "Phường Hòa Hưng"),
        ("Hoà Hưng", "Phường Hòa Hưng"),  # old-style tone mark
        ("hoa hung", "Phường Hòa Hưng"),
        ("Đông Hoà", "Phường Đông Hòa"),
        ("dong hoa", "Phường Đông Hòa"),
        ("Côn Đảo", "Đặc khu Côn Đảo"),
        ("đặc khu côn đảo", "Đặc khu Côn Đảo"),
        ("Xã Thạnh An", "Xã Thạnh An"),  # folds like Xã Thanh An: the accents decide
        ("Xã Thanh An", "Xã Thanh An"),
        ("Phường Bến Thành, TP.HCM", "Phường Bến Thành"),
        ("Phường Sài Gòn, Thành phố Hồ Chí Minh", "Phường Sài Gòn"),
        ("Củ Chi", "Xã Củ Chi"),  # "cu" is noise ("cũ") only when it is not "Củ Chi"
        ("cu chi", "Xã Củ Chi"),
        ("Bình Dương", "Phường Bình Dương"),  # the ward, not the old province
    ],
)
def test_current_name(query: str, expected: str) -> None:
    result = search_wards(query)
    assert result.kind == "name"
    assert not result.ambiguous
    assert names(result)[0] == expected
    assert not result.matches[0].partial


def test_name_hint_is_former_district() -> None:
    match = search_wards("An Hội Tây").matches[0]
    assert match.hint == "trước đây: Quận Gò Vấp"
    assert isinstance(match, WardMatch)


def test_name_ranking_exact_then_prefix() -> None:
    assert names(search_wards("an phu"))[:1] == ["Phường An Phú"]
    assert "Phường An Phú Đông" in names(search_wards("an phu"))
    assert "Phường Tân Phú" not in names(search_wards("an phu"))  # not inside a word


def test_name_also_shows_units_formed_from_the_same_named_old_ward() -> None:
    result = search_wards("Phú Mỹ")
    assert names(result)[0] == "Phường Phú Mỹ"
    # old Phường Phú Mỹ (Quận 7) was split between Phú Thuận and Tân Mỹ
    split = {m.ward.name for m in result.matches if m.partial}
    assert split == {"Phường Phú Thuận", "Phường Tân Mỹ"}


@pytest.mark.parametrize("query", ["Bình Thạnh", "binh thanh", "phường Bình Thạnh", "P. Bình Thạnh"])
def test_new_ward_named_like_an_old_district(query: str) -> None:
    result = search_wards(query)
    assert result.kind == "name"
    assert names(result)[0] == "Phường Bình Thạnh"
    assert short(result) == {"Bình Thạnh", "Bình Lợi Trung", "Bình Quới", "Gia Định", "Thạnh Mỹ Tây"}


def test_old_district_said_as_district_is_the_district() -> None:
    result = search_wards("quận Bình Thạnh")
    assert result.kind == "old_district"
    assert short(result) == {"Bình Thạnh", "Bình Lợi Trung", "Bình Quới", "Gia Định", "Thạnh Mỹ Tây"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Phường An Hội Tây, Gò Vấp", "Phường An Hội Tây"),  # new name + old district, as addresses are written
        ("Phường An Hội Tây quận Gò Vấp", "Phường An Hội Tây"),
        ("Bình Trưng, TP Thủ Đức", "Phường Bình Trưng"),
    ],
)
def test_current_name_with_old_district(query: str, expected: str) -> None:
    result = search_wards(query)
    assert result.kind == "name"
    assert names(result)[0] == expected


def test_every_unit_is_found_first_by_its_own_name() -> None:
    """Also the speed sanity check: 3 x 168 searches (with the exact name, folded and lower case)."""
    for ward in all_wards():
        for query in (ward.name, ward.name.lower(), ward.name.upper()):
            result = search_wards(query)
            assert result.kind == "name", query
            assert result.matches[0].ward == ward, query


def test_limit() -> None:
    assert len(search_wards("phường tân").matches) == 12
    assert len(search_wards("phường tân", limit=3).matches) == 3


# --------------------------------------------------------------------------- old ward + old district


@pytest.mark.parametrize(
    "query",
    [
        "Phường 12, Quận Gò Vấp",
        "phường 12, quận gò vấp",
        "Phuong 12, Quan Go Vap",
        "Phường 12, Gò Vấp",
        "phuong 12 go vap",
        "P.12 Q.GV",
        "P12 Q GV",
        "p.12, q. gò vấp",
        "F12 GV",
        "f.12 q.go vap",
        "Phường 012, Quận Gò Vấp (cũ)",
        "Phường 12, Quận Gò Vấp cũ, TP.HCM",
        "Phường 12 Gò Vấp TP Hồ Chí Minh",
        "Phường 12, Quận Gò Vấp, Thành phố Hồ Chí Minh, Việt Nam",
        "123 Nguyễn Văn Lượng, Phường 12, Quận Gò Vấp",
    ],
)
def test_old_ward_and_district(query: str) -> None:
    result = search_wards(query)
    assert result.kind == "old_ward"
    assert names(result) == ["Phường An Hội Tây"]
    assert not result.ambiguous
    assert not result.matches[0].partial
    assert result.matches[0].hint == "gồm Phường 12 (Quận Gò Vấp)"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("F1 Q.GV", "Phường Hạnh Thông"),
        ("F14 Q.3", "Phường Nhiêu Lộc"),
        ("An Khánh, TP Thủ Đức", "Phường An Khánh"),  # also an old ward there: resolved as the old ward
        ("Phường 09, Quận 3", "Phường Nhiêu Lộc"),
        ("P9 Q3", "Phường Nhiêu Lộc"),
        ("Phường Bến Nghé, Quận 1", "Phường Sài Gòn"),
        ("phuong ben nghe q1", "Phường Sài Gòn"),
        ("Phường Tân Kiểng, Quận 7", "Phường Tân Hưng"),
        ("Phường Thảo Điền, Quận 2", "Phường An Khánh"),
        ("Phường Thảo Điền, Q.Thủ Đức", "Phường An Khánh"),
        ("Phường Phú Cường, TP Thủ Dầu Một, tỉnh Bình Dương", "Phường Thủ Dầu Một"),
        ("Phường Phú Cường, Thủ Dầu Một, Bình Dương", "Phường Thủ Dầu Một"),
        ("Phường Tân Bình, thị xã Dĩ An", "Phường Tân Đông Hiệp"),
        ("Xã Quy Đức, huyện Bình Chánh", "Xã Hưng Long"),
        ("xa qui duc, h. binh chanh", "Xã Hưng Long"),  # the resolution writes "Qui Đức"
        ("Thị trấn Tân Túc, Bình Chánh", "Xã Tân Nhựt"),
        ("Thị trấn Long Điền, huyện Long Điền", "Xã Long Điền"),  # Long Điền -> Huyện Long Đất
        ("Xã Phước Hội, Đất Đỏ", "Xã Phước Hải"),
        ("Phường 12, BT", "Phường Bình Thạnh"),  # only Bình Thạnh has a Phường 12
        ("Phường An Lạc A, BT", "Phường An Lạc"),  # only Bình Tân has An Lạc A
        ("Quận Gò Vấp, Phường 12", "Phường An Hội Tây"),  # the district first
        ("Gò Vấp P12", "Phường An Hội Tây"),
        ("Q3 F14", "Phường Nhiêu Lộc"),
        ("Tân Kiểng", "Phường Tân Hưng"),  # an old ward without its district, unique
        ("Thảo Điền", "Phường An Khánh"),
    ],
)
def test_old_ward_single_unit(query: str, expected: str) -> None:
    result = search_wards(query)
    assert result.kind == "old_ward"
    assert names(result) == [expected]
    assert not result.ambiguous


def _split_old_unit() -> tuple[str, list[Ward]]:
    """An old unit in partly_from that went to the most new units (found in the data, not hard-coded)."""
    targets: dict[str, list[Ward]] = {}
    for ward in all_wards():
        for old in ward.partly_from:
            targets.setdefault(old, []).append(ward)
    old = max(targets, key=lambda k: (len(targets[k]), k))
    return old, targets[old]


def test_split_old_ward_shows_every_candidate() -> None:
    old, expected = _split_old_unit()
    assert len(expected) >= 2
    query = old.replace("(", ", ").replace(")", "")  # "Phường X (Quận Y)" -> "Phường X, Quận Y"
    result = search_wards(query)
    assert result.kind == "old_ward"
    assert result.ambiguous
    assert {m.ward.code for m in result.matches} >= {w.code for w in expected}
    assert all(m.partial for m in result.matches if m.ward in expected)
    assert all(m.hint.startswith("gồm một phần ") for m in result.matches if m.ward in expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Phường Tân Tạo, Quận Bình Tân", {"Bình Tân", "Tân Tạo", "Tân Vĩnh Lộc"}),
        ("phuong 16 quan 8", {"Bình Phú", "Phú Định", "Tân Nhựt"}),
        ("F4 Q.3", {"Xuân Hòa", "Bàn Cờ"}),
        ("Phường Phú Mỹ, Quận 7", {"Phú Thuận", "Tân Mỹ"}),
        ("Linh Tây", {"Linh Xuân", "Thủ Đức"}),  # without its district
        ("Phường An Phú, TP Thủ Đức", {"An Khánh", "Bình Trưng"}),
        ("Xã Tân Kiên, H. Bình Chánh", {"Tân Nhựt", "Tân Tạo"}),
    ],
)
def test_split_old_ward(query: str, expected: set[str]) -> None:
    result = search_wards(query)
    assert result.kind == "old_ward"
    assert result.ambiguous
    assert short(result) == expected
    assert all(m.partial for m in result.matches)
    assert result.matches[0].hint.startswith("gồm một phần ")


def test_split_ward_hint() -> None:
    result = search_wards("Phường Phú Mỹ, Quận 7")
    assert {m.hint for m in result.matches} == {"gồm một phần Phường Phú Mỹ (Quận 7)"}


def test_old_ward_without_district_in_many_districts() -> None:
    result = search_wards("phường 12")
    assert result.kind == "old_ward"
    assert result.ambiguous  # never pick one
    assert "Phường An Hội Tây" in names(result)
    assert "Phường Bình Thạnh" in names(result)
    assert len(result.matches) > 5


# --------------------------------------------------------------------------- old district only


QUAN_7 = {"Tân Thuận", "Phú Thuận", "Tân Mỹ", "Tân Hưng"}
DI_AN = {"Dĩ An", "Đông Hòa", "Tân Đông Hiệp"}
BINH_CHANH_XA = {"Tân Nhựt", "Vĩnh Lộc", "Tân Vĩnh Lộc", "Bình Lợi", "Bình Hưng", "Hưng Long", "Bình Chánh"}
THU_DUC = {
    "Linh Xuân", "Tam Bình", "Hiệp Bình", "Thủ Đức", "Long Bình", "Tăng Nhơn Phú",
    "Phước Long", "Long Phước", "Long Trường", "An Khánh", "Bình Trưng", "Cát Lái",
}  # fmt: skip
LONG_DAT = {"Long Điền", "Long Hải", "Đất Đỏ", "Phước Hải"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("quận 7 cũ", QUAN_7),
        ("Quận 7", QUAN_7),
        ("quan 7 (cu)", QUAN_7),
        ("Q7", QUAN_7),
        ("q.07", QUAN_7),
        ("thị xã Dĩ An, Bình Dương", DI_AN),
        ("TX Dĩ An", DI_AN),
        ("thanh pho di an", DI_AN),
        ("TP Thủ Đức", THU_DUC),
        ("Tp. Thủ Đức", THU_DUC),
        ("Thành phố Thủ Đức", THU_DUC),
        ("Q2", THU_DUC),
        ("quận 9 cũ", THU_DUC),
        ("Q.Thủ Đức", THU_DUC),
        ("quận Thủ Đức", THU_DUC),
        ("huyện Bình Chánh", BINH_CHANH_XA | {"Bình Đông", "Tân Tạo"}),
        ("H. Bình Chánh", BINH_CHANH_XA | {"Bình Đông", "Tân Tạo"}),
        ("huyện Long Điền", LONG_DAT),
        ("huyện Đất Đỏ", LONG_DAT),
        ("Long Đất", LONG_DAT),
        ("GV", {"An Nhơn", "An Hội Đông", "An Hội Tây", "Gò Vấp", "Hạnh Thông", "Thông Tây Hội"}),
        ("huyện Côn Đảo", {"Côn Đảo"}),
        ("huyện củ chi cũ", {"Tân An Hội", "An Nhơn Tây", "Nhuận Đức", "Thái Mỹ", "Phú Hòa Đông", "Bình Mỹ", "Củ Chi"}),
    ],
)
def test_old_district(query: str, expected: set[str]) -> None:
    result = search_wards(query)
    assert result.kind == "old_district"
    assert not result.ambiguous
    assert short(result) == expected


def test_old_district_shows_all_units_beyond_the_limit() -> None:
    assert len(search_wards("TP Thủ Đức", limit=5).matches) == 12


def test_old_district_partial_units_last() -> None:
    result = search_wards("huyện Bình Chánh")
    assert [m.ward.name for m in result.matches[-2:]] == ["Phường Bình Đông", "Phường Tân Tạo"]
    assert [m.partial for m in result.matches] == [False] * 7 + [True] * 2
    assert result.matches[-1].hint == "gồm một phần Xã Tân Kiên (Huyện Bình Chánh)"


# --------------------------------------------------------------------------- BT: Bình Thạnh or Bình Tân


@pytest.mark.parametrize("query", ["BT", "bt", "Q.BT", "quận BT cũ"])
def test_bt_is_ambiguous(query: str) -> None:
    result = search_wards(query)
    assert result.kind == "old_district"
    assert result.ambiguous
    assert {"Bình Thạnh", "Gia Định", "Bình Tân", "An Lạc"} <= short(result)
    formed = {old for m in result.matches for old in m.ward.formed_from}
    assert any("(Quận Bình Thạnh)" in old for old in formed)
    assert any("(Quận Bình Tân)" in old for old in formed)


# --------------------------------------------------------------------------- nothing


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        ",",
        "TP.HCM",
        "cũ",
        "Phường 4, Gò Vấp",  # abolished on 01/01/2025
        "F4 Q.GV",
        "Phường 13, Quận 3",
        "xyz",
        "phường",
        "Hà Nội",
    ],
)
def test_nothing(query: str) -> None:
    result = search_wards(query)
    assert result == WardSearch([], "none", ambiguous=False)
