"""Vietnamese text engine for qa_app: normalisation, personal-data masking, duplicate detection,
routing and answer match checks.  Pure Python; depends only on the standard library and
rapidfuzz."""

from .duplicates import DuplicateIndex, Match, Prepared, similarity
from .matching import AnswerMatch, match_check
from .pii import Masked, PiiFinding, mask_pii, mask_unreviewed, unsure_spans
from .routing import Route, Router
from .text import canonical, fold, normalize

__all__ = [
    "AnswerMatch",
    "DuplicateIndex",
    "Masked",
    "Match",
    "PiiFinding",
    "Prepared",
    "Route",
    "Router",
    "canonical",
    "fold",
    "mask_pii",
    "mask_unreviewed",
    "match_check",
    "normalize",
    "similarity",
    "unsure_spans",
]
