"""Interoperability with the OASIS reference client `taxii2-client` against a real
`hozen serve` process on 127.0.0.1: discover, list collections, add a bundle, read it
back, page through 1,000 objects; an uncleared user's client sees neither the collection
nor its objects; Basic (the token as password) and bearer both work."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from hozen.accounts import tokens
from hozen.accounts.permissions import Role
from hozen.db import unit_of_work
from hozen.sharing import intel, taxii
from tests.factories import (
    certify_facility,
    cheap_argon2,
    make_collection,
    make_intel_member,
    make_org,
    stix_indicator,
)
from tests.servers import served


@dataclass
class Live:
    url: str
    agency: str  # tokens
    cso: str
    uncleared: str
    shared: str  # a government-run CUI collection
    restricted: str  # a CESI collection with an access list (agency and cso)


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


@pytest.fixture(scope="module")
def live(engine, tmp_path_factory):
    from tests.conftest import wipe

    wipe(engine)
    with cheap_argon2(), unit_of_work(engine) as s:
        gov = make_org(s, kind="government_body", name_ja="内閣府", name_en="CAO")
        company, stranger = make_org(s), make_org(s)
        agency = make_intel_member(s, Role.AGENCY_OFFICIAL, gov.id, regime="SDS")
        cso = make_intel_member(s, Role.COMPANY_SECURITY_OFFICER, company.id, sponsor_id=gov.id)
        uncleared = make_intel_member(s, Role.COMPANY_SECURITY_OFFICER, stranger.id,
                                      regime=None)
        certify_facility(s, company.id, gov.id, agency.user_id)
        shared = make_collection(s, agency, level="CUI", government_run=True,
                                 title="政府の脅威情報").id
        restricted = make_collection(s, agency, level="CESI", title="CESI 共有").id
        for who in (agency, cso):
            intel.grant(s, restricted, who.person_id, actor=agency.actor)
        toks = [tokens.issue(s, "taxii2-client", 1, actor=who.actor)[1]
                for who in (agency, cso, uncleared)]
    with served(tmp_path_factory.mktemp("taxii") / "serve.log") as server:
        yield Live(server.url, *toks, shared, restricted)


def _server(live: Live, token: str) -> Server:
    return Server(live.url + "/taxii2/", user="taxii", password=token)


def test_discover_list_add_and_read_back(live):
    server = _server(live, live.cso)
    assert server.title == "hozen TAXII 2.1"
    root = server.default
    assert root.url == live.url + "/taxii2/hozen/" and root.versions == [taxii.MEDIA_TYPE]
    listed = {c.id: c for c in root.collections}
    assert {live.shared, live.restricted} <= set(listed)
    collection = listed[live.restricted]
    assert collection.can_read and collection.can_write
    bundle = [stix_indicator(i) for i in range(3)]
    malware = {"type": "malware", "spec_version": "2.1",
               "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
               "created": "2026-03-01T00:00:00.000Z", "modified": "2026-03-01T00:00:00.000Z",
               "name": "Shadowpad", "is_family": True}
    relation = {"type": "relationship", "spec_version": "2.1",
                "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
                "created": "2026-03-01T00:00:00.000Z", "modified": "2026-03-01T00:00:00.000Z",
                "relationship_type": "indicates", "source_ref": bundle[0]["id"],
                "target_ref": malware["id"]}
    status = collection.add_objects({"objects": [*bundle, malware, relation]})
    assert status.status == "complete" and status.success_count == 5, status.failures
    assert status.failure_count == 0
    back = collection.get_object(malware["id"])
    assert back["objects"] == [malware]
    ids = {o["id"] for o in collection.get_objects(**{"type": "indicator"}).get("objects", [])}
    assert {o["id"] for o in bundle} <= ids
    manifest = collection.get_manifest()
    assert malware["id"] in {m["id"] for m in manifest["objects"]}
    versions = collection.object_versions(malware["id"])
    assert versions["versions"] == ["2026-03-01T00:00:00.000Z"]


def test_invalid_objects_come_back_as_failures_naming_them(live):
    collection = Collection(f"{live.url}/taxii2/hozen/collections/{live.shared}/",
                            user="taxii", password=live.agency)
    bad = stix_indicator(7, spec_version="2.0")
    status = collection.add_objects({"objects": [bad]})
    assert status.failure_count == 1 and status.failures[0]["id"] == bad["id"]
    with pytest.raises(requests.HTTPError) as caught:
        collection.get_object(bad["id"])
    assert caught.value.response.status_code == 404


def test_page_through_a_thousand_objects(live, engine):
    from hozen.api.gates import token_actor

    with unit_of_work(engine) as s:
        actor = token_actor(s, live.agency)
        r = taxii.reader(s, actor)
        c = taxii.get_collection(s, r, live.shared)
        sent = [stix_indicator(i) for i in range(1000)]
        status = taxii.add_objects(s, r, c, sent)
        assert len(status.successes) == 1000
    collection = Collection(f"{live.url}/taxii2/hozen/collections/{live.shared}/",
                            auth=Bearer(live.cso))
    seen, pages = [], 0
    for envelope in as_pages(collection.get_objects, per_request=100,
                             **{"type": "indicator"}):
        pages += 1
        seen += [o["id"] for o in envelope.get("objects", [])]
    assert pages >= 10 and len(seen) == len(set(seen))
    assert {o["id"] for o in sent} <= set(seen)
    manifest_ids = []
    for envelope in as_pages(collection.get_manifest, per_request=250):
        manifest_ids += [m["id"] for m in envelope.get("objects", [])]
    assert {o["id"] for o in sent} <= set(manifest_ids)


def test_an_uncleared_users_client_sees_neither_collection_nor_objects(live):
    server = _server(live, live.uncleared)
    root = server.default
    assert {c.id for c in root.collections}.isdisjoint({live.shared, live.restricted})
    for cid in (live.shared, live.restricted):
        collection = Collection(f"{live.url}/taxii2/hozen/collections/{cid}/",
                                user="taxii", password=live.uncleared)
        with pytest.raises(requests.HTTPError) as caught:
            collection.get_objects()
        assert caught.value.response.status_code == 404
        with pytest.raises(requests.HTTPError):
            collection.get_manifest()


def test_an_api_root_without_a_token_is_refused(live):
    root = ApiRoot(live.url + "/taxii2/hozen/")
    with pytest.raises(requests.HTTPError) as caught:
        root.refresh()
    assert caught.value.response.status_code == 401
