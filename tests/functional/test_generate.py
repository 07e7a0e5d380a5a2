"""`hozen generate` on a real database: the same seed gives the same data (ids included,
whatever the batch size), every state is there, the rows refer to what exists, the audit
chain verifies, generated people decrypt and are found by name, and a database that
already holds data is refused."""

from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hozen.accounts.actor import Actor
from hozen.accounts.models import User, UserRole
from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.audit.services import verify
from hozen.clearances.models import Clearance, ClearanceCase
from hozen.cli.main import app
from hozen.db import session_factory
from hozen.designations.models import Designation, Item
from hozen.errors import Conflict
from hozen.facilities.models import Facility, Handler
from hozen.reciprocity.models import VisitRequest
from hozen.registry import search
from hozen.registry import services as registry
from hozen.registry.models import Organisation, OwnershipEdge, Person
from hozen.synth.run import generate
from tests.conftest import wipe
from tests.factories import cheap_argon2, make_user

AS_OF = date(2026, 11, 27)
SYSTEM = Actor.system("generate")
runner = CliRunner()


def run(engine, seed=11, people=300, orgs=40, items=300, batch=100):
    return generate(engine, people=people, orgs=orgs, items=items, seed=seed, actor=SYSTEM,
                    as_of=AS_OF, batch=batch)


def snapshot(engine) -> dict:
    """Counts of every table the generator fills, and a sample of ids and contents."""
    with session_factory(engine)() as s:
        people = s.scalars(select(Person.id).order_by(Person.id)).all()
        sample = [registry.read_person(s, pid, actor=SYSTEM).model_dump(
            exclude={"created_at", "updated_at"}) for pid in people[::37]]
        return {
            "people": people, "sample": sample,
            "orgs": s.execute(select(Organisation.id, Organisation.name_ja, Organisation.parent_id)
                              .order_by(Organisation.id)).all(),
            "cases": s.execute(select(ClearanceCase.id, ClearanceCase.state,
                                      ClearanceCase.person_id).order_by(ClearanceCase.id)).all(),
            "clearances": s.execute(select(Clearance.id, Clearance.status, Clearance.valid_until)
                                    .order_by(Clearance.id)).all(),
            "items": s.scalars(select(Item.id).order_by(Item.id)).all(),
            "designations": s.execute(select(Designation.reference, Designation.status)
                                      .order_by(Designation.id)).all(),
            "users": s.scalars(select(User.username).order_by(User.id)).all(),
        }


def test_same_seed_same_data_whatever_the_batch_size(clean):
    first = run(clean, batch=100)
    a = snapshot(clean)
    wipe(clean)
    second = run(clean, batch=5_000)
    b = snapshot(clean)
    assert first.counts == second.counts
    assert a == b
    assert len(a["people"]) == 300 and len(a["items"]) == 300 and len(a["orgs"]) == 40
    assert first.batches > second.batches  # it did write in more, smaller batches
    wipe(clean)
    run(clean, seed=12)
    c = snapshot(clean)
    assert set(c["people"]).isdisjoint(a["people"]) and c["sample"] != a["sample"]


def test_every_state_is_there_and_everything_refers_to_what_exists(clean):
    run(clean)
    with session_factory(clean)() as s:
        def values(col):
            return set(s.scalars(select(col).distinct()))
        assert values(ClearanceCase.state) == {
            "listed", "refused", "draft", "submitted", "investigation", "adjudication",
            "granted", "denied", "withdrawn"}
        grants = set(s.execute(select(Clearance.status, Clearance.regime).distinct()).all())
        assert grants == {(st, r) for st in ("active", "suspended", "expired", "revoked")
                          for r in ("CESI", "SDS")}
        assert len(values(Facility.state)) == 10
        assert len(values(Designation.status)) == 7
        assert s.scalar(select(func.count()).select_from(OwnershipEdge)) > 0
        assert s.scalar(select(func.count()).select_from(VisitRequest)) > 0
        # every employer exists, and a case names the person's own employer
        orphans = select(func.count()).select_from(Person).outerjoin(
            Organisation, Person.employer_id == Organisation.id).where(
            Person.employer_id.is_not(None), Organisation.id.is_(None))
        assert s.scalar(orphans) == 0
        mismatched = select(func.count()).select_from(ClearanceCase).join(
            Person, Person.id == ClearanceCase.person_id).where(
            ClearanceCase.employer_id != Person.employer_id)
        assert s.scalar(mismatched) == 0
        # a handler holds an active clearance
        uncleared = select(func.count()).select_from(Handler).where(~select(Clearance.id).where(
            Clearance.person_id == Handler.person_id, Clearance.status == "active").exists())
        assert s.scalar(uncleared) == 0
        assert s.scalar(select(func.count()).select_from(Handler)) > 0
        # active clearances run past the day the data describe; expired ones ended before
        assert s.scalar(select(func.min(Clearance.valid_until)).where(
            Clearance.status == "active")) >= AS_OF
        assert s.scalar(select(func.max(Clearance.valid_until)).where(
            Clearance.status == "expired")) < AS_OF


def test_the_audit_chain_verifies_and_holds_no_personal_data(clean):
    summary = run(clean)
    with session_factory(clean)() as s:
        assert verify(s, trusted_keys=set()).ok
        tags = s.scalars(select(AuditEvent.tag).order_by(AuditEvent.seq)).all()
        assert tags[0] == "synth:generate:start" and tags[-1] == "synth:generate:finish"
        assert tags.count("synth:generate:batch") == summary.batches - 1  # the world: start
        person = registry.read_person(s, s.scalars(select(Person.id)).first(), actor=SYSTEM)
        details = " ".join(s.scalars(select(AuditEvent.details).where(
            AuditEvent.tag.like("synth:%"))))
        for value in (person.id, person.family_name_latin, person.family_name_kanji,
                      person.birth_date.isoformat()):
            assert value is None or value not in details


def test_generated_people_decrypt_and_are_found_by_name(clean):
    run(clean)
    with session_factory(clean)() as s:
        pid = s.scalars(select(Person.id).order_by(Person.id).offset(123)).first()
        person = registry.read_person(s, pid, actor=SYSTEM)
        assert person.family_name_latin and person.given_name_kana
        assert person.nationalities and person.birth_date < AS_OF
        query = (person.family_name_kanji or person.family_name_latin) + (
            person.given_name_kanji or person.given_name_latin)
        found, _ = search.list_people(s, actor=SYSTEM, q=query, limit=100)
        assert pid in {p.id for p in found}
        assert all((p.family_name_kanji or p.family_name_latin) ==
                   (person.family_name_kanji or person.family_name_latin) for p in found)
        by_birth, _ = search.list_people(s, actor=SYSTEM, q=person.family_name_latin,
                                         birth_date=person.birth_date.isoformat())
        assert pid in {p.id for p in by_birth}
        s.rollback()


def test_a_database_holding_data_is_refused(clean):
    run(clean, people=20, items=10)
    before = snapshot(clean)
    with pytest.raises(Conflict) as exc:
        run(clean, seed=99, people=20, items=10)
    assert exc.value.field == "database"
    assert snapshot(clean) == before


def test_the_command(clean):
    args = ["generate", "--people", "60", "--orgs", "12", "--items", "30", "--seed", "3",
            "--as-of", "2026-11-27", "--batch", "20"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "person" in result.output and "60" in result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "database" in again.output
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    bad = runner.invoke(app, [*args[:-4], "--as-of", "27/11/2026"])
    assert bad.exit_code == 2 and "--as-of" in bad.output
    few = runner.invoke(app, ["generate", "--orgs", "3"])
    assert few.exit_code == 2
    with session_factory(clean)() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 60


PAGES = {
    Role.WINDOW_OFFICER: ["/people", "/organisations", "/casework", "/dashboard",
                          "/foreign-assurances", "/follow-ups"],
    Role.AGENCY_OFFICIAL: ["/designations", "/facilities", "/programmes", "/visits",
                           "/registers", "/reports/timeliness", "/reports/due-dates"],
    Role.COMPANY_SECURITY_OFFICER: ["/candidates", "/facilities", "/registers", "/people"],
}


def test_the_generated_data_renders(clean, web):
    """Every state the generator writes is one the pages can show."""
    run(clean)
    with session_factory(clean)() as s, cheap_argon2():
        window = s.scalar(select(User.organisation_id).join(UserRole).where(
            UserRole.role == "window_officer"))
        agency = s.scalar(select(Designation.agency_id).where(Designation.status == "in_force"))
        company = s.scalar(select(Facility.organisation_id).where(
            Facility.state == "certified").order_by(Facility.id))
        logins = {Role.WINDOW_OFFICER: make_user(s, Role.WINDOW_OFFICER, window),
                  Role.AGENCY_OFFICIAL: make_user(s, Role.AGENCY_OFFICIAL, agency),
                  Role.COMPANY_SECURITY_OFFICER: make_user(
                      s, Role.COMPANY_SECURITY_OFFICER, company)}
        s.commit()
        reference = s.scalar(select(Designation.reference).where(
            Designation.agency_id == agency).order_by(Designation.id))
    pages = {}
    for role, urls in PAGES.items():
        browser = web(logins[role])
        for url in urls:
            pages[role, url] = browser.get(url)
            assert pages[role, url].status_code == 200, (role, url)
    assert reference in pages[Role.AGENCY_OFFICIAL, "/designations"].text
