"""No personal data in logs (issue 9, "Must show").

A real `hozen serve` process on 127.0.0.1 runs a journey over HTTP: sign in on the page,
create a person through the API, search for them by name (kanji, kana, Latin) and birth
date through the API and the search page, ask an access decision about them, view their
page, send a refused write carrying their name, and ask for a path made of their name.
Its whole stdout and stderr are then scanned for every written form of the names and the
birth date (the needles of test_privacy_scan.py, and their percent-encoded forms, as a
query string would carry them): none is found. Every line is one JSON object with the
expected keys; the access lines name the route template and an opaque user id.

A positive control shows the scan reads the access lines: the request ids the server
answered with, and the route templates of the journey, are in the log."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import httpx
import pytest

from hozen.accounts.permissions import Role
from hozen.designations import items
from hozen.designations.schemas import ItemCreate
from tests.authenticator import sign_in as mfa_sign_in
from tests.factories import PASSWORD, cheap_argon2, detached_world
from tests.functional.test_privacy_scan import date_needles, name_needles
from tests.servers import served as serve

PERSON = {"family_name_kanji": "綾小路", "given_name_kanji": "紗英子",
          "family_name_kana": "あやのこうじ", "given_name_kana": "さえこ",
          "family_name_latin": "Ayanokoji", "given_name_latin": "Saeko",
          "birth_date": "1984-09-17", "nationalities": ["JPN"]}
KEYS = {"timestamp", "level", "logger", "message", "request_id"}
ACCESS_KEYS = KEYS | {"method", "route", "status", "duration_ms", "user_id"}


@pytest.fixture
def served(clean, tmp_path):
    """`hozen serve` in its own process on a free loopback port; yields (base URL, the
    log file, stop): stop() shuts it down gracefully (SIGINT) so its last lines are
    written; it is stopped afterwards in any case."""
    with serve(tmp_path / "serve.log") as server:
        yield server.url, server.log, server.stop


def needles() -> dict[str, str]:
    out = {n: "name" for n in name_needles(PERSON)}
    out |= {n: "birth date" for n in date_needles(PERSON["birth_date"])}
    out |= {quote(n): what + " (percent-encoded)" for n, what in list(out.items())}
    out |= {quote(n).lower(): what + " (percent-encoded)" for n, what in list(out.items())}
    out |= {quote_plus(n): what for n, what in list(out.items())}
    return {n: w for n, w in out.items() if len(n.encode()) >= 6}


def _sign_in(web: httpx.Client, username: str) -> None:
    r = mfa_sign_in(web, username, PASSWORD)  # with the code step a role needs
    assert "hozen_session" in r.cookies, r.text[:300]


def test_a_full_journey_leaves_no_name_or_birth_date_in_the_logs(session, served):
    url, log, stop = served
    with cheap_argon2():
        world = detached_world(session)
    officer = world.users[Role.WINDOW_OFFICER]
    item_id = items.create_item(session, ItemCreate(title="公開の手引き", kind="document"),
                                actor=world.users[Role.AGENCY_OFFICIAL].actor).id
    session.commit()
    session.close()  # nothing held open while the server works
    answered: set[str] = set()
    api = httpx.Client(base_url=url, headers=officer.headers, timeout=30)
    web = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    with api, web:
        def seen(r: httpx.Response, status: int) -> httpx.Response:
            assert r.status_code == status, r.text[:300]
            answered.add(r.headers["x-request-id"])
            return r

        _sign_in(web, officer.username)
        person = seen(api.post("/api/v1/people", json=PERSON), 201).json()
        for q in ("綾小路 紗英子", "あやのこうじ", "Ayanokoji Saeko", "ｱﾔﾉｺｳｼﾞ"):
            found = seen(api.get("/api/v1/people", params={"q": q}), 200).json()
            assert person["id"] in {p["id"] for p in found["items"]}, q
        seen(api.get("/api/v1/people", params={"birth_date": "昭和59年9月17日"}), 200)
        page = seen(web.get("/people", params={"q": "綾小路"}), 200)
        assert person["id"] in page.text  # the search page found them
        seen(web.get("/people", params={"q": "Ayanokoji", "birth_date": "1984/09/17"}), 200)
        seen(api.post("/api/v1/access/check",
                      json={"person_id": person["id"], "item_id": item_id}), 200)
        seen(web.get(f"/people/{person['id']}"), 200)
        seen(api.get(f"/api/v1/people/{person['id']}"), 200)
        # refused writes and unknown paths carrying the name
        seen(api.post("/api/v1/people", json=PERSON | {"birth_date": "1984-13-45"}), 422)
        seen(api.get("/api/v1/people/綾小路紗英子"), 404)
        seen(web.get("/綾小路/" + quote("Ayanokoji Saeko")), 404)
        seen(api.get("/api/v1/people", params={"q": "綾小路" * 100}), 422)
    stop()  # the whole output, shutdown included
    raw = log.read_bytes()
    text = raw.decode("utf-8")

    hits = {n: w for n, w in needles().items() if n.encode() in raw or n in text}
    assert hits == {}, f"personal data in the server's log: {hits}"

    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(set(line) >= KEYS for line in lines), [ln for ln in lines
                                                      if not set(ln) >= KEYS][:3]
    access = [line for line in lines if line["logger"] == "hozen.access"]
    assert all(set(line) >= ACCESS_KEYS for line in access)
    # positive control: every answered request has its access line, by template
    assert answered <= {line["request_id"] for line in access}
    routes = {(line["method"], line["route"], line["status"]) for line in access}
    assert {("POST", "/api/v1/people", 201), ("GET", "/api/v1/people", 200),
            ("GET", "/people", 200), ("POST", "/api/v1/access/check", 200),
            ("GET", "/people/{person_id}", 200), ("GET", "/api/v1/people/{person_id}", 200),
            ("GET", "/api/v1/people/{person_id}", 404), ("POST", "/api/v1/people", 422),
            ("GET", "<unmatched>", 404)} <= routes
    # the user is named by an opaque id, never a username or a display name
    assert {line["user_id"] for line in access if line["route"].startswith("/api/v1/people")
            } == {officer.user_id}
    assert officer.username not in text
    assert lines[-1]["message"].startswith("Finished server process")
    assert person["id"] not in text  # not even the id in a path
    assert not any("?" in line["message"] or "q=" in line["message"] for line in lines)
