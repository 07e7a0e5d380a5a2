"""Tear-lines: the agency derives a releasable version (CUI or TLP:AMBER, named parts
removed) of a classified report, linked to its source; a second official — never the
author — approves it before it is released into a collection for uncleared security
staff; every step is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.errors import Conflict, Forbidden, NotFound, ValidationFailed
from hozen.notifications.models import Notification
from hozen.sharing import intel, stix, taxii, tearlines
from hozen.sharing.intel_models import StixObject, TearLine
from hozen.sharing.intel_schemas import ReviewDecision, TearLineCreate
from tests.factories import (
    cheap_argon2,
    make_collection,
    make_intel_member,
    make_org,
    stix_indicator,
)

REPORT = {"type": "report", "spec_version": "2.1",
          "id": "report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3",
          "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z",
          "name": "APT campaign against the grid", "report_types": ["threat-report"],
          "published": "2026-04-01T00:00:00Z",
          "description": "Source: liaison service X (sensitive)",
          "labels": ["source-sensitive"],
          "object_refs": ["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2"],
          "object_marking_refs": [stix.level_marking("CESI")]}


@pytest.fixture
def world(session):
    with cheap_argon2():
        gov = make_org(session, kind="government_body")
        author = make_intel_member(session, Role.AGENCY_OFFICIAL, gov.id, regime="SDS")
        second = make_intel_member(session, Role.APPROVING_OFFICIAL, gov.id, regime="SDS")
        company = make_org(session)
        staff = make_intel_member(session, Role.COMPANY_SECURITY_OFFICER, company.id,
                                  regime=None)
    from hozen.db import new_id, utcnow
    from hozen.designations.models import CuiAuthorization as Cui  # CUI-authorised staff

    today = utcnow().date()
    session.add(Cui(id=new_id(), person_id=staff.person_id, organisation_id=company.id,
                    identity_document="passport", identity_checked_on=today,
                    trained_on=today, agreement_signed_on=today, last_training_on=today,
                    granted_on=today, valid_until=today.replace(year=today.year + 5),
                    granted_by=author.user_id))
    classified = make_collection(session, author, level="CESI", title="機密報告")
    for who in (author, second):
        intel.grant(session, classified.id, who.person_id, actor=author.actor)
    released = make_collection(session, author, level="CUI", government_run=True,
                               title="テアライン")
    r = taxii.reader(session, author.actor)
    taxii.add_objects(session, r, classified, [REPORT, stix_indicator(
        1, id="indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2")])
    source = session.scalar(select(StixObject).where(StixObject.stix_id == REPORT["id"]))
    session.commit()
    return dict(author=author, second=second, staff=staff, classified=classified.id,
                released=released.id, source=source.id)


def _visible_ids(session, login, collection_id) -> set[str]:
    r = taxii.reader(session, login.actor)
    c = taxii.get_collection(session, r, collection_id)
    return {o.stix_id for o in taxii.query_objects(session, r, c, taxii.Filters(limit=1000))
            .objects}


def test_derive_then_a_second_official_releases(session, world):
    author, second, staff = world["author"], world["second"], world["staff"]
    # the uncleared staff see nothing of the classified collection
    with pytest.raises(NotFound):
        _visible_ids(session, staff, world["classified"])
    t = tearlines.derive(session, TearLineCreate(
        source_id=world["source"], collection_id=world["released"], target="CUI",
        remove=["description", "labels"]), actor=author.actor)
    assert t.status == "pending" and t.source_id == world["source"]
    assert "description" not in t.body and "labels" not in t.body
    assert t.body["id"] != REPORT["id"] and t.body["type"] == "report"
    assert t.body["object_marking_refs"] == [stix.level_marking("CUI")]
    assert t.body["name"] == REPORT["name"]
    assert _visible_ids(session, staff, world["released"]) == set()  # not yet released
    notice = session.scalar(select(Notification).where(
        Notification.user_id == second.user_id, Notification.kind == "tearline_pending"))
    assert notice is not None and t.id in notice.dedupe_key
    with pytest.raises(ValidationFailed) as caught:  # never the author
        tearlines.decide(session, t.id, ReviewDecision(approve=True), actor=author.actor)
    assert caught.value.errors == [("decided_by", "author_cannot_approve")]
    tearlines.decide(session, t.id, ReviewDecision(approve=True), actor=second.actor)
    assert (t.status, t.decided_by) == ("released", second.user_id)
    assert _visible_ids(session, staff, world["released"]) == {t.body["id"]}
    with pytest.raises(Conflict):
        tearlines.decide(session, t.id, ReviewDecision(approve=True), actor=second.actor)
    session.commit()  # audit events are chained and written at commit
    tags = set(session.scalars(select(AuditEvent.tag).where(AuditEvent.subject_id == t.id)))
    assert tags == {"sharing:tearline:derive", "sharing:tearline:release"}


def test_a_tlp_amber_tear_line_and_a_refusal(session, world):
    t = tearlines.derive(session, TearLineCreate(
        source_id=world["source"], collection_id=world["released"], target="TLP:AMBER",
        remove=["description"]), actor=world["author"].actor)
    assert t.body["object_marking_refs"] == [stix.TLP_ID["AMBER"]]
    with pytest.raises(ValidationFailed):
        tearlines.decide(session, t.id, ReviewDecision(approve=False),
                         actor=world["second"].actor)
    tearlines.decide(session, t.id, ReviewDecision(approve=False, reasons="出典が推測できる"),
                     actor=world["second"].actor)
    assert t.status == "refused" and t.released_id is None
    assert _visible_ids(session, world["staff"], world["released"]) == set()


@pytest.mark.parametrize("remove, code", [(["id"], "invalid"), (["nonexistent"], "invalid"),
                                          (["name"], "invalid")])
def test_removing_what_cannot_go_is_refused(session, world, remove, code):
    """Identity properties and required properties stay (name is required of a report)."""
    with pytest.raises(ValidationFailed) as caught:
        tearlines.derive(session, TearLineCreate(
            source_id=world["source"], collection_id=world["released"], target="CUI",
            remove=remove), actor=world["author"].actor)
    assert caught.value.errors == [("remove", code)]
    assert session.scalar(select(TearLine.id)) is None


def test_only_a_classified_source_into_an_unclassified_collection(session, world):
    author = world["author"]
    unmarked = session.scalar(select(StixObject).where(StixObject.stix_type == "indicator"))
    # the indicator sits in the CESI collection: classified by its collection
    with pytest.raises(ValidationFailed) as caught:
        tearlines.derive(session, TearLineCreate(
            source_id=world["source"], collection_id=world["classified"], target="CUI"),
            actor=author.actor)
    assert caught.value.errors == [("collection_id", "collection_classified")]
    r = taxii.reader(session, author.actor)
    released = taxii.get_collection(session, r, world["released"])
    taxii.add_objects(session, r, released, [stix_indicator(2)])
    plain = session.scalar(select(StixObject).where(StixObject.collection_id == released.id))
    with pytest.raises(ValidationFailed) as caught:
        tearlines.derive(session, TearLineCreate(
            source_id=plain.id, collection_id=world["released"], target="CUI"),
            actor=author.actor)
    assert caught.value.errors == [("source_id", "tearline_source_not_classified")]
    assert unmarked is not None


def test_who_may_derive_and_decide(session, world):
    with pytest.raises(Forbidden):  # approving officials approve, they do not derive
        tearlines.derive(session, TearLineCreate(
            source_id=world["source"], collection_id=world["released"], target="CUI"),
            actor=world["second"].actor)
    with pytest.raises(NotFound):  # a source the actor cannot read is not found
        tearlines.derive(session, TearLineCreate(
            source_id=world["source"], collection_id=world["released"], target="CUI"),
            actor=world["staff"].actor.__class__(
                id=world["author"].actor.id + "x", username="x",
                roles=frozenset({Role.AGENCY_OFFICIAL}),
                organisation_id=world["author"].org_id))
    t = tearlines.derive(session, TearLineCreate(
        source_id=world["source"], collection_id=world["released"], target="CUI"),
        actor=world["author"].actor)
    with pytest.raises(Forbidden):
        tearlines.decide(session, t.id, ReviewDecision(approve=True),
                         actor=world["staff"].actor)
    assert [x.id for x in tearlines.awaiting(session, actor=world["second"].actor)[0]] == [t.id]
