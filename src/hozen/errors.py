"""Domain exceptions with stable codes; the front doors map them to problem+json once."""

from __future__ import annotations


class DomainError(Exception):
    """Base: `code` is stable (it becomes the problem type), `status` the HTTP status."""

    code = "domain-error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class ValidationFailed(DomainError):
    code = "validation-error"
    status = 422

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        """errors: (field, message) pairs; the first names the field of the problem."""
        super().__init__(errors[0][1], field=errors[0][0])
        self.errors = errors


class NotFound(DomainError):
    """Missing and forbidden look alike, so callers cannot probe for what exists."""

    code = "not-found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class Conflict(DomainError):
    code = "conflict"
    status = 409
