"""The synthetic data generator's pure parts: seeded ids, name pools, the world, the
items stream and blocks of people — determinism, coverage of every state, and rows that
hold together (no database)."""

from collections import Counter
from datetime import date
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.jp import cn

from hozen.clearances.rules import CaseState, ClearanceStatus, Regime
from hozen.crypto import get_keyring
from hozen.designations.rules import Status
from hozen.facilities.rules import FacilityState
from hozen.registry import rules
from hozen.synth import items, names, people, world
from hozen.synth.source import Source

AS_OF = date(2026, 11, 27)
AGREEMENTS = {"USA": ("agreement-usa", {"CONFIDENTIAL": "CESI", "SECRET": "SDS",
                                        "TOP SECRET": "SDS"}),
              "GBR": ("agreement-gbr", {"OFFICIAL-SENSITIVE": "CUI", "SECRET": "SDS"})}


def build(seed=1, orgs=200):
    return world.build(seed, orgs, AS_OF, AGREEMENTS)


def plain(rows):
    """Rows without the sealed columns (AES-GCM draws a fresh nonce each time)."""
    return {t: [{k: v for k, v in r.items() if k not in ("profile", "pii")} for r in rs]
            for t, rs in rows.tables().items()}


# --- ids ---------------------------------------------------------------------------


def test_ids_are_uuid7_shaped_ordered_and_seeded():
    a = [Source(7, "people/0").new_id() for _ in range(1)]
    src = Source(7, "people/0")
    ids = [src.new_id() for _ in range(1000)]
    assert ids[0] == a[0]  # same seed and stream: same ids
    assert ids == sorted(ids) and len(set(ids)) == 1000  # time-ordered, distinct
    for i in ids[:50]:
        u = UUID(i)
        assert u.version == 7 and u.variant == "specified in RFC 4122"
    assert Source(8, "people/0").new_id() != ids[0]
    assert Source(7, "people/1").new_id() != ids[0]


# --- name pools --------------------------------------------------------------------


@given(st.sampled_from(names.FAMILY), st.sampled_from(names.GIVEN))
def test_japanese_names_pass_the_registry_rules(family, given_):
    data, errors = rules.normalise_person(
        {"family_name_kanji": family[0], "given_name_kanji": given_[0],
         "family_name_kana": family[1], "given_name_kana": given_[1],
         "family_name_latin": family[2], "given_name_latin": given_[2],
         "birth_date": date(1980, 1, 2)}, AS_OF)
    assert errors == [] and data.family_name_kana == family[1]


@given(st.sampled_from([n for pool in names.FOREIGN.values() for n in pool]))
def test_partner_nationals_names_pass_the_registry_rules(name):
    fka, gka, fl, gl = name
    _, errors = rules.normalise_person(
        {"family_name_kana": fka, "given_name_kana": gka, "family_name_latin": fl,
         "given_name_latin": gl, "birth_date": date(1980, 1, 2)}, AS_OF)
    assert errors == []


def test_corporate_numbers_are_valid_and_distinct():
    numbers = [world.corporate_number(i) for i in range(1, 5000)]
    assert all(cn.is_valid(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


# --- the world ---------------------------------------------------------------------


def test_world_is_determined_by_its_seed():
    (w1, r1), (w2, r2), (_, r3) = build(), build(), build(seed=2)
    assert plain(r1) == plain(r2)
    assert w1.cso == w2.cso and w1.areas == w2.areas
    ids = {r["id"] for r in r1.table("organisation")}
    assert ids.isdisjoint({r["id"] for r in r3.table("organisation")})


def test_world_holds_together():
    w, rows = build(orgs=300)
    orgs = {r["id"]: r for r in rows.table("organisation")}
    assert len(orgs) == 300
    kinds = Counter(r["kind"] for r in orgs.values())
    assert set(kinds) == {"government_body", "company", "university", "research_institute",
                          "foreign_government", "foreign_company"}
    seen = []
    for r in rows.table("organisation"):  # a parent comes before its subsidiaries
        assert r["parent_id"] is None or r["parent_id"] in seen
        assert (r["country_code"] == "JPN") == (not r["kind"].startswith("foreign"))
        seen.append(r["id"])
    held = Counter()
    for e in rows.table("ownership_edge"):
        assert e["owned_id"] in orgs and e["owner_organisation_id"] in orgs
        held[e["owned_id"]] += e["share_pct"]
    assert max(held.values()) <= 100
    foreign = [e for e in rows.table("ownership_edge")
               if orgs[e["owner_organisation_id"]]["kind"] == "foreign_company"]
    assert foreign, "some companies have foreign owners (FOCI)"
    states = Counter(f["state"] for f in rows.table("facility"))
    assert set(states) == {s.value for s in FacilityState}
    for f in rows.table("facility"):
        if f["state"] in ("certified", "change_pending"):
            assert f["certified_on"] < AS_OF <= f["valid_until"]
        if f["state"] == "expired":
            assert f["valid_until"] < AS_OF
    users = {u["id"] for u in rows.table("app_user")}
    assert set(w.cso.values()) <= users and w.window_officer in users
    assert all(u["password_hash"] == world.NO_PASSWORD for u in rows.table("app_user"))
    assert w.programmes and w.hosts


def test_too_few_organisations_are_refused():
    from hozen.errors import ValidationFailed
    from hozen.synth.run import check

    with pytest.raises(ValidationFailed) as exc:
        check(people=1, orgs=world.MIN_ORGS - 1, items=0, batch=1)
    assert exc.value.field == "orgs"
    with pytest.raises(ValidationFailed):
        check(people=-1, orgs=50, items=0, batch=1)


# --- items -------------------------------------------------------------------------


def test_items_stream_in_batches_and_cover_every_status():
    w, _ = build()
    batches = list(items.stream(1, 2_000, w, batch=500))
    assert len(batches) >= 4
    all_items = [r for b in batches for r in b.table("information_item")]
    assert len(all_items) == 2_000 and len({r["id"] for r in all_items}) == 2_000
    designations = [r for b in batches for r in b.table("designation")]
    assert {d["status"] for d in designations} == {s.value for s in Status}
    assert len({d["reference"] for d in designations}) == len(designations)
    known = {d["id"] for d in designations}
    assert {r["designation_id"] for r in all_items} - {None} <= known
    assert any(r["cui_categories"] for r in all_items)
    assert any(not r["cui_categories"] and r["designation_id"] is None for r in all_items)
    for d in designations:
        if d["status"] == "in_force":
            assert d["term_start"] <= AS_OF <= d["term_end"]
        if d["status"] == "pending_disposition":
            assert d["term_end"] < AS_OF
    again = [r["id"] for b in items.stream(1, 2_000, build()[0], batch=1_500)
             for r in b.table("information_item")]
    assert again == [r["id"] for r in all_items]  # the batch size changes nothing


# --- people ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stocked():
    w, _ = build()
    for _ in items.stream(1, 10_000, w, batch=10_000):  # fills the handler-register sample
        pass
    return w


def test_a_block_of_people_is_determined_by_seed_and_number(stocked):
    ring = get_keyring()
    a, b = people.block(1, 0, 300, stocked, ring), people.block(1, 0, 300, stocked, ring)
    assert [p[0] for p in a.people] == [p[0] for p in b.people]
    assert a.tokens == b.tokens and plain(a.rows) == plain(b.rows)
    other = people.block(2, 0, 300, stocked, ring)
    assert {p[0] for p in other.people}.isdisjoint({p[0] for p in a.people})
    assert {p[0] for p in people.block(1, 1, 300, stocked, ring).people}.isdisjoint(
        {p[0] for p in a.people})


def test_300_people_show_every_case_state_and_clearance(stocked):
    b = people.block(5, 0, 300, stocked, get_keyring())
    cases = b.rows.table("clearance_case")
    assert {c["state"] for c in cases} == {s.value for s in CaseState}
    grants = {(c["status"], c["regime"]) for c in b.rows.table("clearance")}
    assert grants == {(s.value, r.value) for s in ClearanceStatus for r in Regime}
    for c in b.rows.table("clearance"):
        assert (c["valid_until"] < AS_OF) == (c["status"] == "expired")
    granted = {c["id"] for c in cases if c["state"] == "granted"}
    assert {c["case_id"] for c in b.rows.table("clearance")} == granted
    investigated = {c["investigation_id"] for c in cases} - {None}
    assert investigated == {i["id"] for i in b.rows.table("investigation")}


def test_people_rows_hold_together(stocked):
    b = people.block(3, 0, 3_000, stocked, get_keyring())
    ids = {p[0] for p in b.people}
    assert len(ids) == 3_000
    employers = {p[0]: p[1] for p in b.people}
    assert {e for e in employers.values() if e} <= set(stocked.employers) | {
        o for orgs in stocked.foreign_employers.values() for o in orgs}
    assert {n[0] for n in b.nationalities} == ids  # everyone has a nationality
    pairs = [(n[0], n[1]) for n in b.nationalities]
    assert len(set(pairs)) == len(pairs)  # a country once a person, current or former
    assert {n[2] for n in b.nationalities} == {"current", "former"}
    assert len(b.tokens) >= 5 * 3_000  # names in three scripts and the birth date
    for c in b.rows.table("clearance_case"):
        assert c["person_id"] in ids and c["employer_id"] == employers[c["person_id"]]
    active = {c["person_id"] for c in b.rows.table("clearance") if c["status"] == "active"}
    handlers = b.rows.table("item_handler")
    assert handlers and {h["person_id"] for h in handlers} <= active
    assert all(h["organisation_id"] == employers[h["person_id"]] for h in handlers)
    assert {m["person_id"] for m in b.rows.table("programme_member")} <= active
    assurances = {a["id"]: a for a in b.rows.table("foreign_assurance")}
    assert assurances and b.rows.table("visit_request")
    for v in b.rows.table("visitor"):
        assert assurances[v["assurance_id"]]["person_id"] == v["person_id"]


def test_text_is_safe_for_copy(stocked):
    """COPY's text format is written without escaping: no tab, newline or backslash."""
    w, rows = build()
    chunks = [rows, *items.stream(1, 500, w, batch=500),
              people.block(1, 0, 500, stocked, get_keyring()).rows]
    for chunk in chunks:
        for table, data in chunk.tables().items():
            for r in data:
                for v in r.values():
                    if isinstance(v, str):
                        assert not set(v) & {"\t", "\n", "\r", "\\"}, (table, v)
