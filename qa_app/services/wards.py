"""The city's 168 current wards and communes (since 01/7/2025) and the old units each was formed from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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
