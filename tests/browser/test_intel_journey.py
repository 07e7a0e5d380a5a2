"""Threat intelligence in real Chromium (English pages): a company's security officer
issues an API token (shown once), submits a STIX indicator anonymously to the government's
collection; it waits for the agency's review; the agency official releases it; another
company's officer then reads it with its creator replaced by hozen's anonymous identity,
and a person with no clearance does not even see the CUI collection."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from hozen.accounts.permissions import Role
from hozen.db import new_id, unit_of_work, utcnow
from hozen.facilities.models import TrainingRecord
from hozen.sharing import stix
from tests.browser.helpers import post_status, sign_in
from tests.factories import (
    cheap_argon2,
    make_clearance,
    make_collection,
    make_person,
    make_user,
)

pytestmark = pytest.mark.browser

AGENCY, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER



def _cleared_user(s, world, role: Role, org_id: str):
    """A user who is a person of `org_id` with a CESI clearance and current training."""
    agency = world.users[AGENCY].user_id
    person = make_person(s, employer_id=org_id, given_name_kanji="情報")
    make_clearance(s, person.id, "CESI", sponsor_id=world.gov.id, employer_id=org_id,
                   listed_by=agency)
    s.add(TrainingRecord(id=new_id(), person_id=person.id, organisation_id=org_id,
                         kind="initial", recorded_by=agency,
                         trained_on=utcnow().date() - timedelta(days=10)))
    return make_user(s, role, org_id, person_id=person.id)


def test_submit_review_and_read_anonymously(page: Page, live_server, engine):
    server, world = live_server, live_server.world
    with unit_of_work(engine) as s, cheap_argon2():
        submitter = _cleared_user(s, world, CSO, world.company.id)
        reviewer = _cleared_user(s, world, AGENCY, world.gov.id)
        peer = _cleared_user(s, world, CSO, world.other_company.id)
        bare = make_user(s, CSO, world.other_company.id,
                         person_id=make_person(s, employer_id=world.other_company.id).id)
        collection = make_collection(s, reviewer, level="CUI", government_run=True,
                                     review_required=True, title="Gov threat feed").id

    # The submitter issues a token for a TAXII client: it is shown once.
    sign_in(page, server, submitter.username, "/tokens", lang="en")
    page.get_by_label("Label (what the token is for)").fill("SOC TAXII client")
    assert post_status(page, lambda: page.get_by_role(
        "button", name="Issue the token").click()) == 303
    token = page.locator("#token-value").inner_text()
    assert token.startswith("hzn_")
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.locator("#token-list")).to_contain_text("SOC TAXII client")

    # ... and submits an indicator anonymously.
    creator = f"identity--{uuid.uuid4()}"
    indicator = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
                 "created": "2026-05-01T00:00:00.000Z", "modified": "2026-05-01T00:00:00.000Z",
                 "name": "Phishing domain", "created_by_ref": creator,
                 "pattern": "[domain-name:value = 'login-secure.example']",
                 "pattern_type": "stix", "valid_from": "2026-05-01T00:00:00Z",
                 "object_marking_refs": [stix.TLP_ID["GREEN"]]}
    page.goto(server.url + "/intel/submit")
    page.get_by_label("Collection").select_option(collection)
    page.get_by_label("STIX 2.1 JSON").fill(json.dumps(indicator))
    page.get_by_label("Stay anonymous to other members").check()
    assert post_status(page, lambda: page.get_by_role("button", name="Submit",
                                                      exact=True).click()) == 303
    expect(page).to_have_url(f"{server.url}/intel/collections/{collection}")
    expect(page.locator("#object-list")).to_contain_text("awaiting agency review")

    # Before review another member sees nothing of it.
    sign_in(page, server, peer.username, f"/intel/collections/{collection}", lang="en")
    expect(page.locator("#object-list")).not_to_contain_text("Phishing domain")

    # The agency official reviews it from the list of pending submissions.
    sign_in(page, server, reviewer.username, "/intel", lang="en")
    page.locator("#pending").get_by_role("link", name="indicator: Phishing domain").click()
    expect(page.locator("#submitter")).to_contain_text("anonymous to peers")
    page.get_by_label("Decision").select_option("yes")
    page.get_by_label("Reasons").fill("Confirmed with JPCERT data")
    assert post_status(page, lambda: page.get_by_role(
        "button", name="Record the decision").click()) == 303
    expect(page.locator("#object-status")).to_have_text("released to members")

    # Now the peer reads it, its creator replaced by the anonymous identity.
    sign_in(page, server, peer.username, f"/intel/collections/{collection}", lang="en")
    page.get_by_role("link", name="Phishing domain").click()
    expect(page.locator("#submitter")).to_have_text("an anonymous member")
    expect(page.locator("#stix-body")).to_contain_text(stix.ANONYMOUS_IDENTITY)
    expect(page.locator("#stix-body")).not_to_contain_text(creator)

    # A person with no clearance does not see the CUI collection at all.
    sign_in(page, server, bare.username, "/intel", lang="en")
    expect(page.locator("#collection-list")).not_to_contain_text("Gov threat feed")
