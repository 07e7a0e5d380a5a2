"""Scale-out (issue 10): two `hozen serve` processes over one database see each other's
writes at once, refuse alike, and write one audit chain that verifies."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from typer.testing import CliRunner

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.cli.main import app as cli
from tests.factories import cheap_argon2, detached_world
from tests.servers import served

API = "/api/v1"


def test_two_server_processes_share_one_database_and_one_audit_chain(session, tmp_path):
    with cheap_argon2():
        w = detached_world(session)
    window = {"Authorization": f"Bearer {w.users[Role.WINDOW_OFFICER].token}"}
    cso = {"Authorization": f"Bearer {w.users[Role.COMPANY_SECURITY_OFFICER].token}"}
    before = session.scalar(select(func.coalesce(func.max(AuditEvent.seq), 0)))
    session.rollback()
    with served(tmp_path / "a.log") as server_a, served(tmp_path / "b.log") as server_b:
        a, b = server_a.url, server_b.url
        created = []
        for k in range(6):  # written through each in turn, read through the other
            writer, reader = (a, b) if k % 2 == 0 else (b, a)
            r = httpx.post(f"{writer}{API}/people", headers=cso, json={
                "family_name_kanji": "分散", "given_name_kanji": "一" * (k + 1),
                "birth_date": "1990-04-01", "nationalities": ["JPN"],
                "employer_id": w.company.id}, timeout=10)
            assert r.status_code == 201, r.text
            created.append(r.json()["id"])
            seen = httpx.get(f"{reader}{API}/people/{created[-1]}", headers=window, timeout=10)
            assert seen.status_code == 200 and seen.json()["given_name_kanji"] == "一" * (k + 1)
        # the same refusal from either process
        for url in (a, b):
            r = httpx.get(f"{url}{API}/people/{created[0]}", headers={
                "Authorization": f"Bearer {w.users[Role.SUBJECT].token}"}, timeout=10)
            assert r.status_code == 404  # a case the officer may not see: not found
        found = httpx.get(f"{b}{API}/people", params={"q": "分散"}, headers=window, timeout=10)
        assert {p["id"] for p in found.json()["items"]} >= set(created)
    events = session.execute(select(AuditEvent.seq, AuditEvent.tag, AuditEvent.subject_id)
                             .where(AuditEvent.seq > before).order_by(AuditEvent.seq)).all()
    session.rollback()  # (on SQLite an open transaction holds the write lock)
    made = [subject for _, tag, subject in events if tag == "registry:person:create"]
    assert made == created  # in the order written, alternating processes
    seqs = [seq for seq, _, _ in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # one chain, no gap
    verify = CliRunner().invoke(cli, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output
