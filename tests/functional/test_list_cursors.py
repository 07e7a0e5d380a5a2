"""Cursor pagination of every plain list (issue 10): each list walked to its end over
several pages, with rows the reader may see interleaved with rows they may not. Every
page but the last is full, no row comes twice, none is missed, the order is newest first
(the register: by reference), a reader never pages into another's rows even with a
cursor another reader was given, a cursor this server did not hand out is a 422 naming
`cursor`, `limit` is capped, and the pages follow their "next page" link."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, or_, select

from hozen.accounts.permissions import Role
from hozen.db import new_id, session_factory, utcnow
from hozen.designations.models import CuiAuthorization, Designation, DesignationHolder
from hozen.facilities.models import Facility, Incident
from hozen.paging import MAX_PAGE, decode_cursor, encode_cursor, page
from hozen.reciprocity.models import (
    Agreement,
    ForeignAssurance,
    OriginatorConsent,
    TransferRequest,
    Visitor,
    VisitRequest,
)
from hozen.registry.models import Organisation
from tests.factories import Login, make_org, make_person
from tests.functional.test_designations import assert_problem, extra_user
from tests.functional.test_facilities import deputy  # noqa: F401
from tests.functional.test_facility_registers import s as registers  # noqa: F401
from tests.functional.test_facility_registers import world  # noqa: F401
from tests.functional.test_visits import Uk, uk  # noqa: F401

API = "/api/v1"
N = 7  # rows of each kind, half the reader's and half not
LIMIT = 2  # small pages: a walk crosses several


@dataclass
class Readers:
    window: Login
    cso: Login  # the company's security officer
    other_cso: Login  # the other company's
    gb: Login  # the UK's liaison
    it: Login  # Italy's liaison


@pytest.fixture
def readers(client, session, uk: Uk) -> Readers:  # noqa: F811
    """N rows of every list, alternating between two businesses and two partners."""
    w = uk.s.world
    it_gov = make_org(session, kind="foreign_government", country_code="ITA",
                      name_en="Italian MoD", name_ja="伊国防省")
    it_company = make_org(session, kind="foreign_company", country_code="ITA",
                          name_en="Aquila SpA", name_ja="アクイラ社")
    receiver = make_org(session, name_ja="受領社", name_en="Receiver")
    session.commit()
    it = extra_user(session, [Role.FOREIGN_LIAISON], it_gov.id)
    agreements = dict(session.execute(select(Agreement.partner, Agreement.id)).all())
    liaison, cso = uk.liaison.user_id, w.users[Role.COMPANY_SECURITY_OFFICER].user_id
    today = utcnow().date()
    ours = (w.company.id, w.other_company.id)
    held = [(w.staff.id, w.company.id), (w.outsider.id, w.other_company.id)]
    for k in range(N):
        country, employer = ("GBR", uk.company.id) if k % 2 else ("ITA", it_company.id)
        person = make_person(session, employer_id=employer, nationalities=[country],
                             family_name_latin="Visitor" + "abcdefgh"[k], family_name_kanji=None,
                             given_name_kanji=None, family_name_kana=None,
                             given_name_kana=None)
        a = ForeignAssurance(id=new_id(), kind="personnel", agreement_id=agreements[country],
                             person_id=person.id, organisation_id=employer,
                             partner_level="SECRET", level="SDS",
                             valid_until=today + timedelta(days=300),
                             reference=f"REF-{k}", submitted_by=liaison)
        v = VisitRequest(id=new_id(), kind="one_time", programme_id=uk.programme["id"],
                         host_organisation_id=ours[k % 3 == 0], area_id=uk.s.sds_area,
                         starts_on=today, ends_on=today, purpose="試験", requested_by=liaison)
        session.add_all([a, v])
        session.flush()
        session.add(Visitor(id=new_id(), visit_id=v.id, person_id=person.id,
                            assurance_id=a.id))
        session.add(TransferRequest(id=new_id(), item_id=uk.shared["id"],
                                    from_organisation_id=ours[k % 2],
                                    to_organisation_id=receiver.id, reason="試験",
                                    requested_by=cso))
        session.add(OriginatorConsent(id=new_id(), designation_id=uk.shared["designation_id"],
                                      originator=country, third_party="AUS", purpose="共有",
                                      requested_by=cso, requesting_organisation_id=ours[k % 2]))
        d = Designation(id=new_id(), reference=f"PG-{(k * 5) % N:02}", title=f"指定{k}",
                        agency_id=w.gov.id, manager_id=w.users[Role.AGENCY_OFFICIAL].user_id,
                        regime="CESI", category="supply_chains", reasons="理由",
                        scope_kind="technology", scope="範囲", status="in_force",
                        first_start=today, term_start=today,
                        term_end=today + timedelta(days=365), created_by=cso)
        session.add(d)
        session.flush()
        session.add(DesignationHolder(id=new_id(), designation_id=d.id,
                                      organisation_id=ours[k % 2]))
        session.add(Facility(id=new_id(), organisation_id=ours[k % 2], level="CESI",
                             state="proposed", agency_id=w.gov.id,
                             proposed_by=w.users[Role.AGENCY_OFFICIAL].user_id))
        session.add(Incident(id=new_id(), organisation_id=ours[k % 2], kind="loss",
                             severity="low", occurred_on=today, description="説明",
                             status="open", reported_by=cso))
        person_id, org = held[k % 2]
        session.add(CuiAuthorization(
            id=new_id(), person_id=person_id, organisation_id=org, identity_document="passport",
            identity_checked_on=today, trained_on=today, agreement_signed_on=today,
            last_training_on=today, granted_on=today, valid_until=today + timedelta(days=900),
            status="active", granted_by=cso))
    session.commit()
    return Readers(w.users[Role.WINDOW_OFFICER], w.users[Role.COMPANY_SECURITY_OFFICER],
                   uk.s.other_cso, uk.liaison, it)


# --- what each reader may see, written out here in SQL (never through the services) ---------


def _liaison_visits(country: str):
    return select(Visitor.visit_id).join(
        ForeignAssurance, ForeignAssurance.id == Visitor.assurance_id).join(
        Agreement, Agreement.id == ForeignAssurance.agreement_id).where(
        Agreement.partner == country)


def _held_by(org: str):
    return select(DesignationHolder.designation_id).where(
        DesignationHolder.organisation_id == org)


def _partner(country: str):
    return ForeignAssurance.agreement_id.in_(
        select(Agreement.id).where(Agreement.partner == country))


def _transfers_of(org: str):
    return or_(TransferRequest.from_organisation_id == org,
               TransferRequest.to_organisation_id == org)


# path -> (the model listed, the key it is ordered by, newest first?, {reader: condition})
Scope = dict[str, Callable[[Readers], object]]
LISTS: dict[str, tuple[type, str, bool, Scope]] = {
    "/visits": (VisitRequest, "id", True, {
        "window": lambda r: True,
        "cso": lambda r: VisitRequest.host_organisation_id == r.cso.org_id,
        "gb": lambda r: VisitRequest.id.in_(_liaison_visits("GBR")),
        "it": lambda r: VisitRequest.id.in_(_liaison_visits("ITA"))}),
    "/foreign-assurances": (ForeignAssurance, "id", True, {
        "window": lambda r: True, "gb": lambda r: _partner("GBR"),
        "it": lambda r: _partner("ITA")}),
    "/transfers": (TransferRequest, "id", True, {
        "window": lambda r: True, "cso": lambda r: _transfers_of(r.cso.org_id),
        "other_cso": lambda r: _transfers_of(r.other_cso.org_id)}),
    "/originator-consents": (OriginatorConsent, "id", True, {
        "window": lambda r: True,
        "cso": lambda r: OriginatorConsent.requesting_organisation_id == r.cso.org_id,
        "other_cso": lambda r: OriginatorConsent.requesting_organisation_id
        == r.other_cso.org_id,
        "gb": lambda r: OriginatorConsent.originator == "GBR",
        "it": lambda r: OriginatorConsent.originator == "ITA"}),
    "/designations": (Designation, "reference", False, {
        "window": lambda r: True, "cso": lambda r: Designation.id.in_(_held_by(r.cso.org_id)),
        "other_cso": lambda r: Designation.id.in_(_held_by(r.other_cso.org_id))}),
    "/facilities": (Facility, "id", True, {
        "window": lambda r: True, "cso": lambda r: Facility.organisation_id == r.cso.org_id,
        "other_cso": lambda r: Facility.organisation_id == r.other_cso.org_id}),
    "/incidents": (Incident, "id", True, {
        "window": lambda r: True, "cso": lambda r: Incident.organisation_id == r.cso.org_id,
        "other_cso": lambda r: Incident.organisation_id == r.other_cso.org_id}),
    "/cui-authorizations": (CuiAuthorization, "id", True, {
        "window": lambda r: True,
        "cso": lambda r: CuiAuthorization.organisation_id == r.cso.org_id,
        "other_cso": lambda r: CuiAuthorization.organisation_id == r.other_cso.org_id}),
}


def visible(engine, path: str, readers: Readers, who: str) -> dict[str, str]:
    """id -> ordering key of the rows `who` may see on `path`."""
    model, key, _, scope = LISTS[path]
    with session_factory(engine)() as s:
        return dict(s.execute(select(model.id, getattr(model, key)).where(
            scope[who](readers))).all())


def walk(client, login: Login, path: str, limit: int = LIMIT) -> list[list[dict]]:
    """Follow next_cursor to the end; the pages in order."""
    pages, cursor = [], None
    while len(pages) < 100:
        r = client.get(API + path, headers=login.headers,
                       params={"limit": limit} | ({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next_cursor"}, body
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination never ended")


@pytest.mark.parametrize("path", LISTS)
def test_every_list_walks_to_its_end_in_order_and_never_out_of_the_readers_scope(
        client, engine, readers, path):
    model, key, newest_first, scope = LISTS[path]
    everything = visible(engine, path, readers, "window")
    for who in scope:
        expected = visible(engine, path, readers, who)
        assert expected  # each reader sees some rows, and (but the window) misses others
        assert who == "window" or len(expected) < len(everything), who
        pages = walk(client, getattr(readers, who), path)
        assert len(pages) == -(-len(expected) // LIMIT) >= 2, (who, [len(p) for p in pages])
        assert all(len(p) == LIMIT for p in pages[:-1]) and 0 < len(pages[-1]) <= LIMIT
        rows = [x["id"] for p in pages for x in p]
        assert len(rows) == len(set(rows)), who  # no row twice
        assert set(rows) == set(expected), who  # none missed, none out of scope
        keys = [expected[i] for i in rows]
        assert keys == sorted(keys, reverse=newest_first), who  # ids are time-ordered

    # every cursor the window was given, sent by each other reader: they get their own
    # rows after it, in order, and nothing else
    cursors, cursor = [], None
    while True:
        r = client.get(API + path, headers=readers.window.headers,
                       params={"limit": LIMIT} | ({"cursor": cursor} if cursor else {}))
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        cursors.append(cursor)
    assert len(cursors) >= 3
    for who in scope:
        mine = visible(engine, path, readers, who)
        for cursor in cursors:
            [after] = decode_cursor(cursor, [getattr(model, key)])
            r = client.get(API + path, headers=getattr(readers, who).headers,
                           params={"limit": MAX_PAGE, "cursor": cursor})
            assert r.status_code == 200, r.text
            assert [x["id"] for x in r.json()["items"]] == sorted(
                (i for i, k in mine.items() if (k < after if newest_first else k > after)),
                key=mine.get, reverse=newest_first), who


BAD_CURSORS = {
    "not base64": "no/such+cursor",
    "not JSON": "Zm9v",  # "foo"
    "a number": encode_cursor([1]),
    "two keys": encode_cursor(["a", "b"]),
    "longer than any key": encode_cursor(["x" * 120]),
    "a NUL": encode_cursor(["a\x00b"]),
    "too long": "A" * 201,
    "a bare id": new_id(),
}


def test_a_bad_cursor_or_limit_is_a_422_naming_it_on_every_list(client, world):  # noqa: F811
    window = world.users[Role.WINDOW_OFFICER]
    for path in [*LISTS, "/people", "/organisations"]:
        for name, bad in BAD_CURSORS.items():
            r = client.get(API + path, headers=window.headers, params={"cursor": bad})
            assert r.status_code == 422, (path, name, r.text)
            assert_problem(r, 422, "cursor")
        for limit in (0, MAX_PAGE + 1, "all"):
            assert_problem(client.get(API + path, headers=window.headers,
                                      params={"limit": limit}), 422, "limit")
        r = client.get(API + path, headers=window.headers, params={"limit": MAX_PAGE})
        assert r.status_code == 200, (path, r.text)


def test_the_service_caps_a_page_at_max_page_whatever_it_is_asked(session, readers):
    for k in range(MAX_PAGE + 5 - session.scalar(select(func.count(Organisation.id)))):
        make_org(session, name_ja=f"追加{k}", name_en=f"Extra {k}")
    session.commit()
    rows, nxt = page(session, select(Organisation), [Organisation.id], cursor=None,
                     limit=10 ** 6, newest_first=True)
    assert len(rows) == MAX_PAGE and nxt is not None
    rest, end = page(session, select(Organisation), [Organisation.id], cursor=nxt,
                     limit=10 ** 6, newest_first=True)
    assert end is None and not {o.id for o in rows} & {o.id for o in rest}
    assert len(rows) + len(rest) == session.scalar(select(func.count(Organisation.id)))


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_two_column_keyset_walks_ties_in_order(session, world, newest_first):  # noqa: F811
    """(column, id) keys: rows that tie on the column are split across pages by the id."""
    for k in range(9):
        make_org(session, name_ja=f"同名{k}", name_en="Same name" if k % 3 else f"Other {k}")
    session.commit()
    keys = [Organisation.name_en, Organisation.id]
    everything = sorted(session.execute(select(Organisation.name_en, Organisation.id)).all(),
                        reverse=newest_first)
    seen, cursor = [], None
    while True:
        rows, cursor = page(session, select(Organisation), keys, cursor=cursor, limit=2,
                            newest_first=newest_first)
        seen += [(o.name_en, o.id) for o in rows]
        if cursor is None:
            break
    assert seen == [tuple(r) for r in everything]


# --- the pages: a "next page" link, followed to the end ---------------------------------------

PAGES = {  # page -> (list on the API, the attribute each row carries its id in)
    "/visits": ("/visits", 'id="visit-'),
    "/foreign-assurances": ("/foreign-assurances", 'data-assurance="'),
    "/transfers": ("/transfers", 'id="transfer-'),
    "/originator-consents": ("/originator-consents", 'id="consent-'),
    "/designations": ("/designations", 'data-designation="'),
    "/registers": ("/incidents", 'id="incident-'),
    "/facilities": ("/facilities", 'data-facility="'),
    "/cui-authorizations": ("/cui-authorizations", 'data-authorization="'),
}


def test_each_page_links_to_the_next_until_every_row_is_shown(web, engine, readers):
    browser = web(readers.window)
    for page_path, (api_path, marker) in PAGES.items():
        model = LISTS[api_path][0]
        table = model.__table__
        # more rows than a page holds (50): copies of a row under new ids (and references)
        with session_factory(engine)() as s:
            first = dict(s.execute(select(table)).mappings().first())
            s.execute(table.insert(), [first | {"id": new_id()} | (
                {"reference": f"ZZ-{k:03}"} if model is Designation else {})
                for k in range(51)])
            s.commit()
        expected = visible(engine, api_path, readers, "window")
        seen: list[str] = []
        url = page_path
        for _ in range(20):
            r = browser.get(url)
            assert r.status_code == 200, r.text[:300]
            seen += dict.fromkeys(re.findall(re.escape(marker) + r'([0-9a-f-]{36})"', r.text))
            link = re.search(r'<a id="next-page" href="([^"]+)"', r.text)
            if link is None:
                break
            url = link[1].replace("&amp;", "&")
            assert url.startswith(page_path + "?cursor="), url
        else:
            raise AssertionError("the pages never ended")
        assert url != page_path, page_path  # the first page did not hold every row
        assert len(seen) == len(set(seen)) and set(seen) == set(expected), page_path
        assert browser.get(page_path + "?cursor=Zm9v").status_code == 422, page_path
        assert browser.get(page_path + "?cursor=no/such").status_code in (400, 422), page_path
