"""Domain exceptions with stable codes; the front doors map them to problem+json once."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

# pydantic error types -> our stable codes (anything else is "invalid")
PYDANTIC_CODES = {
    "missing": "required",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "decimal_parsing": "not_a_number",
    "decimal_type": "not_a_number",
    "int_parsing": "not_a_number",
    "float_parsing": "not_a_number",
}


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

    def __init__(self, errors: list[tuple[str, str]], **extra: object) -> None:
        """errors: (field, message) pairs; the first names the field of the problem.
        `extra` members go into the problem as they are (e.g. a marking error's position)."""
        super().__init__(errors[0][1], field=errors[0][0], **extra)
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


def validate(schema: type[M], values: object, *, prefix: str = "", whole_path: bool = True) -> M:
    """Validate with a request schema outside a request (forms, CSV rows); errors become
    (field, code) pairs, the field as a dotted path (or its first part) after `prefix`."""
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            loc = [str(p) for p in e["loc"]] if whole_path else [str(p) for p in e["loc"][:1]]
            # A blank form field arrives as None: say it is required, not invalid.
            code = "required" if e.get("input", ...) is None else PYDANTIC_CODES.get(
                e["type"], "invalid")
            errors.append((prefix + (".".join(loc) or "form"), code))
        raise ValidationFailed(errors) from None
