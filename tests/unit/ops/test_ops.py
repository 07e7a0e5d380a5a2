"""The JSON log formatter and the route label, without a server."""

from __future__ import annotations

import json
import logging
import sys
from types import SimpleNamespace

from sqlalchemy.exc import IntegrityError

from hozen.audit.services import request_id_var
from hozen.ops.logging import JsonFormatter
from hozen.ops.metrics import UNMATCHED, route_template


def _record(msg: str, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("hozen.test", logging.ERROR, __file__, 1, msg, None, exc_info)
    for k, v in extra.items():
        setattr(record, k, v)
    return record


def test_one_json_object_per_line_with_the_request_id():
    token = request_id_var.set("abcdef0123456789")
    try:
        line = JsonFormatter().format(_record("GET /people 200", method="GET",
                                              route="/people", status=200))
    finally:
        request_id_var.reset(token)
    assert "\n" not in line
    out = json.loads(line)
    assert out["request_id"] == "abcdef0123456789" and out["level"] == "ERROR"
    assert (out["method"], out["route"], out["status"]) == ("GET", "/people", 200)
    assert out["timestamp"].endswith("Z")


def test_a_database_error_is_logged_without_its_statement_or_parameters():
    name = "".join(["綾小路", " ", "紗英子"])  # not in the source lines of the stack
    error = IntegrityError("INSERT INTO person VALUES (?)", (name,),
                           Exception("UNIQUE constraint failed"))
    try:
        raise error
    except IntegrityError:
        line = JsonFormatter().format(_record("failed", sys.exc_info()))
    out = json.loads(line)
    assert out["exc_type"] == "IntegrityError" and out["exc_message"] == "Exception"
    assert name not in line and "綾小路" not in json.loads(line)["exc_message"]
    assert "INSERT" not in out["exc_message"]


def test_the_route_label_is_the_template_never_the_path():
    route = SimpleNamespace(path="/api/v1/people/{person_id}")
    assert route_template({"route": route, "path": "/api/v1/people/123"}) == route.path
    assert route_template({"path": "/static/app.css"}) == "/static/{path}"
    assert route_template({"path": "/綾小路"}) == UNMATCHED
