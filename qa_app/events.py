"""Domain events: small frozen dataclasses named in the past tense, published after the commit.

Services call ``publisher.publish(event)`` only once their transaction has committed; the web layer's
publisher (``qa_app.web.live``) renders each event once per audience and pushes it to the channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Event:
    episode_id: int | None


@dataclass(frozen=True)
class EpisodeChanged(Event):
    """An episode's settings or status changed."""


@dataclass(frozen=True)
class QuestionChanged(Event):
    """A question was created or changed in any way that its views show."""

    question_id: int
    action: str
    department_code: str | None = None
    previous_department_code: str | None = None


class Publisher(Protocol):
    async def publish(self, event: Event) -> None: ...


class RecordingPublisher:
    """Keeps what was published; the publisher used by service tests."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish(self, event: Event) -> None:
        self.events.append(event)


@dataclass(frozen=True)
class OnAirChanged(Event):
    """The rundown or the question on air changed: the studio screen and the public board follow."""
