"""The word lists behind name finding: the known-place data files and the inline lists.

The lists are built once, when :mod:`moderation.name_words` is imported, so these tests call the private
builders ``_load`` and ``_words`` directly: it is the only way to check what they make of their input.
"""

from moderation.name_words import REGIONS, STREETS, _load, _words


def test_a_data_file_loads_one_name_a_line_without_its_comment_header() -> None:
    """``regions.txt`` opens with a comment header: none of it is a place name."""
    regions = _load("regions.txt")
    assert {"hà nội", "huế", "thừa thiên huế"} <= regions
    assert not any(name.startswith("#") or "vietnamese provinces" in name for name in regions)
    assert "" not in regions
    assert all(name == name.strip() for name in regions)


def test_every_known_place_file_is_read_as_utf8_lower_case_names() -> None:
    streets = _load("streets.txt")
    assert {"lê lợi", "nguyễn huệ", "nguyễn thị minh khai", "võ thị sáu", "bà triệu"} <= streets
    assert not any(name.startswith("#") for name in streets)
    places = _load("places.txt")
    assert {"an binh", "an dien"} <= places
    assert not any(name.startswith("#") for name in places)
    # what the module built at import time is what the loader makes of the file
    assert streets == STREETS
    assert _load("regions.txt") == REGIONS


def test_an_inline_list_is_split_on_any_whitespace() -> None:
    assert _words("nguyễn  trần\nlê ") == frozenset({"nguyễn", "trần", "lê"})
    assert _words("") == frozenset()
