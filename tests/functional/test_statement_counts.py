"""No N+1 queries: the number of SQL statements a list request issues does not grow with
the number of rows it lists (issue 10). Each list is read with a few rows and with
several times as many, counting the statements the application sends."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from hozen.accounts.permissions import Role
from hozen.db import utcnow
from tests.factories import make_person
from tests.functional.test_facilities import deputy  # noqa: F401
from tests.functional.test_facility_registers import s as registers  # noqa: F401
from tests.functional.test_facility_registers import world  # noqa: F401
from tests.functional.test_list_cursors import readers as paged  # noqa: F401
from tests.functional.test_visits import API, Uk, engineer, post, uk, visit  # noqa: F401


@contextmanager
def counting(engine):
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def statements(client, engine, login, path: str) -> int:
    """Statements of one request in the steady state: asked once first, so that the
    caller's token is in the process's cache (hozen.accounts.tokens)."""
    client.get(f"{API}{path}", headers=login.headers)
    with counting(engine) as seen:
        r = client.get(f"{API}{path}", headers=login.headers)
    assert r.status_code == 200, r.text
    return len(seen)


def _visits(client, uk: Uk, n: int) -> None:  # noqa: F811
    today = utcnow().date()
    for k in range(n):
        chosen = []
        for j in range(2):
            a = post(client, uk.liaison, "/foreign-assurances/personnel", engineer(
                employer_id=uk.company.id, today=today,
                reference=f"UK-{k}-{j}") | {"person": {
                    "family_name_latin": "Hughes", "given_name_latin": "Owen" + "n" * j,
                    "birth_date": f"198{j}-0{1 + k % 9}-1{k % 10}", "nationalities": ["GBR"],
                    "employer_id": uk.company.id}}, 201)
            chosen.append(a["id"])
        start = today + timedelta(days=k)
        post(client, uk.liaison, "/visits", visit(uk, chosen, starts_on=start.isoformat(),
                                                  ends_on=(start + timedelta(days=2))
                                                  .isoformat()), 201)


def test_visit_and_assurance_lists_do_not_grow_with_their_rows(client, engine, uk):  # noqa: F811
    w = uk.s.world
    readers = (uk.liaison, w.users[Role.WINDOW_OFFICER], w.users[Role.COMPANY_SECURITY_OFFICER])
    _visits(client, uk, 1)
    lists = [(r, "/visits") for r in readers] + [(r, "/foreign-assurances")
                                                 for r in readers[:2]]
    few = {(r.username, p): statements(client, engine, r, p) for r, p in lists}
    _visits(client, uk, 4)
    many = {(r.username, p): statements(client, engine, r, p) for r, p in lists}
    assert many == few


def test_the_people_list_does_not_grow_with_its_rows(client, session, engine, uk):  # noqa: F811
    w = uk.s.world
    window = w.users[Role.WINDOW_OFFICER]
    few = statements(client, engine, window, "/people?limit=50")
    for k in range(30):
        make_person(session, employer_id=w.company.id, given_name_kanji="次郎" + "郎" * k)
    session.commit()
    assert statements(client, engine, window, "/people?limit=50") == few


def test_transfer_and_consent_lists_do_not_grow_with_their_rows(client, session, engine,
                                                                 registers):  # noqa: F811
    from hozen.reciprocity.models import TransferRequest
    from tests.factories import make_org
    from tests.functional.test_designations import extra_user, in_force, make_item

    w = registers.world
    cso, window, agency = (w.users[Role.COMPANY_SECURITY_OFFICER],
                           w.users[Role.WINDOW_OFFICER], w.users[Role.AGENCY_OFFICIAL])
    gov = make_org(session, kind="foreign_government", country_code="USA",
                   name_en="US", name_ja="米国")
    session.commit()
    us = extra_user(session, [Role.FOREIGN_LIAISON], gov.id)
    d = in_force(client, w, originator_country="USA", releasable_to=["USA"],
                 holders=[w.company.id])

    def add(k: int) -> None:
        item = make_item(client, w, designation_id=d["id"], title=f"文書{k}")
        receiver = make_org(session, name_ja=f"受領社{k}", name_en=f"Receiver {k}")
        session.add(TransferRequest(item_id=item["id"], from_organisation_id=w.company.id,
                                    to_organisation_id=receiver.id, reason="試験",
                                    requested_by=cso.user_id))
        session.commit()
        post(client, cso, f"/designations/{d['id']}/originator-consents",
             {"third_party": ["AUS", "ITA", "FRA", "DEU", "IND", "KOR"][k], "purpose": "共有"},
             201)

    lists = [(cso, "/transfers"), (window, "/transfers"), (cso, "/originator-consents"),
             (agency, "/originator-consents"), (us, "/originator-consents")]
    add(0)
    few = {(r.username, p): statements(client, engine, r, p) for r, p in lists}
    for k in range(1, 6):
        add(k)
    assert {(r.username, p): statements(client, engine, r, p) for r, p in lists} == few


def test_designation_and_register_lists_do_not_grow_with_their_rows(client, session, engine,
                                                                    registers):  # noqa: F811
    from tests.functional.test_designations import in_force, make_item
    from tests.functional.test_facility_registers import add_handler, incident

    w = registers.world
    cso, window, agency = (w.users[Role.COMPANY_SECURITY_OFFICER],
                           w.users[Role.WINDOW_OFFICER], w.users[Role.AGENCY_OFFICIAL])

    def add(k: int) -> None:
        d = in_force(client, w, holders=[w.company.id])
        item = make_item(client, w, designation_id=d["id"], title=f"文書{k}")
        add_handler(client, registers, item, registers.cleared)
        post(client, cso, "/incidents", incident(registers, item_ids=[item["id"]]), 201)

    lists = [(r, p) for r in (cso, window, agency)
             for p in ("/designations", "/item-handlers", "/incidents", "/custody/where",
                       "/facilities", "/programmes", "/cui-authorizations")]
    add(0)
    few = {(r.username, p): statements(client, engine, r, p) for r, p in lists}
    for k in range(1, 5):
        add(k)
    many = {(r.username, p): statements(client, engine, r, p) for r, p in lists}
    assert {k: (few[k], many[k]) for k in few if few[k] != many[k]} == {}


def test_case_and_organisation_lists_do_not_grow_with_their_rows(client, session, engine,
                                                                 registers):  # noqa: F811
    from tests.factories import make_org

    w = registers.world
    cso, window = w.users[Role.COMPANY_SECURITY_OFFICER], w.users[Role.WINDOW_OFFICER]

    def add(k: int) -> None:
        p = make_person(session, employer_id=w.company.id, given_name_kanji="一" * (k + 1))
        make_org(session, name_ja=f"新会社{k}", name_en=f"New {k}")
        session.commit()
        post(client, cso, "/clearance-cases", {"person_id": p.id, "regime": "CESI",
                                               "sponsor_id": w.gov.id}, 201)

    lists = [(cso, "/clearance-cases"), (window, "/clearance-cases"),
             (window, "/organisations"), (cso, "/organisations"), (cso, "/people"),
             (window, "/clearance-workload")]
    add(0)
    few = {(r.username, p): statements(client, engine, r, p) for r, p in lists}
    for k in range(1, 5):
        add(k)
    many = {(r.username, p): statements(client, engine, r, p) for r, p in lists}
    assert {k: (few[k], many[k]) for k in few if few[k] != many[k]} == {}


def test_a_next_page_costs_what_the_first_did(client, engine, paged):  # noqa: F811
    """Following next_cursor of a paged list issues as many statements as its first page."""
    from tests.functional.test_list_cursors import LISTS

    for path, (_, _, _, scope) in LISTS.items():
        for who in scope:
            login = getattr(paged, who)
            first = client.get(f"{API}{path}?limit=2", headers=login.headers).json()
            assert first["next_cursor"], (path, who)
            assert statements(client, engine, login, f"{path}?limit=2&cursor="
                              f"{first['next_cursor']}") == statements(
                client, engine, login, f"{path}?limit=2"), (path, who)
