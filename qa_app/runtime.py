"""The long-lived parts the app wires once: database, passwords, counters, publisher.

One ``Runtime`` per application instance, kept on ``app.state.runtime``; services receive the pieces
they need as arguments, never by importing globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.channels import ChannelsPlugin
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from qa_app.events import Publisher
from qa_app.security import Counter, Passwords
from qa_app.services.engines import ModerationEngines
from qa_app.services.intake_writer import IntakeWriter
from qa_app.services.presence import Presence
from qa_app.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    passwords: Passwords
    counter: Counter
    publisher: Publisher
    channels: ChannelsPlugin
    engines: ModerationEngines = field(default_factory=ModerationEngines)
    presence: Presence = field(default_factory=Presence)
    redis: Any | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    intake: IntakeWriter = field(init=False)

    def __post_init__(self) -> None:
        self.intake = IntakeWriter(self.sessionmaker, self.engines, self.publisher)
