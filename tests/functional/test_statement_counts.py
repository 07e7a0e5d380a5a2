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
from tests.functional.test_list_paging_more_b import hub  # noqa: F401
from tests.functional.test_list_paging_more_b import readers as sharing  # noqa: F401
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


def test_programme_and_sharing_lists_do_not_grow_with_their_rows(client, session, engine, web,
                                                                 sharing):  # noqa: F811
    """The programmes with their members (one statement for the members of a page), a
    community's members, posts and files, an event's attendance and materials, the inbox
    and the audit log: through the API and on the pages."""
    from hozen.access.models import Membership, Programme
    from hozen.db import new_id
    from tests.functional.test_list_paging_more_b import add_rows

    r, w = sharing, sharing.world
    agency = w.users[Role.AGENCY_OFFICIAL]

    def add(first: int, n: int) -> None:
        for k in range(first, first + n):
            p = Programme(id=new_id(), code=f"SC{k:03}", name_ja=f"計画{k}",
                          name_en=f"Programme {k}", agency_id=w.gov.id,
                          organisations=f"{w.gov.id},{w.company.id}",
                          created_by=agency.user_id)
            session.add(p)
            session.flush()
            for j in range(3):
                person = make_person(session, employer_id=(w.gov, w.company)[j % 2].id,
                                     given_name_kanji="三" + "郎" * j)
                session.add(Membership(id=new_id(), programme_id=p.id, person_id=person.id,
                                       added_on=utcnow().date(), added_by=agency.user_id))
        session.commit()

    community, event = f"/communities/{r.community}", f"/events/{r.event}"
    lists = [(w.users[Role.WINDOW_OFFICER], "/programmes"), (agency, "/programmes"),
             (w.users[Role.COMPANY_SECURITY_OFFICER], "/programmes"),
             (r.manager, f"{community}/members"), (r.manager, f"{event}/attendance"),
             (r.cleared, f"{community}/posts"), (r.cleared, f"{community}/files"),
             (r.cui, f"{event}/materials"), (r.cleared, "/me/notifications"),
             (w.users[Role.AUDITOR], "/audit/events?after=0")]
    pages = [(agency, "/programmes"), (w.users[Role.COMPANY_SECURITY_OFFICER], "/programmes"),
             (r.manager, community), (r.manager, event), (r.cleared, community),
             (r.cui, event), (r.cleared, "/inbox")]
    browsers = {login.username: web(login) for login, _ in pages}

    def on_page(login, path: str) -> int:
        browser = browsers[login.username]
        assert browser.get(path).status_code == 200
        with counting(engine) as seen:
            assert browser.get(path).status_code == 200
        return len(seen)

    def count() -> dict:
        return {(who.username, p): statements(client, engine, who, p) for who, p in lists} | {
            ("page", who.username, p): on_page(who, p) for who, p in pages}

    add(0, 1)
    few = count()
    add(1, 4)
    add_rows(session, r, 6)
    many = count()
    assert {k: (few[k], many[k]) for k in few if few[k] != many[k]} == {}
