"""Opposing qualifiers (moderation.qualifiers): what a text mentions, and when two texts conflict."""

import pytest

from moderation.qualifiers import conflicting, qualifiers


@pytest.mark.parametrize(
    ("folded", "expected"),
    [
        ("hoc phi truong cong lap nam nay", {("school", "public")}),
        # a longer phrase of the same first words that does not apply leaves the shorter one
        ("hoc phi truong cong nam nay bao nhieu", {("school", "public")}),
        ("chu nha co phai khai bao tam tru khong", {("tenancy", "owner"), ("residence", "temporary")}),
        ("chu nha bat toi dong tien rac", {("tenancy", "tenant")}),
        # "ngoài công lập" is private; "trường công an" is no school of either kind
        ("truong ngoai cong lap", {("school", "private")}),
        ("truong cong an tuyen sinh", set()),
        ("hop dong mua ban nha", set()),
    ],
)
def test_qualifiers(folded: str, expected: set[tuple[str, str]]) -> None:
    assert qualifiers(folded) == expected


def test_conflicting_needs_a_shared_class_with_no_common_value() -> None:
    public, private = qualifiers("truong cong lap"), qualifiers("truong tu thuc")
    owner = qualifiers("chu nha")
    assert conflicting(public, private)
    assert not conflicting(public, qualifiers("cong lap hay tu thuc"))
    # different classes: nothing to oppose
    assert not conflicting(public, owner)
    assert not conflicting(owner, public)
    assert not conflicting(public, frozenset())
