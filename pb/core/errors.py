"""Domain errors: each carries a message a person can act on, and optionally the form field at fault."""

from __future__ import annotations


class PBError(Exception):
    """Base of every refusal the domain can give."""

    http_status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(PBError):
    http_status = 404


class Forbidden(PBError):
    """The signed-in person lacks the role or ownership the action needs."""

    http_status = 403


class PhaseClosed(PBError):
    """The edition's schedule does not allow this action now."""

    http_status = 409


class Conflict(PBError):
    """The action collides with the current state (already done, duplicate, changed meanwhile)."""

    http_status = 409


class InvalidInput(PBError):
    http_status = 422
