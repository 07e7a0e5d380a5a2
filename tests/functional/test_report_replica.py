"""Reports read through a replica when HOZEN_REPORTS_DATABASE_URL names one (issue 10,
docs/deployment.md): the caller is still signed in through the primary, the figures
come from the replica, and without the setting they come from the primary again."""

from __future__ import annotations

from hozen.config import get_settings
from hozen.db import upgrade
from tests.conftest import scratch_url
from tests.functional.test_reports import WO, YEAR, data  # noqa: F401  (fixture)

URL = f"/api/v1/reports/timeliness?year={YEAR}"


def _decided(body: dict) -> int:
    rows = [r for r in body["tables"]["phases"]
            if r["regime"] == "all" and r["phase"] == "End to end"]
    return rows[0]["count"] if rows else 0


def test_reports_read_the_replica_when_one_is_set(client, data, web, tmp_path,  # noqa: F811
                                                  monkeypatch):
    headers = data.world.users[WO].headers
    assert _decided(client.get(URL, headers=headers).json()) == 50
    replica = scratch_url(tmp_path, "replica")
    upgrade(replica)  # the schema without the primary's cases: a replica far behind
    browser = web(data.world.users[WO])
    monkeypatch.setenv("HOZEN_REPORTS_DATABASE_URL", replica)
    get_settings.cache_clear()
    try:
        r = client.get(URL, headers=headers)
        assert r.status_code == 200 and _decided(r.json()) == 0
        assert browser.get("/dashboard").status_code == 200
        assert client.get("/api/v1/me", headers=headers).status_code == 200  # primary
    finally:
        monkeypatch.delenv("HOZEN_REPORTS_DATABASE_URL")
        get_settings.cache_clear()
    assert _decided(client.get(URL, headers=headers).json()) == 50
