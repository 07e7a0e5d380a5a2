"""CUI authorization (R5) through the API and the page, on the real database: the
employer's security officer (or agency official) grants it to its own staff after an
identity check, training and a signed agreement; it lasts 5 years and counts only while
the yearly refresher is current. Who may grant, refresh, revoke and see what; bad input
is a 422 naming the field and writes nothing; every change is audited without personal
data."""

from __future__ import annotations

import calendar
import json
import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.db import session_factory, utcnow
from hozen.designations import cui
from hozen.designations.models import CuiAuthorization
from hozen.designations.schemas import CuiGrant
from hozen.errors import ValidationFailed
from tests.factories import (
    SYSTEM,
    Login,
    World,
    assert_unchanged,
    cheap_argon2,
    detached_world,
    make_person,
    make_user,
    snapshot,
)
from tests.pages import element, text

API = "/api/v1/cui-authorizations"
PAGE = "/cui-authorizations"
CSO, AGENCY = Role.COMPANY_SECURITY_OFFICER, Role.AGENCY_OFFICIAL
READERS = (Role.WINDOW_OFFICER, Role.OVERSIGHT_INSPECTOR, Role.AUDITOR)
DATES = ("identity_checked_on", "trained_on", "agreement_signed_on")
DAY = timedelta(days=1)
# What a person's record holds that an audit event must not (make_person's defaults).
PERSONAL = ("山田", "太郎", "ヤマダ", "タロウ", "Yamada", "Taro", "1980-01-02", "佐々木",
            "Sasaki")


def today() -> date:
    return utcnow().date()  # the services' today (UTC)


def years_later(d: date, years: int) -> date:
    """Reference: the same day `years` later (29 February -> 28 February)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def months_later(d: date, months: int) -> date:
    """Reference: the same day `months` later, or the last day of a shorter month."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


# --- set-up and helpers ----------------------------------------------------------------------


@pytest.fixture
def world(session) -> World:
    return detached_world(session)


def db(engine):
    return session_factory(engine)()


def extra_user(engine, role: Role, org_id: str) -> Login:
    with cheap_argon2(), db(engine) as s:
        login = make_user(s, role, org_id)
        s.commit()
    return login


def new_person(engine, employer_id: str, **kw) -> str:
    with db(engine) as s:
        person_id = make_person(s, employer_id=employer_id, **kw).id
        s.commit()
    return person_id


def body(person_id: str, **changes) -> dict:
    when = (today() - 10 * DAY).isoformat()
    return {"person_id": person_id, "identity_document": "passport",
            "identity_checked_on": when, "trained_on": when, "agreement_signed_on": when
            } | changes


def grant(client, login: Login, person_id: str, **changes) -> dict:
    r = client.post(API, headers=login.headers, json=body(person_id, **changes))
    assert r.status_code == 201, r.text
    return r.json()


def row(engine, authorization_id: str) -> CuiAuthorization:
    with db(engine) as s:
        a = s.get(CuiAuthorization, authorization_id)
        s.expunge(a)
        return a


def count(engine) -> int:
    with db(engine) as s:
        return s.scalar(select(func.count()).select_from(CuiAuthorization))


def listed(client, login: Login, **params) -> dict[str, dict]:
    r = client.get(API, headers=login.headers, params=params)
    assert r.status_code == 200, r.text
    return {a["id"]: a for a in r.json()["items"]}


def problem(r, status: int) -> dict:
    assert r.status_code == status, f"{r.status_code}: {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def codes(r) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in problem(r, 422)["errors"]}


@contextmanager
def writes_nothing(engine):
    before = snapshot(engine)
    yield
    assert_unchanged(before, snapshot(engine))


def set_columns(engine, authorization_id: str, **values) -> None:
    """Move an authorization's dates, in a transaction committed before any request."""
    with engine.begin() as conn:
        conn.execute(update(CuiAuthorization).where(CuiAuthorization.id == authorization_id)
                     .values(**values))


# --- granting -----------------------------------------------------------------------------------


def test_the_security_officer_grants_its_own_staff_five_years_refresher_yearly(
        client, engine, world):
    cso = world.users[CSO]
    trained = today() - 40 * DAY
    a = grant(client, cso, world.staff.id, trained_on=trained.isoformat(),
              identity_document="my_number_card")
    assert a == {
        "id": a["id"], "person_id": world.staff.id, "organisation_id": world.company.id,
        "identity_document": "my_number_card",
        "identity_checked_on": (today() - 10 * DAY).isoformat(),
        "trained_on": trained.isoformat(),
        "agreement_signed_on": (today() - 10 * DAY).isoformat(),
        "last_training_on": trained.isoformat(),
        "refresher_due": months_later(trained, 12).isoformat(),
        "granted_on": today().isoformat(),
        "valid_until": (years_later(today(), 5) - DAY).isoformat(),
        "status": "active", "current": True, "failures": []}
    stored = row(engine, a["id"])
    assert (stored.granted_by, stored.organisation_id, stored.status,
            stored.revoked_reason_length) == (cso.user_id, world.company.id, "active", None)
    assert listed(client, cso) == {a["id"]: a}  # as the grant answered


def test_the_agency_official_grants_its_own_staff(client, engine, world):
    official = world.users[AGENCY]
    person_id = new_person(engine, world.gov.id, family_name_kanji="官庁")
    a = grant(client, official, person_id)
    assert (a["organisation_id"], a["current"]) == (world.gov.id, True)
    assert row(engine, a["id"]).granted_by == official.user_id


@pytest.mark.parametrize("target", ["outsider", "gov staff", "unknown", "not an id"])
def test_a_grant_for_someone_not_of_its_staff_is_422_person_unknown(client, engine, world,
                                                                    target):
    person_id = {"outsider": world.outsider.id, "unknown": "01a00000-0000-7000-8000-000000000000",
                 "not an id": "no-such-person"}.get(target)
    if target == "gov staff":
        person_id = new_person(engine, world.gov.id)
    with writes_nothing(engine):
        r = client.post(API, headers=world.users[CSO].headers, json=body(person_id))
    assert codes(r) == {("person_id", "person_unknown")}
    assert problem(r, 422)["field"] == "person_id"
    assert count(engine) == 0


def test_a_person_without_an_employer_cannot_be_granted(client, engine, world):
    """Nobody's staff: unknown to an employer, and refused even to a local operator."""
    person_id = new_person(engine, None, family_name_kanji="無所属")
    with writes_nothing(engine):
        r = client.post(API, headers=world.users[CSO].headers, json=body(person_id))
        with db(engine) as s, pytest.raises(ValidationFailed) as refused:
            cui.grant(s, CuiGrant.model_validate(body(person_id)), actor=SYSTEM)
    assert codes(r) == {("person_id", "person_unknown")}
    assert refused.value.errors == [("person_id", "no_employer")]


def test_an_agency_official_cannot_grant_a_companys_staff(client, engine, world):
    with writes_nothing(engine):
        r = client.post(API, headers=world.users[AGENCY].headers, json=body(world.staff.id))
    assert codes(r) == {("person_id", "person_unknown")}


def test_a_second_current_grant_for_the_same_person_is_422(client, engine, world):
    cso = world.users[CSO]
    first = grant(client, cso, world.staff.id)
    with writes_nothing(engine):
        r = client.post(API, headers=cso.headers, json=body(world.staff.id))
    assert codes(r) == {("person_id", "cui_authorization_exists")}
    assert list(listed(client, cso)) == [first["id"]]


def test_a_new_grant_is_possible_once_the_last_is_revoked_or_expired(client, engine, world):
    cso = world.users[CSO]
    first = grant(client, cso, world.staff.id)
    r = client.post(f"{API}/{first['id']}/revocation", headers=cso.headers,
                    json={"reason": "退職"})
    assert r.status_code == 200, r.text
    second = grant(client, cso, world.staff.id)
    set_columns(engine, second["id"], valid_until=today() - DAY)
    third = grant(client, cso, world.staff.id)
    got = listed(client, cso, person_id=world.staff.id)
    assert {k: (v["status"], v["failures"]) for k, v in got.items()} == {
        first["id"]: ("revoked", ["cui_authorization_revoked"]),
        second["id"]: ("active", ["cui_authorization_expired"]),
        third["id"]: ("active", [])}


def test_an_overdue_training_cannot_ground_a_grant(client, engine, world):
    stale = months_later(today(), -12)  # exactly 12 months old: the refresher is due today
    with writes_nothing(engine):
        r = client.post(API, headers=world.users[CSO].headers,
                        json=body(world.staff.id, trained_on=stale.isoformat()))
    assert codes(r) == {("trained_on", "training_overdue")}
    grant(client, world.users[CSO], world.staff.id, trained_on=(stale + DAY).isoformat())


@pytest.mark.parametrize("field", DATES)
def test_a_future_date_is_422_naming_the_field(client, engine, world, field):
    with writes_nothing(engine):
        r = client.post(API, headers=world.users[CSO].headers,
                        json=body(world.staff.id, **{field: (today() + DAY).isoformat()}))
    assert codes(r) == {(field, "date_in_future")}
    assert problem(r, 422)["field"] == field


@pytest.mark.parametrize("field", ["person_id", "identity_document", *DATES])
def test_a_missing_field_is_422_naming_it(client, engine, world, field):
    data = body(world.staff.id)
    del data[field]
    with writes_nothing(engine):
        r = client.post(API, headers=world.users[CSO].headers, json=data)
    assert codes(r) == {(field, "required")}


@pytest.mark.parametrize(("field", "value"), [
    ("identity_document", "library_card"),
    ("identity_document", ""),
    ("identity_document", None),
    ("trained_on", "2025-02-30"),
    ("trained_on", "yesterday"),
    ("person_id", ""),
    ("person_id", "x" * 37),
    ("person_id", 12),
])
def test_a_bad_value_is_422_naming_the_field(client, engine, world, field, value):
    with writes_nothing(engine):
        r = client.post(API, headers=world.users[CSO].headers,
                        json=body(world.staff.id) | {field: value})
    assert {f for f, _ in codes(r)} == {field}


@pytest.mark.parametrize("extra", [{"status": "revoked"}, {"valid_until": "2099-12-31"},
                                   {"organisation_id": "x"}, {"granted_by": "x"},
                                   {"last_training_on": "2020-01-01"}])
def test_fields_a_caller_may_not_set_are_422(client, engine, world, extra):
    with writes_nothing(engine):
        r = client.post(API, headers=world.users[CSO].headers,
                        json=body(world.staff.id) | extra)
    assert codes(r) == {(next(iter(extra)), "invalid")}


# --- refresher and revocation -------------------------------------------------------------------


def test_a_refresher_moves_the_last_training_and_the_due_date(client, engine, world):
    cso = world.users[CSO]
    a = grant(client, cso, world.staff.id, trained_on=(today() - 300 * DAY).isoformat())
    when = today() - 2 * DAY
    r = client.post(f"{API}/{a['id']}/refresher", headers=cso.headers,
                    json={"trained_on": when.isoformat()})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["last_training_on"], got["refresher_due"], got["trained_on"], got["current"]) == (
        when.isoformat(), months_later(when, 12).isoformat(), a["trained_on"], True)
    assert (got["valid_until"], got["granted_on"]) == (a["valid_until"], a["granted_on"])
    assert row(engine, a["id"]).last_training_on == when
    # the same day again is no harm; today too
    for again in (when, today()):
        r = client.post(f"{API}/{a['id']}/refresher", headers=cso.headers,
                        json={"trained_on": again.isoformat()})
        assert r.status_code == 200 and r.json()["last_training_on"] == again.isoformat()


@pytest.mark.parametrize(("when", "code"), [(-1, "date_too_early"), (1, "date_in_future")])
def test_a_refresher_before_the_last_or_in_the_future_is_422(client, engine, world, when,
                                                            code):
    cso = world.users[CSO]
    last = today() - 5 * DAY
    a = grant(client, cso, world.staff.id, trained_on=last.isoformat())
    day = (last if when < 0 else today()) + when * DAY
    with writes_nothing(engine):
        r = client.post(f"{API}/{a['id']}/refresher", headers=cso.headers,
                        json={"trained_on": day.isoformat()})
    assert codes(r) == {("trained_on", code)}
    assert row(engine, a["id"]).last_training_on == last


@pytest.mark.parametrize("bad", [{}, {"trained_on": None}, {"trained_on": "soon"},
                                 {"trained_on": "2025-01-01", "status": "active"}])
def test_a_bad_refresher_body_is_422_and_writes_nothing(client, engine, world, bad):
    cso = world.users[CSO]
    a = grant(client, cso, world.staff.id)
    with writes_nothing(engine):
        r = client.post(f"{API}/{a['id']}/refresher", headers=cso.headers, json=bad)
    assert problem(r, 422)["field"] in {"trained_on", "status"}


def test_revocation_ends_it_and_a_second_is_409(client, engine, world):
    cso = world.users[CSO]
    a = grant(client, cso, world.staff.id)
    reason = "退職のため\n規程に従い取り消す"
    r = client.post(f"{API}/{a['id']}/revocation", headers=cso.headers,
                    json={"reason": reason})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["id"], got["status"], got["current"], got["failures"]) == (
        a["id"], "revoked", False, ["cui_authorization_revoked"])
    stored = row(engine, a["id"])
    assert (stored.status, stored.revoked_reason_length) == ("revoked", len(reason))
    assert listed(client, cso)[a["id"]] == got
    with writes_nothing(engine):
        again = client.post(f"{API}/{a['id']}/revocation", headers=cso.headers,
                            json={"reason": "二度目"})
        refresh = client.post(f"{API}/{a['id']}/refresher", headers=cso.headers,
                              json={"trained_on": today().isoformat()})
    assert problem(again, 409)["field"] == "status"
    assert problem(refresh, 409)["field"] == "status"


@pytest.mark.parametrize("bad", [{}, {"reason": ""}, {"reason": None}, {"reason": "x" * 4001},
                                 {"reason": "a\x00b"}, {"reason": "ok", "status": "active"}])
def test_a_bad_revocation_body_is_422_and_writes_nothing(client, engine, world, bad):
    cso = world.users[CSO]
    a = grant(client, cso, world.staff.id)
    with writes_nothing(engine):
        r = client.post(f"{API}/{a['id']}/revocation", headers=cso.headers, json=bad)
    assert problem(r, 422)["field"] in {"reason", "status"}
    assert row(engine, a["id"]).status == "active"


# --- who sees and changes what --------------------------------------------------------------------


def test_another_companys_officer_neither_sees_nor_changes_it(client, engine, world):
    cso = world.users[CSO]
    a = grant(client, cso, world.staff.id)
    rival = extra_user(engine, CSO, world.other_company.id)
    outsider_a = grant(client, rival, world.outsider.id)
    assert list(listed(client, rival)) == [outsider_a["id"]]
    assert list(listed(client, rival, person_id=world.staff.id)) == []
    assert list(listed(client, cso)) == [a["id"]]
    official = world.users[AGENCY]  # a government body's official: not its staff either
    assert listed(client, official) == {}
    for login in (rival, official):
        for step, data in (("refresher", {"trained_on": today().isoformat()}),
                           ("revocation", {"reason": "他社から"})):
            with writes_nothing(engine):
                hidden = client.post(f"{API}/{a['id']}/{step}", headers=login.headers,
                                     json=data)
                missing = client.post(f"{API}/01a00000-0000-7000-8000-000000000000/{step}",
                                      headers=login.headers, json=data)
            assert problem(hidden, 404) == problem(missing, 404)  # alike: nothing leaks
    assert row(engine, a["id"]).status == "active"


def test_the_window_oversight_and_auditor_see_every_authorization(client, engine, world):
    ours = grant(client, world.users[CSO], world.staff.id)
    rival = extra_user(engine, CSO, world.other_company.id)
    theirs = grant(client, rival, world.outsider.id)
    gov = grant(client, world.users[AGENCY], new_person(engine, world.gov.id))
    for role in READERS:
        got = listed(client, world.users[role])
        assert set(got) == {ours["id"], theirs["id"], gov["id"]}, role
        assert got[theirs["id"]] == theirs
        assert set(listed(client, world.users[role], person_id=world.outsider.id)) == {
            theirs["id"]}


@pytest.mark.parametrize("role", [Role.SUBJECT, Role.INVESTIGATOR, Role.ADJUDICATOR,
                                  Role.SYSTEM_ADMIN, Role.APPROVING_OFFICIAL,
                                  Role.FOREIGN_LIAISON, Role.EXTERNAL_EXPERT])
def test_roles_without_the_permission_get_403_and_write_nothing(client, engine, world, role):
    a = grant(client, world.users[CSO], world.staff.id)
    headers = world.users[role].headers
    with writes_nothing(engine):
        answers = [
            client.get(API, headers=headers),
            client.post(API, headers=headers, json=body(world.staff.id)),
            client.post(f"{API}/{a['id']}/refresher", headers=headers,
                        json={"trained_on": today().isoformat()}),
            client.post(f"{API}/{a['id']}/revocation", headers=headers,
                        json={"reason": "権限なし"}),
        ]
    for r in answers:
        assert problem(r, 403)["type"].endswith("/forbidden"), r.request.url


@pytest.mark.parametrize("role", READERS)
def test_readers_may_not_grant_refresh_or_revoke(client, engine, world, role):
    a = grant(client, world.users[CSO], world.staff.id)
    headers = world.users[role].headers
    person_id = new_person(engine, world.gov.id)
    with writes_nothing(engine):
        answers = [client.post(API, headers=headers, json=body(person_id)),
                   client.post(f"{API}/{a['id']}/refresher", headers=headers,
                               json={"trained_on": today().isoformat()}),
                   client.post(f"{API}/{a['id']}/revocation", headers=headers,
                               json={"reason": "閲覧者から"})]
    assert [r.status_code for r in answers] == [403, 403, 403]


def test_an_overdue_refresher_makes_it_not_current_until_the_next_training(client, engine,
                                                                           world):
    cso = world.users[CSO]
    a = grant(client, cso, world.staff.id, trained_on=today().isoformat())
    # the last training a year back (committed before any request): due today at the latest
    set_columns(engine, a["id"], last_training_on=months_later(today(), -12))
    for login in (cso, world.users[Role.WINDOW_OFFICER]):
        got = listed(client, login)[a["id"]]
        assert (got["current"], got["failures"], got["status"]) == (
            False, ["training_overdue"], "active")
        assert got["refresher_due"] <= today().isoformat()
    r = client.post(f"{API}/{a['id']}/refresher", headers=cso.headers,
                    json={"trained_on": today().isoformat()})
    assert (r.json()["current"], r.json()["failures"]) == (True, [])


def test_the_day_before_the_refresher_is_due_it_still_counts(client, engine, world):
    cso = world.users[CSO]
    a = grant(client, cso, world.staff.id)
    set_columns(engine, a["id"], last_training_on=months_later(today(), -12) + DAY)
    got = listed(client, cso)[a["id"]]
    assert got["refresher_due"] > today().isoformat()
    assert (got["current"], got["failures"]) == (True, [])


def test_an_expired_authorization_is_not_current(client, engine, world):
    cso = world.users[CSO]
    a = grant(client, cso, world.staff.id)
    set_columns(engine, a["id"], valid_until=today())
    assert listed(client, cso)[a["id"]]["current"] is True  # the last day still counts
    set_columns(engine, a["id"], valid_until=today() - DAY)
    got = listed(client, cso)[a["id"]]
    assert (got["current"], got["failures"]) == (False, ["cui_authorization_expired"])


def test_the_list_refuses_a_bad_person_filter(client, world):
    r = client.get(API, headers=world.users[CSO].headers, params={"person_id": "Robert'--"})
    assert problem(r, 422)["field"] == "person_id"


# --- audit --------------------------------------------------------------------------------


def test_grant_refresher_and_revocation_are_audited_without_personal_data(client, engine,
                                                                         world):
    cso = world.users[CSO]
    a = grant(client, cso, world.staff.id)
    client.post(f"{API}/{a['id']}/refresher", headers=cso.headers,
                json={"trained_on": today().isoformat()})
    reason = "山田太郎が退職したため"
    client.post(f"{API}/{a['id']}/revocation", headers=cso.headers, json={"reason": reason})
    with db(engine) as s:
        events = s.execute(select(AuditEvent).where(
            AuditEvent.tag.like("designations:cui-authorization:%")).order_by(
            AuditEvent.seq)).scalars().all()
        got = [(e.tag, e.actor, e.subject_type, e.subject_id, json.loads(e.details))
               for e in events]
    assert got == [
        ("designations:cui-authorization:grant", f"user:{cso.user_id}", "person",
         world.staff.id, {"authorization": a["id"], "status": "active",
                          "valid_until": a["valid_until"]}),
        ("designations:cui-authorization:refresher", f"user:{cso.user_id}", "person",
         world.staff.id, {"authorization": a["id"], "status": "active",
                          "trained_on": today().isoformat()}),
        ("designations:cui-authorization:revoke", f"user:{cso.user_id}", "person",
         world.staff.id, {"authorization": a["id"], "status": "revoked",
                          "reason_length": len(reason)}),
    ]
    for event in events:
        for personal in (*PERSONAL, reason, "passport"):
            assert personal not in event.details, (event.tag, personal)


def test_a_refused_change_is_not_audited(client, engine, world):
    cso = world.users[CSO]
    a = grant(client, cso, world.staff.id)
    client.post(API, headers=cso.headers, json=body(world.staff.id))  # exists: 422
    client.post(f"{API}/{a['id']}/refresher", headers=cso.headers,
                json={"trained_on": (today() + DAY).isoformat()})
    with db(engine) as s:
        tags = list(s.scalars(select(AuditEvent.tag).where(
            AuditEvent.tag.like("designations:cui-authorization:%"))))
    assert tags == ["designations:cui-authorization:grant"]


# --- the page -----------------------------------------------------------------------------






def field_of(html: str, name: str) -> str:
    """The div.field holding the input or select named `name`."""
    for m in re.finditer(r'<div class="field[^"]*"', html):
        div = element(html[m.start():], "<div")
        if f'name="{name}"' in div:
            return div
    raise AssertionError(f"no field {name}")


def row_html(html: str, authorization_id: str) -> str:
    return element(html, f'data-authorization="{authorization_id}"')


@contextmanager
def writes_nothing_but_reads(engine):
    """Every table unchanged but the audit log, which may only have grown by the record of
    what the page showed (the staff list of the grant form)."""
    before = snapshot(engine)
    with db(engine) as s:
        top = s.scalar(select(func.max(AuditEvent.seq))) or 0
    yield
    after = snapshot(engine)
    with db(engine) as s:
        tags = set(s.scalars(select(AuditEvent.tag).where(AuditEvent.seq > top)))
    assert {t for t in tags if not t.endswith((":read", ":list"))} == set(), tags
    del before["audit_event"], after["audit_event"]
    assert_unchanged(before, after)


def form(person_id: str, **changes) -> dict:
    return {k: str(v) for k, v in body(person_id, **changes).items()}


def test_the_officer_opens_the_page_and_sees_its_staffs_authorizations(client, world, web):
    a = grant(client, world.users[CSO], world.staff.id)
    page = web(world.users[CSO]).get(PAGE)
    assert page.status_code == 200, page.text[:300]
    assert text(element(page.text, "<h1")) == "CUI authorizations"
    line = text(row_html(page.text, a["id"]))
    assert "山田 太郎" in line and a["valid_until"] in line and a["refresher_due"] in line
    assert "Current" in line
    # the grant form offers its staff and no one else's
    options = element(page.text, 'id="f-person_id"')
    assert f'value="{world.staff.id}"' in options
    assert world.outsider.id not in options


def test_the_page_hides_other_companies_authorizations(client, engine, world, web):
    rival = extra_user(engine, CSO, world.other_company.id)
    theirs = grant(client, rival, world.outsider.id)
    page = web(world.users[CSO]).get(PAGE)
    assert page.status_code == 200
    assert theirs["id"] not in page.text and "佐々木" not in page.text
    assert "No authorizations." in text(element(page.text, 'id="cui-list"'))


def test_a_grant_through_the_form_appears_as_current(engine, world, web):
    cso = web(world.users[CSO])
    r = cso.post(PAGE, form(world.staff.id))
    assert r.status_code == 303, r.text[:500]
    assert r.headers["location"] == PAGE
    with db(engine) as s:
        [a] = s.scalars(select(CuiAuthorization)).all()
        assert (a.person_id, a.organisation_id, a.identity_document, a.status) == (
            world.staff.id, world.company.id, "passport", "active")
    page = cso.get(PAGE)
    line = text(row_html(page.text, a.id))
    assert "Current" in line and "Not current" not in line
    assert (years_later(today(), 5) - DAY).isoformat() in line


@pytest.mark.parametrize("field", DATES)
def test_a_future_date_in_the_form_is_422_with_the_error_next_to_it(engine, world, web,
                                                                    field):
    cso = web(world.users[CSO])
    future = (today() + DAY).isoformat()
    with writes_nothing_but_reads(engine):
        r = cso.post(PAGE, form(world.staff.id, **{field: future}))
    assert r.status_code == 422, r.text[:300]
    assert f'href="#f-{field}"' in element(r.text, 'class="summary"')
    div = field_of(r.text, field)
    assert 'class="field invalid"' in div and 'aria-invalid="true"' in div
    assert "The date cannot be in the future." in text(div)
    assert f'value="{future}"' in div  # what was typed is kept
    assert count(engine) == 0


@pytest.mark.parametrize("field", DATES)
def test_a_blank_date_in_the_form_is_422_required(engine, world, web, field):
    cso = web(world.users[CSO])
    with writes_nothing_but_reads(engine):
        r = cso.post(PAGE, form(world.staff.id, **{field: ""}))
    assert r.status_code == 422
    assert "This field is required." in text(field_of(r.text, field))


def test_a_grant_form_for_another_companys_person_is_422_next_to_the_person(engine, world,
                                                                             web):
    cso = web(world.users[CSO])
    with writes_nothing_but_reads(engine):
        r = cso.post(PAGE, form(world.outsider.id))
    assert r.status_code == 422
    assert "No such person." in text(field_of(r.text, "person_id"))
    assert count(engine) == 0


def test_the_refresher_and_revocation_forms(client, engine, world, web):
    a = grant(client, world.users[CSO], world.staff.id)
    cso = web(world.users[CSO])
    page = cso.get(PAGE).text
    assert f'action="/cui-authorizations/{a["id"]}/refresher"' in row_html(page, a["id"])
    when = (today() - DAY).isoformat()
    r = cso.post(f"{PAGE}/{a['id']}/refresher", {"trained_on": when})
    assert r.status_code == 303 and r.headers["location"] == PAGE, r.text[:300]
    assert row(engine, a["id"]).last_training_on.isoformat() == when
    assert months_later(today() - DAY, 12).isoformat() in text(row_html(cso.get(PAGE).text,
                                                                         a["id"]))
    r = cso.post(f"{PAGE}/{a['id']}/revocation", {"reason": "退職のため"})
    assert r.status_code == 303 and r.headers["location"] == PAGE, r.text[:300]
    assert row(engine, a["id"]).status == "revoked"
    line = row_html(cso.get(PAGE).text, a["id"])
    assert "Not current: revoked" in text(line)
    assert "<form" not in line  # nothing more to do on a revoked one
    with writes_nothing_but_reads(engine):  # posted again (an old page): refused
        again = cso.post(f"{PAGE}/{a['id']}/revocation", {"reason": "二度目"})
    assert again.status_code == 422
    assert element(again.text, 'class="summary"')


def test_a_future_refresher_in_the_form_is_422_shown_at_its_own_row(client, engine, world,
                                                                    web):
    a = grant(client, world.users[CSO], world.staff.id)
    cso = web(world.users[CSO])
    future = (today() + DAY).isoformat()
    with writes_nothing_but_reads(engine):
        r = cso.post(f"{PAGE}/{a['id']}/refresher", {"trained_on": future})
    assert r.status_code == 422
    assert "The date cannot be in the future." in text(element(r.text, 'class="summary"'))
    # the error belongs to the refresher of that authorization, not to the grant form
    assert "The date cannot be in the future." in text(row_html(r.text, a["id"]))
    grant_form = element(r.text, 'id="cui-grant"')
    assert "invalid" not in grant_form and future not in grant_form


def test_another_companys_officer_cannot_use_the_forms_on_it(client, engine, world, web):
    a = grant(client, world.users[CSO], world.staff.id)
    rival = web(extra_user(engine, CSO, world.other_company.id))
    for step, data in (("refresher", {"trained_on": today().isoformat()}),
                       ("revocation", {"reason": "他社から"})):
        with writes_nothing(engine):
            r = rival.post(f"{PAGE}/{a['id']}/{step}", data)
        assert r.status_code == 404, (step, r.status_code)
        assert text(element(r.text, "<h1")) == "Not found"
    assert row(engine, a["id"]).status == "active"


@pytest.mark.parametrize("role", READERS)
def test_readers_open_the_page_without_forms(client, world, web, role):
    a = grant(client, world.users[CSO], world.staff.id)
    page = web(world.users[role]).get(PAGE)
    assert page.status_code == 200
    assert "Current" in text(row_html(page.text, a["id"]))
    assert "<form" not in element(page.text, 'id="cui-list"')
    assert 'id="cui-grant"' not in page.text


@pytest.mark.parametrize("role", [Role.SUBJECT, Role.INVESTIGATOR, Role.SYSTEM_ADMIN,
                                  Role.EXTERNAL_EXPERT])
def test_roles_without_the_permission_get_the_403_page(client, engine, world, web, role):
    a = grant(client, world.users[CSO], world.staff.id)
    browser = web(world.users[role])
    with writes_nothing(engine):
        answers = [browser.get(PAGE), browser.post(PAGE, form(world.staff.id)),
                   browser.post(f"{PAGE}/{a['id']}/refresher",
                                {"trained_on": today().isoformat()}),
                   browser.post(f"{PAGE}/{a['id']}/revocation", {"reason": "権限なし"})]
    for r in answers:
        assert r.status_code == 403, (r.request.url, r.status_code)
        assert r.headers["content-type"].startswith("text/html")
        assert text(element(r.text, "<h1")) == "Not permitted"
        assert a["id"] not in element(r.text, 'id="main"')


@pytest.mark.parametrize("role", READERS)
def test_readers_posting_the_forms_get_the_403_page(client, engine, world, web, role):
    a = grant(client, world.users[CSO], world.staff.id)
    browser = web(world.users[role])
    with writes_nothing(engine):
        answers = [browser.post(PAGE, form(world.staff.id)),
                   browser.post(f"{PAGE}/{a['id']}/revocation", {"reason": "閲覧者から"})]
    assert [r.status_code for r in answers] == [403, 403]


# --- reminders from `hozen jobs run` ---------------------------------------------------


def _run_jobs(day: date) -> str:
    from typer.testing import CliRunner

    from hozen.cli.main import app as cli

    result = CliRunner().invoke(cli, ["jobs", "run", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def _kinds(client, login: Login) -> list[str]:
    return [n["kind"] for n in client.get("/api/v1/me/notifications",
                                          headers=login.headers).json()["items"]]


def test_the_refresher_and_the_end_are_reminded_once_each(client, engine, world):
    a = grant(client, world.users[CSO], world.staff.id)
    due, until = date.fromisoformat(a["refresher_due"]), date.fromisoformat(a["valid_until"])
    assert "CUI reminders 0" in _run_jobs(due - timedelta(days=31))  # not yet
    # 30 days ahead: the person (the subject's account) and the company's officer
    assert "CUI reminders 2" in _run_jobs(due - timedelta(days=30))
    before = snapshot(engine)
    assert "CUI reminders 0" in _run_jobs(due - timedelta(days=30))
    assert "CUI reminders 0" in _run_jobs(due - timedelta(days=5))  # one per due date
    assert_unchanged(before, snapshot(engine))
    for role in (Role.SUBJECT, CSO):
        assert _kinds(client, world.users[role]).count("cui_refresher_due") == 1, role
    assert "cui_refresher_due" not in _kinds(client, world.users[AGENCY])
    # near the end of the 5 years (its refresher, recorded each year, not due then)
    with session_factory(engine)() as s:
        s.execute(update(CuiAuthorization).where(CuiAuthorization.id == a["id"])
                  .values(last_training_on=until - timedelta(days=20)))
        s.commit()
    assert "CUI reminders 2" in _run_jobs(until - timedelta(days=10))
    assert _kinds(client, world.users[Role.SUBJECT]).count("cui_expiring") == 1
    # a revoked authorization is never reminded
    client.post(f"{API}/{a['id']}/revocation", json={"reason": "退職"},
                headers=world.users[CSO].headers)
    assert "CUI reminders 0" in _run_jobs(until - timedelta(days=1))
