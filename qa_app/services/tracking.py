"""Tracking codes citizens can read out on the phone: ``DH-`` and six unambiguous characters."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L, U/V: nothing a caller or an operator can mistake for another character.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 6
PREFIX = "DH-"
CODE_RE = re.compile(rf"^{PREFIX}[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_tracking_code() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_tracking_code(text: str) -> str:
    """What a citizen typed, tolerant of case, spaces, a missing prefix and look-alike characters."""
    cleaned = re.sub(r"[\s\-_.]", "", text.upper())
    if cleaned.startswith("DH"):
        cleaned = cleaned[2:]
    return PREFIX + cleaned


def is_tracking_code(text: str) -> bool:
    return bool(CODE_RE.match(text))
