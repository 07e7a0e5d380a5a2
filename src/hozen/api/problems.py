"""RFC 9457 problem+json for every error of the API, mapped once here."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from hozen.errors import PYDANTIC_CODES, DomainError, ValidationFailed
from hozen.messages import message

log = logging.getLogger("hozen.api")
TYPE_BASE = "https://hozen.example/problems/"

# The problem+json body of every refusal, as the OpenAPI document declares it.
PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "field": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "code", "message"],
            "properties": {"field": {"type": "string"}, "code": {"type": "string"},
                           "message": {"type": "string"}}}},
    },
}
# What any /api/v1 operation may answer besides its success (each API router declares
# them): an unreadable body, no or a bad token, a refusal, an id not found (or not to be
# revealed), a conflict with the stored state, a body over the limit, invalid fields,
# too many wrong one-time codes (routes that ask for X-Hozen-OTP).
PROBLEM_RESPONSES = {
    status: {"description": description,
             "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}
    for status, description in [
        (400, "Unreadable request"), (401, "No valid API token"),
        (403, "Permission refused"), (404, "Not found"), (409, "Conflict"),
        (413, "Request too large"), (422, "Invalid fields"), (429, "Too many attempts")]
}


def problem(status: int, code: str, title: str, *, field: str | None = None,
            errors: list[dict] | None = None, headers: dict | None = None,
            extra: dict | None = None) -> JSONResponse:
    body: dict = {"type": TYPE_BASE + code, "title": title, "status": status,
                  **(extra or {})}
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=headers)


def _pydantic_field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def pydantic_errors(exc: RequestValidationError) -> list[dict]:
    out = []
    for err in exc.errors():
        code = PYDANTIC_CODES.get(err.get("type", ""), "invalid")
        loc = ("body",) if err.get("type") == "json_invalid" else tuple(err.get("loc", ()))
        out.append({"field": _pydantic_field(loc), "code": code,
                    "message": err.get("msg") or message(code)})
    return out


def domain_problem(exc: DomainError) -> JSONResponse:
    if isinstance(exc, ValidationFailed):
        errors = [{"field": f, "code": c, "message": message(c)} for f, c in exc.errors]
        return problem(exc.status, exc.code, "The request has invalid fields",
                       field=exc.field, errors=errors, extra=exc.extra)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem(exc.status, exc.code, exc.message, field=exc.field, headers=headers)


async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = pydantic_errors(exc)
    return problem(422, "validation-error", "The request has invalid fields",
                   field=errors[0]["field"] if errors else None, errors=errors)


async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
    code = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(
        exc.status_code, "http-error")
    # FastAPI raises a bare 400 only when it cannot read the body (e.g. not UTF-8).
    return problem(exc.status_code, code, str(exc.detail),
                   field="body" if exc.status_code == 400 else None)


async def on_integrity(request: Request, exc: IntegrityError) -> JSONResponse:
    # A constraint the service checks first lost a race: a conflict, never a 500.
    log.warning("integrity error: %s", exc.orig.__class__.__name__)
    return problem(409, "conflict", "The change conflicts with the stored data")


async def on_stale(request: Request, exc: StaleDataError) -> JSONResponse:
    return problem(409, "conflict", "Someone else changed this record; reload and retry",
                   field="version")
