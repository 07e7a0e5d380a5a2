"""TAXII 2.1 over HTTP: media types, authentication by API token, collections and objects
filtered by the access decision, validation of STIX, versions, manifests and pagination,
the agency's review of company submissions and anonymity to peers."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from hozen.accounts import tokens
from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.clearances.models import Clearance
from hozen.db import session_factory, unit_of_work
from hozen.notifications.models import Notification
from hozen.sharing import intel, stix, taxii
from hozen.sharing.intel_models import StixObject, TaxiiStatus
from hozen.sharing.intel_schemas import ReviewDecision
from tests.factories import (
    Login,
    assert_unchanged,
    certify_facility,
    cheap_argon2,
    make_collection,
    make_intel_member,
    make_org,
    make_user,
    snapshot,
    stix_indicator,
)

MT = "application/taxii+json;version=2.1"
ROOT = "/taxii2/hozen"
NO_SUCH_ID = "0190f0e4-0000-7000-8000-0000000000aa"


@dataclass
class Env:
    client: TestClient
    engine: object
    agency: Login  # agency official, SDS-cleared, of the government body
    agency2: Login  # another official of the same agency (approving official)
    cso: Login  # a company's security officer with a CESI clearance
    peer: Login  # another company's security officer, CESI-cleared
    uncleared: Login  # a security officer with no clearance at all
    tokens: dict
    open_c: str  # government-run CUI collection, reviewed submissions
    cesi_c: str  # CESI collection with an access list: agency and cso


def _token(s, login: Login) -> str:
    return tokens.issue(s, "taxii", 30, actor=login.actor)[1]


@pytest.fixture(scope="module")
def env(engine):
    from hozen.app import create_app
    from tests.conftest import wipe

    wipe(engine)
    with cheap_argon2(), unit_of_work(engine) as s:
        gov = make_org(s, kind="government_body", name_ja="内閣府", name_en="CAO")
        company, other, third = make_org(s), make_org(s), make_org(s)
        agency = make_intel_member(s, Role.AGENCY_OFFICIAL, gov.id, regime="SDS")
        agency2 = make_intel_member(s, Role.APPROVING_OFFICIAL, gov.id, regime="SDS")
        cso = make_intel_member(s, Role.COMPANY_SECURITY_OFFICER, company.id,
                                sponsor_id=gov.id)
        peer = make_intel_member(s, Role.COMPANY_SECURITY_OFFICER, other.id, sponsor_id=gov.id)
        uncleared = make_intel_member(s, Role.COMPANY_SECURITY_OFFICER, third.id, regime=None)
        for org in (company, other):
            certify_facility(s, org.id, gov.id, agency.user_id)
        open_c = make_collection(s, agency, level="CUI", government_run=True,
                                 review_required=True, title="政府の脅威情報").id
        cesi_c = make_collection(s, agency, level="CESI", title="CESI 共有").id
        for who in (agency, cso):
            intel.grant(s, cesi_c, who.person_id, actor=agency.actor)
        toks = {k: _token(s, v) for k, v in dict(agency=agency, agency2=agency2, cso=cso,
                                                 peer=peer, uncleared=uncleared).items()}
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield Env(client, engine, agency, agency2, cso, peer, uncleared, toks, open_c, cesi_c)


def h(env: Env, who: str, **extra) -> dict:
    return {"Authorization": f"Bearer {env.tokens[who]}", "Accept": MT} | extra


def post(env: Env, who: str, collection: str, objects, **headers):
    return env.client.post(f"{ROOT}/collections/{collection}/objects/",
                           json={"objects": objects},
                           headers=h(env, who, **{"Content-Type": MT} | headers))


def get(env: Env, who: str, path: str, **params):
    return env.client.get(ROOT + path, headers=h(env, who), params=params)


def ids_in(r) -> set[str]:
    assert r.status_code == 200, r.text[:300]
    return {o["id"] for o in r.json().get("objects", [])}


def collection_ids(env: Env, who: str) -> set[str]:
    r = get(env, who, "/collections/")
    assert r.status_code == 200 and r.headers["content-type"] == MT, r.text
    return {c["id"] for c in r.json().get("collections", [])}


# --- discovery, media types, authentication -------------------------------------------------


def test_discovery_and_api_root(env):
    r = env.client.get("/taxii2/", headers=h(env, "cso"))
    assert r.status_code == 200 and r.headers["content-type"] == MT
    assert r.json()["api_roots"] == ["http://testserver/taxii2/hozen/"]
    r = get(env, "cso", "/")
    assert r.json()["versions"] == [MT] and r.json()["max_content_length"] > 0


@pytest.mark.parametrize("accept", ["text/html", "application/json",
                                    "application/taxii+json;version=2.0"])
def test_an_unacceptable_media_type_is_406(env, accept):
    r = env.client.get("/taxii2/", headers=h(env, "cso") | {"Accept": accept})
    assert r.status_code == 406 and r.headers["content-type"] == MT
    assert r.json()["http_status"] == "406"


def test_accept_without_version_and_wildcards_are_fine(env):
    for accept in ("application/taxii+json", "*/*", "text/html, application/taxii+json"):
        assert env.client.get("/taxii2/", headers=h(env, "cso") | {"Accept": accept}
                              ).status_code == 200


@pytest.mark.parametrize("ctype", ["application/json", "application/stix+json;version=2.1",
                                   "application/taxii+json;version=2.0", ""])
def test_posting_another_content_type_is_415_and_stores_nothing(env, ctype):
    before = snapshot(env.engine)
    r = env.client.post(f"{ROOT}/collections/{env.open_c}/objects/",
                        content=b'{"objects": []}',
                        headers=h(env, "agency") | {"Content-Type": ctype})
    assert r.status_code == 415 and r.json()["title"] == "unsupported-media-type"
    assert_unchanged(before, snapshot(env.engine))


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("auth", ["none", "bearer junk", "basic with the account password",
                                  "basic without a password", "basic not base64",
                                  "revoked token", "the token without a scheme"])
def test_without_a_valid_token_is_401_as_a_taxii_error(env, auth):
    from tests.factories import PASSWORD

    token = env.tokens["cso"]
    header = {"none": None, "bearer junk": "Bearer hzn_nothing",
              "basic with the account password": _basic(env.cso.username, PASSWORD),
              "basic without a password": _basic(env.cso.username, ""),
              "basic not base64": "Basic ***",
              "the token without a scheme": token}.get(auth)
    if auth == "revoked token":
        with unit_of_work(env.engine) as s:
            login = env.cso
            row, raw = tokens.issue(s, "to revoke", 5, actor=login.actor)
            tokens.revoke(s, row.id, actor=login.actor)
        header = f"Bearer {raw}"
    r = env.client.get(f"{ROOT}/collections/",
                       headers={"Accept": MT} | ({"Authorization": header} if header else {}))
    assert r.status_code == 401 and r.headers["content-type"] == MT, r.text
    assert "Bearer" in r.headers["www-authenticate"] and r.json()["http_status"] == "401"


def test_the_token_as_the_basic_password_works(env):
    r = env.client.get(f"{ROOT}/collections/", headers={
        "Accept": MT, "Authorization": _basic("anything", env.tokens["cso"])})
    assert r.status_code == 200 and env.open_c in {c["id"] for c in r.json()["collections"]}


def test_the_api_token_of_the_rest_api_is_the_same_token(env):
    """A TAXII token is an ordinary API token: /api/v1 takes it as a bearer too."""
    r = env.client.get("/api/v1/me", headers={"Authorization": f"Bearer {env.tokens['cso']}"})
    assert r.status_code == 200


# --- who sees what -----------------------------------------------------------------------------


def test_collections_follow_the_access_decision(env):
    assert {env.open_c, env.cesi_c} <= collection_ids(env, "agency")
    assert {env.open_c, env.cesi_c} <= collection_ids(env, "cso")  # on the access list
    assert env.open_c in collection_ids(env, "peer")  # government-run: every cleared member
    assert env.cesi_c not in collection_ids(env, "peer")  # cleared but not on the list
    assert collection_ids(env, "uncleared").isdisjoint({env.open_c, env.cesi_c})


def test_an_uncleared_client_is_told_not_found_alike(env):
    r = post(env, "agency", env.cesi_c, [stix_indicator(1)])
    assert r.status_code == 202
    paths = [f"/collections/{env.cesi_c}/", f"/collections/{env.cesi_c}/objects/",
             f"/collections/{env.cesi_c}/manifest/"]
    for who in ("uncleared", "peer"):
        for path in paths:
            hidden = get(env, who, path)
            missing = get(env, who, path.replace(env.cesi_c, NO_SUCH_ID))
            assert hidden.status_code == missing.status_code == 404
            assert hidden.json() == missing.json()
        r = post(env, who, env.cesi_c, [stix_indicator(2)])
        assert r.status_code == 404


def test_each_object_is_filtered_by_its_own_markings(env):
    sds = stix_indicator(3, object_marking_refs=[stix.level_marking("SDS")])
    cesi = stix_indicator(4, object_marking_refs=[stix.level_marking("CESI")])
    red = stix_indicator(5, object_marking_refs=[stix.TLP_ID["RED"]])
    granular = stix_indicator(6, granular_markings=[
        {"marking_ref": stix.level_marking("SDS"), "selectors": ["name"]}])
    r = post(env, "agency", env.cesi_c, [sds, cesi, red, granular])
    assert r.json()["success_count"] == 4, r.json()
    mine = {o["id"] for o in (sds, cesi, red, granular)}
    assert ids_in(get(env, "agency", f"/collections/{env.cesi_c}/objects/",
                      limit=1000)) >= mine
    seen = ids_in(get(env, "cso", f"/collections/{env.cesi_c}/objects/", limit=1000))
    assert cesi["id"] in seen  # CESI-cleared handler
    assert seen.isdisjoint({sds["id"], granular["id"]})  # SDS, object or granular marking
    assert red["id"] not in seen  # TLP:RED stays with the government and the submitter
    r = get(env, "cso", f"/collections/{env.cesi_c}/objects/{sds['id']}/")
    assert r.status_code == 404


def test_a_submitter_cannot_post_above_what_they_may_read(env):
    r = post(env, "cso", env.cesi_c, [stix_indicator(7, object_marking_refs=[
        stix.level_marking("SDS")])])
    assert r.json()["failure_count"] == 1
    assert "beyond what you may read" in r.json()["failures"][0]["message"]


def test_removing_a_clearance_removes_taxii_access_on_the_next_request(env):
    obj = stix_indicator(8)
    assert post(env, "agency", env.open_c, [obj]).status_code == 202
    with cheap_argon2(), unit_of_work(env.engine) as s:
        gov_org = make_org(s)
        member = make_intel_member(s, Role.COMPANY_SECURITY_OFFICER, gov_org.id)
        env.tokens["member"] = _token(s, member)
    assert env.open_c in collection_ids(env, "member")
    assert obj["id"] in ids_in(get(env, "member", f"/collections/{env.open_c}/objects/",
                                   limit=1000))
    with unit_of_work(env.engine) as s:
        s.execute(update(Clearance).where(Clearance.person_id == member.person_id)
                  .values(status="revoked"))
    assert env.open_c not in collection_ids(env, "member")
    for path in (f"/collections/{env.open_c}/objects/",
                 f"/collections/{env.open_c}/objects/{obj['id']}/"):
        assert get(env, "member", path).status_code == 404


# --- validation --------------------------------------------------------------------------------


def test_invalid_stix_is_refused_by_name_and_nothing_of_it_is_stored(env):
    good = stix_indicator(9)
    wrong_version = stix_indicator(10, spec_version="2.0")
    bad_id = stix_indicator(11, id="indicator--not-a-uuid")
    unknown_marking = stix_indicator(12, object_marking_refs=[
        "marking-definition--11111111-2222-4333-8444-555555555555"])
    bad_pattern = stix_indicator(13, pattern="[nonsense")
    no_type = {"id": "x"}
    r = post(env, "cso", env.open_c, [good, wrong_version, bad_id, unknown_marking,
                                      bad_pattern, no_type, "not an object"])
    assert r.status_code == 202 and r.headers["content-type"] == MT
    status = r.json()
    failures = {f["id"]: f["message"] for f in status["failures"]}
    assert set(failures) == {wrong_version["id"], bad_id["id"], unknown_marking["id"],
                             bad_pattern["id"], "x", "objects[6]"}
    assert "spec_version" in failures[wrong_version["id"]]
    assert "identifier" in failures[bad_id["id"]]
    assert "unknown marking" in failures[unknown_marking["id"]]
    assert [s["id"] for s in status["successes"]] == [good["id"]]
    assert status["total_count"] == 7 and status["status"] == "complete"
    with session_factory(env.engine)() as s:
        stored = set(s.scalars(select(StixObject.stix_id)))
        assert good["id"] in stored and stored.isdisjoint(failures)
    again = get(env, "cso", f"/status/{status['id']}/")
    assert again.status_code == 200 and again.json() == status
    assert get(env, "peer", f"/status/{status['id']}/").status_code == 404  # not theirs


def test_an_all_invalid_envelope_writes_only_its_status_and_audit(env):
    before = snapshot(env.engine)
    r = post(env, "cso", env.open_c, [stix_indicator(14, spec_version="2.0")])
    assert r.json()["failure_count"] == 1 and r.json()["success_count"] == 0
    after = snapshot(env.engine)
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {"taxii_status", "audit_event"}


def test_a_version_is_stored_once(env):
    obj = stix_indicator(15)
    for _ in range(2):
        assert post(env, "agency", env.open_c, [obj]).json()["success_count"] == 1
    with session_factory(env.engine)() as s:
        assert s.scalar(select(func.count()).select_from(StixObject).where(
            StixObject.stix_id == obj["id"])) == 1


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"objects": "x"}',
                                  b'{"objects": []}', b'{"objects": [1]}', b"\xff\xfe"])
def test_bad_envelopes_are_4xx_never_500(env, body):
    r = env.client.post(f"{ROOT}/collections/{env.open_c}/objects/", content=body,
                        headers=h(env, "agency", **{"Content-Type": MT}))
    assert r.status_code in (202, 400), r.text
    assert r.headers["content-type"] == MT


@pytest.mark.parametrize("params", [{"added_after": "yesterday"}, {"limit": "x"},
                                    {"limit": "0"}, {"next": "!!!"}, {"next": "AAAA"},
                                    {"match[version]": "newest"},
                                    {"added_after": "2026-01-01T00:00:00\x00Z"},
                                    {"match[id]": "indicator--\x00"},
                                    {"match[type]": "\x00"},
                                    {"next": "MjAyNi0wMS0wMVQwMDowMDowMC4wMDAwMDBafAA"}])
def test_bad_query_parameters_are_400(env, params):
    r = get(env, "agency", f"/collections/{env.open_c}/objects/", **params)
    assert r.status_code == 400 and r.headers["content-type"] == MT, r.text


@pytest.mark.parametrize("path", ["/collections/nope/", "/collections/%00/objects/",
                                  "/collections/{c}/objects/indicator--nope/",
                                  "/collections/{c}/objects/x/versions/",
                                  "/status/unknown/", "/status/" + "a" * 300 + "/"])
def test_unknown_things_are_404(env, path):
    r = get(env, "agency", path.format(c=env.open_c))
    assert r.status_code == 404 and r.headers["content-type"] == MT


# --- versions, filters, manifests ---------------------------------------------------------------


def test_versions_filters_and_manifest(env):
    first = stix_indicator(16)
    second = dict(first, modified="2026-02-01T00:00:00.000Z", name="C2 server (updated)")
    malware = {"type": "malware", "spec_version": "2.1",
               "id": "malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
               "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
               "name": "IronTiger", "is_family": True}
    r = post(env, "agency", env.open_c, [first, malware])
    assert r.json()["success_count"] == 2
    r2 = post(env, "agency", env.open_c, [second])
    assert r2.json()["success_count"] == 1
    objects = f"/collections/{env.open_c}/objects/"
    latest = get(env, "cso", f"{objects}{first['id']}/").json()["objects"]
    assert [o["modified"] for o in latest] == ["2026-02-01T00:00:00.000Z"]
    every = get(env, "cso", f"{objects}{first['id']}/", **{"match[version]": "all"})
    assert len(every.json()["objects"]) == 2
    oldest = get(env, "cso", f"{objects}{first['id']}/", **{"match[version]": "first"})
    assert oldest.json()["objects"][0]["modified"] == "2026-01-01T00:00:00.000Z"
    given = get(env, "cso", f"{objects}{first['id']}/",
                **{"match[version]": "2026-01-01T00:00:00Z"})
    assert given.json()["objects"][0]["name"] == "C2 server 16"
    versions = get(env, "cso", f"{objects}{first['id']}/versions/").json()
    assert versions["versions"] == ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"]
    typed = ids_in(get(env, "cso", objects, **{"match[type]": "malware"}))
    assert malware["id"] in typed and all(i.startswith("malware--") for i in typed)
    both = ids_in(get(env, "cso", objects, **{"match[id]": f"{first['id']},{malware['id']}"}))
    assert both == {first["id"], malware["id"]}
    page = get(env, "cso", objects, limit=1000)
    stamps = [page.headers["x-taxii-date-added-first"], page.headers["x-taxii-date-added-last"]]
    assert stamps[0] <= stamps[1]
    after = get(env, "cso", objects, added_after=stamps[1], limit=1000)
    assert after.status_code == 200 and "objects" not in after.json()
    manifest = get(env, "cso", f"/collections/{env.open_c}/manifest/",
                   **{"match[id]": first["id"]}).json()
    assert [(m["id"], m["version"]) for m in manifest["objects"]] == [
        (first["id"], "2026-02-01T00:00:00.000Z")]


def test_pagination_follows_next(env):
    with unit_of_work(env.engine) as s:
        r = taxii.reader(s, env.agency.actor)
        c = taxii.get_collection(s, r, env.open_c)
        batch = [stix_indicator(100 + i) for i in range(25)]
        taxii.add_objects(s, r, c, batch)
    seen, params = [], {"limit": "10", "match[type]": "indicator"}
    while True:
        page = get(env, "cso", f"/collections/{env.open_c}/objects/", **params).json()
        seen += [o["id"] for o in page.get("objects", [])]
        if not page["more"]:
            break
        params["next"] = page["next"]
    assert len(seen) == len(set(seen)) and {o["id"] for o in batch} <= set(seen)


# --- government at the core: review and anonymity ------------------------------------------------


def test_a_company_submission_waits_for_the_agency_and_may_stay_anonymous(env):
    ident = {"type": "identity", "spec_version": "2.1",
             "id": "identity--7b1b4a8a-2a59-4d0e-9d8f-0a8a1b2c3d4e",
             "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
             "name": "Secret Maker KK", "identity_class": "organization"}
    obj = stix_indicator(17, created_by_ref=ident["id"])
    r = post(env, "cso", env.open_c, [ident, obj], **{"X-Hozen-Anonymous": "true"})
    status = r.json()
    assert status["success_count"] == 2
    assert "agency review" in status["successes"][1]["message"]
    objects = f"/collections/{env.open_c}/objects/"
    assert obj["id"] not in ids_in(get(env, "peer", objects, limit=1000))  # pending
    assert obj["id"] in ids_in(get(env, "cso", objects, limit=1000))  # its own
    assert obj["id"] in ids_in(get(env, "agency", objects, limit=1000))  # the government
    with unit_of_work(env.engine) as s:
        assert s.scalar(select(Notification.id).where(
            Notification.user_id == env.agency.user_id,
            Notification.kind == "intel_submission_pending",
            Notification.dedupe_key.contains(status["id"]))) is not None
        pending = [o for o in intel.pending(s, actor=env.agency.actor)[0] if o.stix_id == obj["id"]]
        intel.review(s, pending[0].id, ReviewDecision(approve=True), actor=env.agency.actor)
        row = s.get(StixObject, pending[0].id)
        assert (row.status, row.reviewed_by) == ("approved", env.agency.user_id)
    peer_view = get(env, "peer", f"{objects}{obj['id']}/").json()["objects"][0]
    assert peer_view["created_by_ref"] == stix.ANONYMOUS_IDENTITY
    assert get(env, "peer", f"{objects}{ident['id']}/").status_code == 404
    gov_view = get(env, "agency", f"{objects}{obj['id']}/").json()["objects"][0]
    assert gov_view["created_by_ref"] == ident["id"]
    own_view = get(env, "cso", f"{objects}{obj['id']}/").json()["objects"][0]
    assert own_view["created_by_ref"] == ident["id"]


def test_a_refusal_needs_reasons_and_keeps_the_object_from_peers(env):
    obj = stix_indicator(18)
    post(env, "cso", env.open_c, [obj])
    with unit_of_work(env.engine) as s:
        row = next(o for o in intel.pending(s, actor=env.agency.actor)[0] if o.stix_id == obj["id"])
        from hozen.errors import ValidationFailed

        with pytest.raises(ValidationFailed):
            intel.review(s, row.id, ReviewDecision(approve=False), actor=env.agency.actor)
        intel.review(s, row.id, ReviewDecision(approve=False, reasons="誤報"),
                     actor=env.agency.actor)
    assert obj["id"] not in ids_in(get(env, "peer", f"/collections/{env.open_c}/objects/",
                                       limit=1000))


def test_an_agency_submission_needs_no_review(env):
    obj = stix_indicator(19)
    r = post(env, "agency", env.open_c, [obj])
    assert "message" not in r.json()["successes"][0]
    assert obj["id"] in ids_in(get(env, "peer", f"/collections/{env.open_c}/objects/",
                                   limit=1000))


def test_roles_without_taxii_write_may_not_post(env):
    with cheap_argon2(), unit_of_work(env.engine) as s:
        gov = make_org(s, kind="government_body")
        auditor = make_intel_member(s, Role.AUDITOR, gov.id)
        env.tokens["auditor"] = _token(s, auditor)
        window = make_user(s, Role.WINDOW_OFFICER, gov.id)
        env.tokens["window"] = _token(s, window)
    assert env.open_c in collection_ids(env, "auditor")  # cleared: reads
    before = snapshot(env.engine)
    r = post(env, "auditor", env.open_c, [stix_indicator(20)])
    assert r.status_code == 403 and r.headers["content-type"] == MT
    assert_unchanged(before, snapshot(env.engine))
    # a user who is no registered person holds no clearance: sees no marked collection
    assert env.open_c not in collection_ids(env, "window")
    with session_factory(env.engine)() as s:
        assert s.scalar(select(func.count()).select_from(TaxiiStatus)) > 0


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(
    ["added_after", "limit", "next", "match[id]", "match[type]", "match[version]",
     "match[spec_version]", "other"]), _text, max_size=4))
def test_any_query_is_answered_never_500(env, params):
    r = get(env, "cso", f"/collections/{env.open_c}/objects/", **params)
    assert r.status_code in (200, 400), r.text
    assert r.headers["content-type"] == MT


_json = st.recursive(st.none() | st.booleans() | st.integers() | _text,
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_text, inner, max_size=3), max_leaves=10)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(objects=st.lists(_json | st.fixed_dictionaries(
    {"type": st.sampled_from(["indicator", "malware", "marking-definition", "bundle"]),
     "id": _text, "spec_version": st.sampled_from(["2.1", "2.0", ""])}), max_size=3))
def test_any_envelope_is_answered_never_500(env, objects):
    r = post(env, "cso", env.open_c, objects)
    assert r.status_code in (202, 400), r.text
    if r.status_code == 202:
        body = r.json()
        assert body["total_count"] == len(objects)


def test_the_access_list_admits_and_withdrawing_ends_access_at_once(env):
    assert env.cesi_c not in collection_ids(env, "peer")
    with unit_of_work(env.engine) as s:
        intel.grant(s, env.cesi_c, env.peer.person_id, actor=env.agency.actor)
    assert env.cesi_c in collection_ids(env, "peer")
    with unit_of_work(env.engine) as s:
        intel.withdraw(s, env.cesi_c, env.peer.person_id, actor=env.agency.actor)
    assert env.cesi_c not in collection_ids(env, "peer")
    with session_factory(env.engine)() as s:
        tags = set(s.scalars(select(AuditEvent.tag).where(
            AuditEvent.subject_id == env.cesi_c)))
    assert {"sharing:intel-collection:create", "sharing:intel-collection:grant",
            "sharing:intel-collection:withdraw", "sharing:taxii:add",
            "sharing:taxii:read"} <= tags


def test_a_review_is_audited(env):
    with session_factory(env.engine)() as s:
        tags = set(s.scalars(select(AuditEvent.tag).where(
            AuditEvent.tag.like("sharing:intel-submission:%"))))
    assert {"sharing:intel-submission:approve", "sharing:intel-submission:refuse"} <= tags


def test_a_nul_inside_a_valid_object_is_stored_and_read_back(env):
    obj = stix_indicator(21, name="C2\x00server", description="x\x00y")
    r = post(env, "agency", env.open_c, [obj])
    assert r.status_code == 202 and r.json()["success_count"] == 1, r.text
    back = get(env, "agency", f"/collections/{env.open_c}/objects/{obj['id']}/")
    assert back.json()["objects"] == [obj]
