"""The application starts, answers /healthz, and every route declares a permission."""

from hozen.api.gates import Gate, HozenRoute, iter_routes


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert r.headers["x-request-id"]
    assert r.headers["x-frame-options"] == "DENY"


def test_every_route_declares_a_permission(app):
    """Deny by default: a route without requires()/public() must not exist."""
    framework = {"/api/v1/openapi.json", "/api/docs", "/static"}
    undeclared, declared = [], 0
    for route in iter_routes(app.routes):
        path = getattr(route, "path", "")
        if path in framework:
            continue
        if not isinstance(route, HozenRoute) or not isinstance(route.gate, Gate):
            undeclared.append(path)
        else:
            declared += 1
    assert undeclared == []
    assert declared > 20  # the walk really reached the included routers
