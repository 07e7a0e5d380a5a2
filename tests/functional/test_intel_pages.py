"""The threat-intelligence pages through the real sign-in form: list, view and submit;
the agency's review; anonymity to peers; a tear-line derived and released by a second
official; an uncleared person sees nothing; Japanese pages render."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from hozen.accounts.permissions import Role
from hozen.sharing import intel, stix
from hozen.sharing.intel_models import StixObject, TearLine
from tests.factories import (
    certify_facility,
    cheap_argon2,
    make_collection,
    make_intel_member,
    make_org,
    stix_indicator,
)
from tests.pages import element, text


@pytest.fixture
def world(session):
    with cheap_argon2():
        gov = make_org(session, kind="government_body")
        company, other, third = make_org(session), make_org(session), make_org(session)
        agency = make_intel_member(session, Role.AGENCY_OFFICIAL, gov.id, regime="SDS")
        second = make_intel_member(session, Role.APPROVING_OFFICIAL, gov.id, regime="SDS")
        cso = make_intel_member(session, Role.COMPANY_SECURITY_OFFICER, company.id,
                                sponsor_id=gov.id)
        peer = make_intel_member(session, Role.COMPANY_SECURITY_OFFICER, other.id,
                                 sponsor_id=gov.id)
        uncleared = make_intel_member(session, Role.COMPANY_SECURITY_OFFICER, third.id,
                                      regime=None)
    certify_facility(session, company.id, gov.id, agency.user_id)
    shared = make_collection(session, agency, level="CUI", government_run=True,
                             review_required=True, title="政府の脅威情報")
    secret = make_collection(session, agency, level="CESI", title="CESI 報告")
    for who in (agency, second):
        intel.grant(session, secret.id, who.person_id, actor=agency.actor)
    session.commit()
    return dict(agency=agency, second=second, cso=cso, peer=peer, uncleared=uncleared,
                shared=shared.id, secret=secret.id)


def _detached(session, statement):
    """One row, detached with its loaded values: no transaction stays open on SQLite."""
    row = session.scalar(statement)
    session.expunge(row)
    session.rollback()
    return row


def _row(session, stix_id: str) -> StixObject:
    return _detached(session, select(StixObject).where(StixObject.stix_id == stix_id))


def test_submit_review_and_anonymity(web, session, world):
    cso, agency, peer = web(world["cso"]), web(world["agency"]), web(world["peer"])
    r = cso.get("/intel")
    assert r.status_code == 200 and "政府の脅威情報" in r.text
    assert cso.get("/intel/submit").status_code == 200
    ident = {"type": "identity", "spec_version": "2.1",
             "id": "identity--4f3c2d1e-0b9a-4c8d-9e7f-6a5b4c3d2e1f",
             "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
             "name": "Hidden Corp", "identity_class": "organization"}
    obj = stix_indicator(1, created_by_ref=ident["id"])
    bundle = {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
              "objects": [ident, obj]}
    r = cso.post("/intel/submit", {"collection_id": world["shared"], "anonymous": "yes",
                                   "stix": json.dumps(bundle)})
    assert r.status_code == 303
    assert r.headers["location"] == f"/intel/collections/{world['shared']}"
    row = _row(session, obj["id"])
    assert (row.status, row.anonymous) == ("pending", True)
    assert "awaiting agency review" in cso.get(f"/intel/objects/{row.id}").text
    assert peer.get(f"/intel/objects/{row.id}").status_code == 404  # not yet released
    listing = agency.get("/intel").text
    assert f"/intel/objects/{row.id}" in element(listing, 'id="pending"')
    page = agency.get(f"/intel/objects/{row.id}").text
    assert "Hidden Corp" not in element(page, 'id="submitter"')  # the organisation's name
    assert "anonymous to peers" in element(page, 'id="submitter"')
    r = agency.post(f"/intel/objects/{row.id}/review", {"approve": "no", "reasons": ""})
    assert r.status_code == 422 and "required" in r.text.lower()
    r = agency.post(f"/intel/objects/{row.id}/review", {"approve": "yes", "reasons": "確認済"})
    assert r.status_code == 303
    seen = peer.get(f"/intel/objects/{row.id}")
    assert seen.status_code == 200
    assert "an anonymous member" in text(element(seen.text, 'id="submitter"'))
    assert stix.ANONYMOUS_IDENTITY in seen.text and ident["id"] not in seen.text
    assert ident["id"] in agency.get(f"/intel/objects/{row.id}").text


def test_an_invalid_submission_names_the_object_and_stores_nothing(web, session, world):
    cso = web(world["cso"])
    good, bad = stix_indicator(2), stix_indicator(3, spec_version="2.0")
    r = cso.post("/intel/submit", {"collection_id": world["shared"],
                                   "stix": json.dumps([good, bad])})
    assert r.status_code == 422
    assert bad["id"] in element(r.text, 'id="failures"')
    assert session.scalar(select(func.count()).select_from(StixObject)) == 0
    session.rollback()
    for form in ({"collection_id": world["shared"], "stix": "not json"},
                 {"collection_id": world["secret"], "stix": json.dumps(good)},
                 {"collection_id": "nope", "stix": json.dumps(good)},
                 {"collection_id": world["shared"], "stix": "[]"}):
        assert cso.post("/intel/submit", form).status_code == 422


def test_an_uncleared_person_sees_nothing(web, session, world):
    u = web(world["uncleared"])
    page = u.get("/intel").text
    assert "政府の脅威情報" not in page and "CESI 報告" not in page
    for cid in (world["shared"], world["secret"]):
        assert u.get(f"/intel/collections/{cid}").status_code == 404
    assert u.get("/intel/collections/nope").status_code == 404


def test_a_tear_line_through_the_pages(web, session, world):
    agency, second = web(world["agency"]), web(world["second"])
    report = {"type": "report", "spec_version": "2.1",
              "id": "report--1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b",
              "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z",
              "name": "Grid intrusion", "published": "2026-04-01T00:00:00Z",
              "description": "Source: sensitive human source",
              "object_refs": ["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2"]}
    r = agency.post("/intel/submit", {"collection_id": world["secret"],
                                      "stix": json.dumps(report)})
    assert r.status_code == 303, r.text[:500]
    row = _row(session, report["id"])
    page = agency.get(f"/intel/objects/{row.id}").text
    assert 'id="derive"' in page
    r = agency.post(f"/intel/objects/{row.id}/tearline", {
        "collection_id": world["shared"], "target": "TLP:AMBER", "remove": "description"})
    assert r.status_code == 303
    t = _detached(session, select(TearLine))
    assert t.status == "pending" and "description" not in t.body
    r = agency.post(f"/intel/tearlines/{t.id}/decision", {"approve": "yes"})
    assert r.status_code == 422  # the author may not approve
    assert "second official" in r.text
    assert f"/intel/tearlines/{t.id}/decision" in second.get(f"/intel/objects/{row.id}").text
    r = second.post(f"/intel/tearlines/{t.id}/decision", {"approve": "yes"})
    assert r.status_code == 303
    released = _row(session, t.body["id"])
    assert released.collection_id == world["shared"] and released.status == "approved"
    peer = web(world["peer"])
    assert peer.get(f"/intel/objects/{released.id}").status_code == 200
    assert peer.get(f"/intel/objects/{row.id}").status_code == 404


def test_the_pages_in_japanese(web, world):
    cso = web(world["cso"])
    cso.client.cookies.set("hozen_lang", "ja")
    for url in ("/intel", "/intel/submit", f"/intel/collections/{world['shared']}", "/tokens"):
        r = cso.get(url)
        assert r.status_code == 200 and 'lang="ja"' in r.text, url


def test_the_agency_opens_a_collection_and_registers_handlers(web, session, world):
    agency, cso = web(world["agency"]), web(world["cso"])
    assert 'id="new-collection"' in agency.get("/intel").text
    assert 'id="new-collection"' not in cso.get("/intel").text
    r = agency.post("/intel/collections", {"title": "量子暗号 脅威", "level": "CESI",
                                           "programmes": "qkd", "releasable_to": "usa"})
    assert r.status_code == 303
    cid = r.headers["location"].rsplit("/", 1)[1]
    assert cso.get(f"/intel/collections/{cid}").status_code == 404  # not on the list
    for bad in ({"title": "", "level": "CUI"}, {"title": "x", "level": "TOP"},
                {"title": "x", "level": "CUI", "releasable_to": "USAA"},
                {"title": "x", "level": "CUI", "programmes": "bad code!"}):
        assert agency.post("/intel/collections", bad).status_code == 422
    assert cso.post("/intel/collections", {"title": "x", "level": "CUI"}).status_code == 403
    page = agency.get(f"/intel/collections/{cid}").text
    assert 'id="access-list"' in page and "Nobody is registered yet." in page
    r = agency.post(f"/intel/collections/{cid}/members", {"person_id": world["cso"].person_id})
    assert r.status_code == 303
    assert world["cso"].person_id in agency.get(f"/intel/collections/{cid}").text
    again = agency.post(f"/intel/collections/{cid}/members",
                        {"person_id": world["cso"].person_id})
    assert again.status_code == 422
    assert agency.post(f"/intel/collections/{cid}/members",
                       {"person_id": "nobody"}).status_code == 422
    # registered, but QKD is a programme the officer is no briefed member of: still hidden
    assert cso.get(f"/intel/collections/{cid}").status_code == 404
