"""Domain services. They take explicit arguments, flush but never commit, and raise
:class:`DomainError` subclasses that views map to a flash message or an HTTP status."""

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the action. ``status`` is the HTTP status an API should use;
    ``field`` names the input at fault, if one is (its message is that field's error on a form and in
    the API's ``errors``); ``errors`` maps fields to messages (subclasses refusing several fields at
    once set their own)."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors: dict[str, Any] = {field: [message]} if field else {}
        if status is not None:
            self.status = status


class NotAllowed(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
