"""Citizens rate the answer to their question, once per tracking code."""

from __future__ import annotations

import hashlib
import unicodedata

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.i18n import gettext as _
from qa_app.models import Question, QuestionStatus, Rating, Submission
from qa_app.security import Counter
from qa_app.services import audit
from qa_app.services.errors import InvalidInput, NotFound, Throttled
from qa_app.services.guesses import Guess
from qa_app.services.tracking import normalize_tracking_code

SCORES = {"3": 3, "2": 2, "1": 1}  # Rất hài lòng / Hài lòng / Chưa hài lòng
ANSWERED = (QuestionStatus.ANSWERED_ON_AIR, QuestionStatus.ANSWERED_IN_WRITING)
ATTEMPTS_PER_HOUR = 20


async def rateable_question(db: AsyncSession, question_id: int) -> Question:
    question = await db.get(Question, question_id)
    if question is None or question.status not in ANSWERED:
        raise NotFound(_("This question has no published answer to rate yet."))
    return question


async def rate(
    db: AsyncSession,
    counter: Counter,
    question_id: int,
    code: str,
    score: str,
    comment: str,
    guess: Guess | None = None,
) -> Rating:
    """Record one rating for the answer, by a tracking code of a citizen who asked this question;
    a wrong code counts against the client's ``guess`` limit."""
    question = await rateable_question(db, question_id)
    errors: dict[str, str] = {}
    if score not in SCORES:
        errors["score"] = _("Choose how satisfied you are with the answer.")
    comment = unicodedata.normalize("NFC", comment).replace("\x00", "").strip()
    if len(comment) > 1000:
        errors["comment"] = _("The comment has at most 1,000 characters.")
    tracking = normalize_tracking_code(code)
    # Guessing codes is slow: a few tries per hour per code pattern and question.
    key = hashlib.sha256(f"{question_id}:{tracking}".encode()).hexdigest()[:24]
    if await counter.hit(f"rate:{key}", 3600) > ATTEMPTS_PER_HOUR:
        raise Throttled(_("Too many attempts. Please try again later."))
    submission = await db.scalar(select(Submission).where(Submission.tracking_code == tracking))
    if submission is None or submission.question_id != question.id:
        errors["code"] = _("This tracking code does not belong to a citizen who asked this question.")
        if guess is not None:
            await guess.missed()
    elif await db.scalar(select(Rating.id).where(Rating.submission_id == submission.id)):
        errors["code"] = _("This tracking code has already rated the answer. Thank you!")
    if errors:
        raise InvalidInput(errors)
    assert submission is not None
    rating = Rating(question_id=question.id, submission_id=submission.id, score=SCORES[score], comment=comment or None)
    db.add(rating)
    await db.flush()
    audit.record(
        db,
        None,
        "rating.create",
        "question",
        question.id,
        episode_id=question.episode_id,
        after={"score": rating.score},
    )
    await db.commit()
    return rating
