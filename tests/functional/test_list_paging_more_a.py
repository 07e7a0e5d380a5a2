"""Cursor pagination of the lists paged in the sixth session (issue 10 item 3): a
subject's own cases; a designation's items, reviews and objections, the reviews awaiting
a record and every objection; the agreements; staff overdue for training; a facility's
inspections, research participants and specification, and the overdue corrective
actions; the time-to-access report. Each is walked to its end in small pages: every row
the reader may see comes exactly once, in the list's order, and a reader who may see only
some rows sees only those. A cursor this server did not hand out is a 422 naming
`cursor`; the pages link to their next page, each list with its own cursor."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hozen.accounts.permissions import Role
from hozen.audit.services import record
from hozen.clearances.models import ClearanceCase
from hozen.db import new_id, session_factory, utcnow
from hozen.designations.models import Item, Objection, Review
from hozen.facilities.models import (
    Facility,
    Inspection,
    InspectionFinding,
    ResearchParticipant,
    SpecificationEntry,
    TrainingRecord,
)
from hozen.paging import MAX_PAGE, encode_cursor
from hozen.reciprocity.models import Agreement, ForeignAssurance
from tests.factories import Login, cheap_argon2, make_person, make_user
from tests.functional.test_designations import assert_problem, extra_user, in_force, other_agency
from tests.functional.test_facilities import deputy  # noqa: F401
from tests.functional.test_facility_registers import Setup, clear, world  # noqa: F401
from tests.functional.test_facility_registers import s as registers  # noqa: F401
from tests.functional.test_statement_counts import counting

API = "/api/v1"
LIMIT = 2  # small pages: a walk crosses several
N = 5  # rows of each list the reader sees
AGENCY, CSO, SUBJECT = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT


@pytest.fixture
def setup(registers) -> Setup:  # noqa: F811
    """The registers' world: a certified facility of the company and its designations."""
    return registers


def today():
    return utcnow().date()


def walk(client, login: Login, path: str, **params) -> tuple[list[dict], int]:
    """Every row of a paged list, following `next_cursor` in pages of LIMIT, and how many
    pages it took; every page but the last is full."""
    rows: list[dict] = []
    cursor, pages = None, 0
    while True:
        r = client.get(API + path, headers=login.headers,
                       params={"limit": LIMIT, **params} | ({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, (path, r.text)
        body = r.json()
        assert set(body) == {"items", "next_cursor"}, body
        rows += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return rows, pages
        assert len(body["items"]) == LIMIT or path == "/reports/time-to-access", body
        assert pages < 100, "the pages never ended"


def ids(rows: list[dict], key: str = "id") -> list[str]:
    return [r[key] for r in rows]


def walked(client, login: Login, path: str, expected: list[str], key: str = "id") -> None:
    """The walk shows exactly `expected`, in that order, over more than one page."""
    rows, pages = walk(client, login, path)
    assert ids(rows, key) == expected, path
    assert len(set(ids(rows, key))) == len(rows), path  # none twice
    assert pages > 1, path


# --- the subject's own cases -------------------------------------------------------------------


def test_a_subject_walks_their_own_cases_and_no_one_elses(client, session, setup: Setup):
    s = setup
    w = s.world
    me, other_person = w.users[SUBJECT], make_person(session, w.company.id).id
    with cheap_argon2():
        other = make_user(session, SUBJECT, w.company.id, other_person)
    for person in [me.person_id] * N + [other_person] * 3:
        session.add(ClearanceCase(id=new_id(), person_id=person, regime="CESI",
                                  sponsor_id=w.gov.id, employer_id=w.company.id,
                                  listed_by=w.users[CSO].user_id, state="listed"))
    session.commit()
    mine = sorted(session.scalars(select(ClearanceCase.id).where(
        ClearanceCase.person_id == me.person_id)))
    theirs = sorted(session.scalars(select(ClearanceCase.id).where(
        ClearanceCase.person_id == other_person)))
    session.rollback()
    walked(client, me, "/me/clearance-cases", mine)
    walked(client, other, "/me/clearance-cases", theirs)


# --- designations --------------------------------------------------------------------------------


def test_a_designations_items_reviews_and_objections_walk_to_their_end(client, session,
                                                                       setup: Setup):
    s = setup
    w, u = s.world, s.world.users
    d = in_force(client, w, holders=[w.company.id])
    elsewhere = in_force(client, w, holders=[w.company.id])
    for target in (d["id"], d["id"], d["id"], d["id"], d["id"], elsewhere["id"]):
        session.add(Item(id=new_id(), title="図面", kind="document", owner_id=w.gov.id,
                         designation_id=target, created_by=u[AGENCY].user_id))
    for k in range(N):
        session.add(Review(id=new_id(), designation_id=d["id"],
                           due_on=today() - timedelta(days=400 * k)))
        filer = u[CSO] if k % 2 else u[Role.EXTERNAL_EXPERT]
        session.add(Objection(id=new_id(), designation_id=d["id"], filed_by=filer.user_id,
                              text=f"異議{k}"))
    session.add(Objection(id=new_id(), designation_id=elsewhere["id"],
                          filed_by=u[CSO].user_id, text="別の指定への異議"))
    session.commit()
    items = sorted(session.scalars(select(Item.id).where(Item.designation_id == d["id"])))
    reviews = [r.id for r in session.scalars(select(Review).where(
        Review.designation_id == d["id"]).order_by(Review.due_on, Review.id))]
    objections = sorted(session.scalars(select(Objection.id).where(
        Objection.designation_id == d["id"])))
    own = sorted(session.scalars(select(Objection.id).where(
        Objection.designation_id == d["id"], Objection.filed_by == u[CSO].user_id)))
    session.rollback()
    one = f"/designations/{d['id']}"
    walked(client, u[CSO], one + "/items", items)  # the holder sees the items
    walked(client, u[AGENCY], one + "/reviews", reviews)
    walked(client, u[AGENCY], one + "/objections", objections)
    # a holder sees no reviews and only its own objections; an outsider nothing at all
    assert walk(client, u[CSO], one + "/reviews")[0] == []
    assert ids(walk(client, u[CSO], one + "/objections")[0]) == own
    outsider = extra_user(session, [CSO], w.other_company.id)
    for what in ("items", "reviews", "objections"):
        assert_problem(client.get(f"{API}{one}/{what}", headers=outsider.headers), 404)


def test_the_reviews_awaiting_a_record_and_every_objection_walk_to_their_end(
        client, session, setup: Setup):
    s = setup
    w, u = s.world, s.world.users
    designations = [in_force(client, w)["id"] for _ in range(3)]
    for k in range(N + 1):
        session.add(Review(id=new_id(), designation_id=designations[k % 3],
                           due_on=today() - timedelta(days=k % 2),  # ties on the date
                           still_needed=None if k < N else True))  # the last: recorded
        session.add(Objection(id=new_id(), designation_id=designations[k % 3],
                              filed_by=u[CSO].user_id, text=f"異議{k}"))
    session.commit()
    waiting = [r.id for r in session.scalars(select(Review).where(
        Review.still_needed.is_(None)).order_by(Review.due_on, Review.id))]
    every_objection = sorted(session.scalars(select(Objection.id)))
    session.rollback()
    assert len(waiting) == N
    walked(client, u[AGENCY], "/designation-reviews", waiting)
    rows, _ = walk(client, u[Role.OVERSIGHT_INSPECTOR], "/designation-objections")
    assert ids(rows) == every_objection and all(r["reference"] for r in rows)
    assert walk(client, other_agency(session), "/designation-reviews")[0] == []


# --- agreements ----------------------------------------------------------------------------------


def test_the_agreements_walk_oldest_in_force_first(client, session, setup: Setup):
    s = setup
    expected = [a.id for a in session.scalars(select(Agreement).order_by(
        Agreement.in_force_from, Agreement.partner))]
    session.rollback()
    assert len(expected) > LIMIT
    walked(client, s.world.users[Role.FOREIGN_LIAISON], "/agreements", expected)
    assert_problem(client.get(f"{API}/agreements", headers=s.world.users[SUBJECT].headers),
                   403)


def test_the_follow_ups_walk_soonest_to_end_first_with_their_last_contact(client, session,
                                                                          setup: Setup):
    from hozen.access.models import Departure, FollowUpContact

    w = setup.world
    window = w.users[Role.WINDOW_OFFICER]
    ends = [today() + timedelta(days=d) for d in (30, 30, 30, 90, 400)]  # ties on the date
    made = []
    for n, until in enumerate([*ends, today() - timedelta(days=1)]):  # the last: ended
        d = Departure(id=new_id(), person_id=make_person(session, w.company.id).id,
                      organisation_id=w.company.id, departed_on=today() - timedelta(days=9),
                      obligations=f"守秘{n}", follow_up_until=until,
                      recorded_by=window.user_id)
        session.add(d)
        made.append(d)
    session.flush()
    session.add(FollowUpContact(id=new_id(), departure_id=made[3].id,
                                contacted_on=today() - timedelta(days=2), note="電話",
                                recorded_by=window.user_id))
    session.commit()
    expected = [d.id for d in sorted(made[:-1], key=lambda d: (d.follow_up_until, d.id))]
    walked(client, window, "/follow-ups", expected)
    rows, _ = walk(client, window, "/follow-ups")
    contacts = {r["id"]: r["last_contact"] for r in rows}
    assert contacts[made[3].id] == (today() - timedelta(days=2)).isoformat()
    assert [contacts[d.id] for d in made[:3]] == [None] * 3
    assert_problem(client.get(f"{API}/follow-ups", headers=w.users[CSO].headers), 403)


# --- training, inspections, participants, the specification ---------------------------------------


def test_overdue_training_walks_own_staff_only(client, session, setup: Setup):
    s = setup
    w = s.world
    for _ in range(N):  # cleared staff, never trained: overdue
        clear(session, make_person(session, w.company.id).id, "CESI", w)
    trained = make_person(session, w.company.id).id
    clear(session, trained, "CESI", w)
    session.add(TrainingRecord(id=new_id(), person_id=trained, organisation_id=w.company.id,
                               kind="initial", trained_on=today(),
                               recorded_by=w.users[CSO].user_id))
    late = make_person(session, w.company.id).id  # trained 400 days ago: overdue
    clear(session, late, "CESI", w)
    session.add(TrainingRecord(id=new_id(), person_id=late, organisation_id=w.company.id,
                               kind="initial", trained_on=today() - timedelta(days=400),
                               recorded_by=w.users[CSO].user_id))
    theirs = make_person(session, w.other_company.id).id
    session.commit()
    clear(session, theirs, "CESI", w)
    rows, pages = walk(client, w.users[CSO], "/training/overdue")
    assert pages > 1 and all(r["overdue"] for r in rows)
    got = ids(rows, "person_id")
    assert got == sorted(got) and len(set(got)) == len(got)
    assert late in got and trained not in got and theirs not in got
    # exactly the rule's answer for each of the company's cleared staff
    assert {r["person_id"] for r in rows} == {
        p for p in _cleared_staff(session, w.company.id)
        if client.get(f"{API}/people/{p}/training",
                      headers=w.users[CSO].headers).json()["overdue"]}
    # the other company's officer: its own overdue staff only
    assert ids(walk(client, s.other_cso, "/training/overdue")[0], "person_id") == [theirs]


def _cleared_staff(session, org_id: str) -> set[str]:
    from hozen.clearances.models import Clearance
    from hozen.registry.models import Person

    found = set(session.scalars(select(Person.id).join(
        Clearance, Clearance.person_id == Person.id).where(Person.employer_id == org_id)))
    session.rollback()
    return found


def _other_facility(session, s: Setup) -> str:
    """A copy of the company's certification for the other company."""
    table = Facility.__table__
    row = dict(session.execute(select(table).where(table.c.id == s.facility["id"]))
               .mappings().one())
    fid = new_id()
    session.execute(table.insert(), [row | {"id": fid,
                                            "organisation_id": s.world.other_company.id}])
    session.commit()
    return fid


def test_inspections_and_overdue_findings_walk_in_order_within_scope(client, session,
                                                                      setup: Setup):
    s = setup
    u, fid = s.world.users, s.facility["id"]
    theirs = _other_facility(session, s)
    for k in range(N + 2):
        facility = theirs if k >= N else fid
        i = Inspection(id=new_id(), facility_id=facility, kind="on_site",
                       held_on=today() - timedelta(days=k // 2),  # ties on the date
                       summary=f"点検{k}", recorded_by=u[AGENCY].user_id)
        session.add(i)
        session.flush()
        session.add(InspectionFinding(id=new_id(), inspection_id=i.id, severity="major",
                                      text=f"指摘{k}", action="是正",
                                      due_on=today() - timedelta(days=1 + k % 3)))
        session.add(InspectionFinding(id=new_id(), inspection_id=i.id, severity="minor",
                                      text="軽微", action=None, due_on=None))
    session.commit()
    held = [i.id for i in session.scalars(select(Inspection).where(
        Inspection.facility_id == fid).order_by(Inspection.held_on.desc(),
                                                Inspection.id.desc()))]
    late = [(f.id, f.inspection_id) for f in session.scalars(select(InspectionFinding).where(
        InspectionFinding.action.is_not(None)).order_by(InspectionFinding.due_on,
                                                        InspectionFinding.id))]
    facility_of = dict(session.execute(select(Inspection.id, Inspection.facility_id)).all())
    session.rollback()
    rows, pages = walk(client, u[AGENCY], f"/facilities/{fid}/inspections")
    assert ids(rows) == held and pages > 1
    assert all(len(r["findings"]) == 2 and {x["facility_id"] for x in r["findings"]} == {fid}
               for r in rows)
    walked(client, u[AGENCY], "/facility-findings/overdue", [f for f, _ in late])
    walked(client, u[CSO], "/facility-findings/overdue",  # the company's own only
           [f for f, i in late if facility_of[i] == fid])
    assert_problem(client.get(f"{API}/facilities/{fid}/inspections",
                              headers=s.other_cso.headers), 404)


def test_participants_and_the_specification_walk_in_order(client, session, setup: Setup):
    s = setup
    u, fid = s.world.users, s.facility["id"]
    session.execute(update(Facility).where(Facility.id == fid).values(project="量子暗号"))
    at = utcnow()
    for k in range(N):
        person = make_person(session, s.world.company.id).id
        session.add(ResearchParticipant(id=new_id(), facility_id=fid, person_id=person,
                                        joined_on=today() - timedelta(days=k // 2),
                                        added_by=u[CSO].user_id))
        item = Item(id=new_id(), title=f"仕様{k}", kind="document", owner_id=s.world.gov.id,
                    created_by=u[AGENCY].user_id)
        session.add(item)
        session.flush()
        session.add(SpecificationEntry(id=new_id(), facility_id=fid, item_id=item.id,
                                       level="CESI", departments='["研究部"]', handling="室内",
                                       return_rule="返却", recorded_by=u[AGENCY].user_id,
                                       recorded_at=at - timedelta(hours=k // 2)))
    session.commit()
    joined = [p.id for p in session.scalars(select(ResearchParticipant).order_by(
        ResearchParticipant.joined_on, ResearchParticipant.id))]
    spec = [e.id for e in session.scalars(select(SpecificationEntry).order_by(
        SpecificationEntry.recorded_at, SpecificationEntry.id))]
    session.rollback()
    walked(client, u[AGENCY], f"/facilities/{fid}/participants", joined)
    walked(client, u[CSO], f"/facilities/{fid}/specification", spec)
    for what in ("participants", "specification"):
        assert_problem(client.get(f"{API}/facilities/{fid}/{what}",
                                  headers=s.other_cso.headers), 404)


# --- time to access ------------------------------------------------------------------------------


def test_time_to_access_walks_newest_assurance_first(client, session, setup: Setup):
    s = setup
    w = s.world
    agreement = session.scalar(select(Agreement.id).where(Agreement.partner == "GBR"))
    start = utcnow() - timedelta(days=30)
    liaison = w.users[Role.FOREIGN_LIAISON].user_id
    for k in range(N + 1):
        a = ForeignAssurance(id=new_id(), kind="personnel", agreement_id=agreement,
                             person_id=make_person(session, w.company.id).id,
                             organisation_id=w.company.id, partner_level="SECRET",
                             level="SDS", valid_until=today() + timedelta(days=300),
                             reference=f"R{k}", submitted_by=liaison,
                             submitted_at=start + timedelta(hours=k // 2))  # ties
        session.add(a)
        session.flush()
        if k != 2:  # one never audited as submitted: it has no figures
            record(session, actor=f"user:{liaison}", tag="reciprocity:assurance:submit",
                   subject_type="foreign_assurance", subject_id=a.id)
    session.commit()
    expected = [a.id for a in session.scalars(select(ForeignAssurance).where(
        ForeignAssurance.kind == "personnel", ForeignAssurance.reference != "R2").order_by(
        ForeignAssurance.submitted_at.desc(), ForeignAssurance.id.desc()))]
    session.rollback()
    rows, pages = walk(client, w.users[Role.WINDOW_OFFICER], "/reports/time-to-access")
    assert ids(rows, "assurance_id") == expected and pages > 1
    assert_problem(client.get(f"{API}/reports/time-to-access",
                              headers=w.users[Role.FOREIGN_LIAISON].headers), 403)


# --- bad cursors ---------------------------------------------------------------------------------


def test_a_bad_cursor_or_limit_is_a_422_naming_it_on_every_list(client, session, setup: Setup):
    s = setup
    u, fid = s.world.users, s.facility["id"]
    d = in_force(client, s.world, holders=[s.world.company.id])["id"]
    lists = {SUBJECT: ["/me/clearance-cases"],
             AGENCY: [f"/designations/{d}/items", f"/designations/{d}/reviews",
                      f"/designations/{d}/objections", "/designation-reviews", "/agreements",
                      f"/facilities/{fid}/inspections", f"/facilities/{fid}/participants",
                      f"/facilities/{fid}/specification", "/facility-findings/overdue",
                      "/reports/time-to-access"],
             Role.OVERSIGHT_INSPECTOR: ["/designation-objections"],
             CSO: ["/training/overdue"], Role.WINDOW_OFFICER: ["/follow-ups"]}
    for role, paths in lists.items():
        for path in paths:
            for bad in ("Zm9v", "not a cursor", "A" * 201, encode_cursor(["x", "y", "z"])):
                assert_problem(client.get(API + path, headers=u[role].headers,
                                          params={"cursor": bad}), 422, "cursor")
            for limit in (0, MAX_PAGE + 1):
                assert_problem(client.get(API + path, headers=u[role].headers,
                                          params={"limit": limit}), 422, "limit")


# --- the pages: each list's own "next page" link, followed to the end --------------------------


def follow(browser, url: str, link_id: str, marker: str, param: str) -> list[str]:
    """The row ids a page shows over its "next page" links (`link_id`), which carry
    `param`; it took more than one page."""
    seen: list[str] = []
    first = url
    for _ in range(20):
        r = browser.get(url)
        assert r.status_code == 200, r.text[:300]
        seen += dict.fromkeys(re.findall(re.escape(marker) + r'([0-9a-f-]{36})"', r.text))
        link = re.search(rf'<a id="{link_id}" href="([^"]+)"', r.text)
        if link is None:
            break
        url = link[1].replace("&amp;", "&")
        assert f"?{param}=" in url, url
    else:
        raise AssertionError("the pages never ended")
    assert url != first
    return seen


def _copies(engine, model, where, changes, n: int) -> None:
    """n copies of a row of `model` under new ids (and the `changes(k)` given)."""
    table = model.__table__
    with session_factory(engine)() as x:
        row = dict(x.execute(select(table).where(where)).mappings().first())
        x.execute(table.insert(), [row | {"id": new_id()} | changes(k) for k in range(n)])
        x.commit()


def _page_of(which: str, client, session, engine, s: Setup):
    """More rows than a page holds (50) of one list, and (reader, page, its list's link,
    the marker of a row's id, the link's cursor parameter, the rows expected)."""
    u, fid, w = s.world.users, s.facility["id"], s.world

    def fill(row, where, changes=lambda k: {}):
        session.add(row)
        session.commit()
        _copies(engine, type(row), where, changes, 51)

    if which in ("items", "reviews", "objections", "objection list", "reviews due"):
        d = in_force(client, w, holders=[w.company.id])["id"]
    if which == "items":
        fill(Item(id=new_id(), title="図面", kind="document", owner_id=w.gov.id,
                  designation_id=d, created_by=u[AGENCY].user_id), Item.designation_id == d)
        return (u[CSO], f"/designations/{d}", "items-next-page", 'data-item="', "items_cursor",
                set(session.scalars(select(Item.id).where(Item.designation_id == d))))
    if which in ("reviews", "reviews due"):
        fill(Review(id=new_id(), designation_id=d, due_on=today()),
             Review.designation_id == d, lambda k: {"due_on": today() - timedelta(days=k + 1)})
        expected = set(session.scalars(select(Review.id).where(Review.designation_id == d)))
        if which == "reviews":
            return (u[AGENCY], f"/designations/{d}", "reviews-next-page", 'data-review="',
                    "reviews_cursor", expected)
        return (u[AGENCY], "/designations", "reviews-next-page", 'data-review="',
                "reviews_cursor", expected)
    if which in ("objections", "objection list"):
        fill(Objection(id=new_id(), designation_id=d, filed_by=u[CSO].user_id, text="異議"),
             Objection.designation_id == d)
        expected = set(session.scalars(select(Objection.id)))
        if which == "objections":
            return (u[AGENCY], f"/designations/{d}", "objections-next-page",
                    'data-objection="', "objections_cursor", expected)
        return (u[Role.OVERSIGHT_INSPECTOR], "/designations/objections", "next-page",
                'id="objection-', "cursor", expected)
    if which in ("inspections", "late"):
        i = Inspection(id=new_id(), facility_id=fid, kind="on_site", held_on=today(),
                       summary="点検", recorded_by=u[AGENCY].user_id)
        session.add(i)
        session.flush()
        fill(InspectionFinding(id=new_id(), inspection_id=i.id, severity="major", text="指摘",
                               action="是正", due_on=today() - timedelta(days=1)),
             InspectionFinding.inspection_id == i.id)
        if which == "late":
            return (u[AGENCY], "/registers", "late-next-page", 'data-finding="', "late_cursor",
                    set(session.scalars(select(InspectionFinding.id))))
        _copies(engine, Inspection, Inspection.id == i.id,
                lambda k: {"held_on": today() - timedelta(days=k % 7)}, 51)
        return (u[AGENCY], f"/facilities/{fid}", "inspections-next-page", 'id="inspection-',
                "inspections_cursor", set(session.scalars(select(Inspection.id))))
    if which == "participants":
        session.execute(update(Facility).where(Facility.id == fid).values(project="量子暗号"))
        fill(ResearchParticipant(id=new_id(), facility_id=fid, person_id=w.staff.id,
                                 joined_on=today(), left_on=today(),
                                 added_by=u[CSO].user_id),
             ResearchParticipant.facility_id == fid,
             lambda k: {"joined_on": today() - timedelta(days=k)})
        return (u[AGENCY], f"/facilities/{fid}", "participants-next-page",
                'data-participant="', "participants_cursor",
                set(session.scalars(select(ResearchParticipant.id))))
    if which == "spec":
        fill(Item(id=new_id(), title="仕様", kind="document", owner_id=w.gov.id,
                  created_by=u[AGENCY].user_id), Item.title == "仕様")
        items = list(session.scalars(select(Item.id).where(Item.title == "仕様")))
        session.add_all([SpecificationEntry(
            id=new_id(), facility_id=fid, item_id=i, level="CESI", departments="[]",
            handling="室内", return_rule="返却", recorded_by=u[AGENCY].user_id) for i in items])
        session.commit()
        return (u[AGENCY], f"/facilities/{fid}", "spec-next-page", 'data-item="',
                "spec_cursor", set(items))
    if which == "agreements":
        fill(Agreement(id=new_id(), partner="ZZ", name_en="Z", name_ja="Z", kind="general",
                       in_force_from=today(), scope="", levels=["S"], to_hozen={"S": "SDS"},
                       from_hozen={"SDS": "S"}, confirmed=False), Agreement.partner == "ZZ",
             lambda k: {"partner": f"Z{k:03}"})
        return (u[AGENCY], "/agreements", "next-page", 'aria-labelledby="a-', "cursor",
                set(session.scalars(select(Agreement.id))))
    if which == "mine":
        fill(ClearanceCase(id=new_id(), person_id=u[SUBJECT].person_id, regime="CESI",
                           sponsor_id=w.gov.id, employer_id=w.company.id,
                           listed_by=u[CSO].user_id, state="submitted"),
             ClearanceCase.person_id == u[SUBJECT].person_id)
        return (u[SUBJECT], "/my/assessments", "next-page", 'id="case-', "cursor",
                set(session.scalars(select(ClearanceCase.id).where(
                    ClearanceCase.person_id == u[SUBJECT].person_id))))
    if which == "time to access":
        agreement = session.scalar(select(Agreement.id).where(Agreement.partner == "GBR"))
        for k in range(52):
            a = ForeignAssurance(id=new_id(), kind="personnel", agreement_id=agreement,
                                 person_id=w.staff.id, organisation_id=w.company.id,
                                 partner_level="SECRET", level="SDS", reference=f"R{k}",
                                 valid_until=today() + timedelta(days=300),
                                 submitted_by=u[Role.FOREIGN_LIAISON].user_id)
            session.add(a)
            session.flush()
            record(session, actor="user:liaison", tag="reciprocity:assurance:submit",
                   subject_type="foreign_assurance", subject_id=a.id)
        session.commit()
        return (u[Role.WINDOW_OFFICER], "/time-to-access", "next-page", 'data-assurance="',
                "cursor", set(session.scalars(select(ForeignAssurance.id))))
    assert which == "training", which
    for _ in range(52):
        clear(session, make_person(session, w.company.id).id, "CESI", w)
    return (u[CSO], "/registers", "training-next-page", 'data-person="', "training_cursor",
            {r["person_id"] for r in walk(client, u[CSO], "/training/overdue")[0]})


@pytest.mark.parametrize("which", [
    "mine", "items", "reviews", "objections", "reviews due", "objection list", "agreements",
    "training", "late", "inspections", "participants", "spec", "time to access"])
def test_each_pages_list_links_to_its_own_next_page(web, client, session, engine,
                                                    setup: Setup, which):
    login, url, link, marker, param, expected = _page_of(which, client, session, engine,
                                                         setup)
    session.rollback()
    seen = follow(web(login), url, link, marker, param)
    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert web(login).get(f"{url}?{param}=Zm9v").status_code == 422


# --- no N+1: a page's statements do not grow with its rows -----------------------------------


def _statements(client, engine, login: Login, path: str) -> int:
    client.get(API + path, headers=login.headers)  # the token cached, as in steady use
    with counting(engine) as seen:
        r = client.get(API + path, headers=login.headers)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None  # one page holds them all
    return len(seen)


def _fill(session, s: Setup, d: str, n: int) -> None:
    """n more rows of every list (all on one page of 50)."""
    w, u, fid = s.world, s.world.users, s.facility["id"]
    agreement = session.scalar(select(Agreement.id).where(Agreement.partner == "GBR"))
    for _ in range(n):
        session.add(ClearanceCase(id=new_id(), person_id=w.users[SUBJECT].person_id,
                                  regime="CESI", sponsor_id=w.gov.id,
                                  employer_id=w.company.id, listed_by=u[CSO].user_id,
                                  state="listed"))
        session.add(Item(id=new_id(), title="図面", kind="document", owner_id=w.gov.id,
                         designation_id=d, releasable_to="USA,GBR",
                         created_by=u[AGENCY].user_id))
        session.add(Review(id=new_id(), designation_id=d,
                           due_on=today() - timedelta(days=int(new_id()[-4:], 16))))
        session.add(Objection(id=new_id(), designation_id=d, filed_by=u[CSO].user_id,
                              text="異議"))
        i = Inspection(id=new_id(), facility_id=fid, kind="on_site", held_on=today(),
                       summary="点検", recorded_by=u[AGENCY].user_id)
        session.add(i)
        session.flush()
        session.add(InspectionFinding(id=new_id(), inspection_id=i.id, severity="major",
                                      text="指摘", action="是正",
                                      due_on=today() - timedelta(days=1)))
        person = make_person(session, w.company.id).id
        session.add(ResearchParticipant(id=new_id(), facility_id=fid, person_id=person,
                                        joined_on=today(), added_by=u[CSO].user_id))
        item = Item(id=new_id(), title="仕様", kind="document", owner_id=w.gov.id,
                    created_by=u[AGENCY].user_id)
        session.add(item)
        session.flush()
        session.add(SpecificationEntry(id=new_id(), facility_id=fid, item_id=item.id,
                                       level="CESI", departments='["研究部"]', handling="室内",
                                       return_rule="返却", recorded_by=u[AGENCY].user_id))
        a = ForeignAssurance(id=new_id(), kind="personnel", agreement_id=agreement,
                             person_id=person, organisation_id=w.company.id,
                             partner_level="SECRET", level="SDS",
                             valid_until=today() + timedelta(days=300), reference="R",
                             submitted_by=u[Role.FOREIGN_LIAISON].user_id)
        session.add(a)
        session.flush()
        record(session, actor=f"user:{u[Role.FOREIGN_LIAISON].user_id}",
               tag="reciprocity:assurance:submit", subject_type="foreign_assurance",
               subject_id=a.id)
        session.commit()
        clear(session, person, "CESI", w)  # cleared, never trained: overdue


def test_a_page_costs_the_same_statements_however_many_rows_it_holds(client, session,
                                                                      engine, setup: Setup):
    s = setup
    u, fid = s.world.users, s.facility["id"]
    d = in_force(client, s.world, holders=[s.world.company.id])["id"]
    session.execute(update(Facility).where(Facility.id == fid).values(project="量子暗号"))
    session.commit()
    reads = {"/me/clearance-cases": u[SUBJECT], f"/designations/{d}/items": u[CSO],
             f"/designations/{d}/reviews": u[AGENCY],
             f"/designations/{d}/objections": u[AGENCY], "/designation-reviews": u[AGENCY],
             "/designation-objections": u[Role.OVERSIGHT_INSPECTOR],
             "/agreements": u[AGENCY], "/training/overdue": u[CSO],
             f"/facilities/{fid}/inspections": u[AGENCY],
             "/facility-findings/overdue": u[CSO],
             f"/facilities/{fid}/participants": u[AGENCY],
             f"/facilities/{fid}/specification": u[AGENCY],
             "/reports/time-to-access": u[Role.WINDOW_OFFICER]}
    _fill(session, s, d, 2)
    few = {path: _statements(client, engine, login, path) for path, login in reads.items()}
    _fill(session, s, d, 8)
    many = {path: _statements(client, engine, login, path) for path, login in reads.items()}
    assert many == few
