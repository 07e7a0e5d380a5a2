"""What the permission tests of test_permissions_matrix.py act on for the pages and forms
of threat intelligence and API tokens. The officials' agency (the world's government body)
runs an unmarked collection whose company submissions it reviews, and a CESI collection
whose access list holds the agency official and the approving official (each given an SDS
clearance and current training here: a world user is no cleared person otherwise). Every
form gets what it uses up afresh: a submission awaiting review, a classified report to
derive a tear-line from, a pending tear-line, a token of the user's own."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from hozen.accounts import tokens
from hozen.accounts.models import User
from hozen.accounts.permissions import Role
from hozen.db import new_id, unit_of_work, utcnow
from hozen.facilities.models import TrainingRecord
from hozen.sharing import intel, stix, taxii, tearlines
from hozen.sharing.intel_models import StixObject
from hozen.sharing.intel_schemas import CollectionCreate, TearLineCreate
from tests.factories import make_clearance, make_person

AGO, APO = Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL
CSO, WO = Role.COMPANY_SECURITY_OFFICER, Role.WINDOW_OFFICER
SOME_ID = "0b6f3c8e-5f1d-4c1e-9a57-3c2b8f0d4e11"

WEB = {
    ("GET", "/intel"): "page",
    ("GET", "/intel/submit"): "page",
    ("POST", "/intel/submit"): "form",
    ("POST", "/intel/collections"): "form",
    ("GET", "/intel/collections/{collection_id}"): "page",
    ("POST", "/intel/collections/{collection_id}/members"): "form",
    ("GET", "/intel/objects/{object_id}"): "page",
    ("POST", "/intel/objects/{object_id}/review"): "form",
    ("POST", "/intel/objects/{object_id}/tearline"): "form",
    ("POST", "/intel/tearlines/{tearline_id}/decision"): "form",
    ("GET", "/tokens"): "page",
    ("POST", "/tokens"): "form",
    ("POST", "/tokens/{token_id}/revocation"): "form",
}
PAGE_IDS = {"collection_id": SOME_ID, "object_id": SOME_ID, "tearline_id": SOME_ID,
            "token_id": SOME_ID}
FORMS = ("/intel", "/tokens")


def _cleared(env, s, role: Role) -> None:
    """Give the world's user of `role` a person of the government body (if it has none)
    with an SDS clearance and current training."""
    user = s.get(User, env.world.users[role].user_id)
    if user.person_id is None:
        person = make_person(s, employer_id=env.world.gov.id, family_name_kanji="脅威")
        s.execute(update(User).where(User.id == user.id).values(person_id=person.id))
        person_id = person.id
    else:
        person_id = user.person_id
    if env.cases.get(("intel cleared", role)):
        return
    make_clearance(s, person_id, "SDS", sponsor_id=env.world.gov.id,
                   employer_id=env.world.gov.id, listed_by=user.id)
    s.add(TrainingRecord(id=new_id(), person_id=person_id, organisation_id=env.world.gov.id,
                         kind="initial", recorded_by=user.id,
                         trained_on=utcnow().date() - timedelta(days=5)))
    s.flush()
    env.cases[("intel cleared", role)] = person_id


def _login(env, role: Role):
    """The world's user as its actor now (its person may have been set here)."""
    from hozen.accounts.services import actor_for

    with unit_of_work(env.engine) as s:
        user = s.get(User, env.world.users[role].user_id)
        actor = actor_for(user)
    return actor


def collections_in(env) -> tuple[str, str]:
    """(the reviewed unmarked collection, the CESI collection with its access list)."""
    if "intel collections" not in env.cases:
        with unit_of_work(env.engine) as s:
            for role in (AGO, APO):
                _cleared(env, s, role)
        agency = _login(env, AGO)
        with unit_of_work(env.engine) as s:
            open_c = intel.create_collection(s, CollectionCreate(
                title="画面の脅威情報", level="UNMARKED", government_run=True,
                review_required=True), actor=agency)
            secret = intel.create_collection(s, CollectionCreate(
                title="画面の機密報告", level="CESI"), actor=agency)
            for role in (AGO, APO):
                intel.grant(s, secret.id, env.cases[("intel cleared", role)], actor=agency)
        env.cases["intel collections"] = (open_c.id, secret.id)
    return env.cases["intel collections"]


def indicator() -> dict:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.7']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"}


def _add(env, role: Role, collection_id: str, obj: dict) -> str:
    """Store one object as `role`'s user would submit it; its row id."""
    actor = _login(env, role)
    with unit_of_work(env.engine) as s:
        r = taxii.reader(s, actor)
        c = taxii.get_collection(s, r, collection_id)
        taxii.add_objects(s, r, c, [obj])
        return s.scalar(select(StixObject.id).where(StixObject.stix_id == obj["id"]))


def pending_in(env) -> str:
    """A company submission awaiting the agency's review."""
    return _add(env, CSO, collections_in(env)[0], indicator())


def report_in(env) -> str:
    """A CESI report in the classified collection."""
    report = {"type": "report", "spec_version": "2.1", "id": f"report--{uuid.uuid4()}",
              "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z",
              "name": "画面の報告", "published": "2026-04-01T00:00:00Z",
              "description": "出典: 機微", "object_refs": [indicator()["id"]],
              "object_marking_refs": [stix.level_marking("CESI")]}
    return _add(env, AGO, collections_in(env)[1], report)


def tearline_in(env) -> str:
    source = report_in(env)
    agency = _login(env, AGO)
    with unit_of_work(env.engine) as s:
        return tearlines.derive(s, TearLineCreate(
            source_id=source, collection_id=collections_in(env)[0], target="TLP:AMBER",
            remove=["description"]), actor=agency).id


def token_in(env, role: Role) -> str:
    actor = _login(env, role)
    with unit_of_work(env.engine) as s:
        return tokens.issue(s, "画面で失効", 5, actor=actor)[0].id


def form(env, path: str, page_url, fresh: bool) -> tuple[Role, str, dict]:
    """(who posts, where, a valid body) for each form of threat intelligence and tokens."""
    if path == "/tokens":
        return WO, path, {"label": "画面の鍵", "days": "30"}
    if path == "/tokens/{token_id}/revocation":
        return WO, page_url(env, path, token_id=token_in(env, WO)), {}
    if path == "/intel/collections":
        return AGO, path, {"title": "画面で開くコレクション", "level": "CUI",
                           "programmes": "", "releasable_to": "USA, GBR",
                           "government_run": "yes"}
    if path == "/intel/collections/{collection_id}/members":  # a fresh person each time
        collections_in(env)
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=env.world.company.id,
                                 family_name_kanji="取扱")
        return AGO, page_url(env, path, collection_id=collections_in(env)[1]), {
            "person_id": person.id}
    if path == "/intel/submit":
        return CSO, path, {"collection_id": collections_in(env)[0],
                           "stix": json.dumps(indicator()), "anonymous": "yes"}
    if path == "/intel/objects/{object_id}/review":
        return AGO, page_url(env, path, object_id=pending_in(env)), {
            "approve": "yes", "reasons": "画面から確認"}
    if path == "/intel/objects/{object_id}/tearline":
        return AGO, page_url(env, path, object_id=report_in(env)), {
            "collection_id": collections_in(env)[0], "target": "CUI",
            "remove": "description"}
    assert path == "/intel/tearlines/{tearline_id}/decision", f"no form for {path}"
    return APO, page_url(env, path, tearline_id=tearline_in(env)), {
        "approve": "yes", "reasons": "画面から承認"}
