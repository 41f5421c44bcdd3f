"""Errors raised by services, already translated for the person who caused them."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A refused operation; ``message`` is shown to the user as it is."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    """Someone else changed the item first (optimistic lock) or it is in the wrong state."""

    status_code = 409


class Throttled(DomainError):
    status_code = 429


class Busy(DomainError):
    """More work is waiting than the service should queue: try again shortly (nothing was stored)."""

    status_code = 503


class Unavailable(DomainError):
    """The database does not answer right now (down, restarting, locked): nothing was acknowledged, and
    the same request again in a few seconds is safe."""

    status_code = 503


class InvalidInput(DomainError):
    """Field-level validation failures: ``errors`` maps field name to message."""

    status_code = 422

    def __init__(self, errors: Mapping[str, str], message: str | None = None) -> None:
        super().__init__(message or next(iter(errors.values()), ""))
        self.errors = dict(errors)
