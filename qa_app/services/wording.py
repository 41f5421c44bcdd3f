"""What citizens see of a question's wording.

The public wording is masked when a submission arrives (``moderation.mask_pii``), but no masker is sure
of every name. Until a moderator has saved or approved the wording (``Question.wording_reviewed_at``),
citizen-facing views — the "already asked?" suggestions, the tracking page, the public board and the
studio screen, the rating page — show it with every remaining capitalised name-like sequence and every
run of four or more digits masked as well (``moderation.mask_unreviewed``). The moderator's card
highlights the same spans, so the moderator sees what the public does not.
"""

from __future__ import annotations

from functools import lru_cache

from moderation import mask_unreviewed
from qa_app.models import Question

__all__ = ["citizen_wording", "guarded"]


@lru_cache(maxsize=4096)
def guarded(text: str) -> str:
    """``text`` as shown before review (memoised: the same wordings are shown again and again)."""
    return mask_unreviewed(text)


def citizen_wording(question: Question) -> str:
    """The wording a citizen-facing view may show for ``question``."""
    if question.wording_reviewed_at is not None:
        return question.public_text
    return guarded(question.public_text)
