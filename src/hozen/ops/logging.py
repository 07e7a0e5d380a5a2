"""Structured logs without personal data (issue 9, item 8).

One JSON object per line: timestamp, level, logger, message, request_id, and for the
access line method, route (the route's TEMPLATE), status, duration_ms and user_id (an
opaque id, never a name). The raw path and its query string are never logged: a search
by name carries the name in its query string, and an id in a path stands for a person.
Exceptions are logged with their type and stack, never a request body, and database
errors without the statement's parameters."""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime

from hozen.audit.services import request_id_var

ACCESS_LOGGER = "hozen.access"
# The attributes an access line carries (set through `extra=`).
ACCESS_FIELDS = ("method", "route", "status", "duration_ms", "user_id")


def _exception(exc_info) -> dict:
    exc_type, exc, tb = exc_info
    stack = "".join(traceback.format_tb(tb)) if tb else ""
    message = str(exc)
    # SQLAlchemy puts the statement and its parameters in the message: keep only the
    # driver's error class.
    if hasattr(exc, "orig") and hasattr(exc, "statement"):
        message = type(getattr(exc, "orig", None) or exc).__name__
    return {"exc_type": exc_type.__name__ if exc_type else None,
            "exc_message": message[:500], "stack": stack[-4000:]}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                out[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            out |= _exception(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def log_config(level: str = "INFO") -> dict:
    """The logging set-up of `hozen serve`: every line JSON on stderr; uvicorn's own
    access log (raw path and query string) stays off."""
    handler = {"class": "logging.StreamHandler", "formatter": "json",
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "hozen.ops.logging.JsonFormatter"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "hozen": {"handlers": ["default"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
