"""Unit tests of outgoing reciprocity's pure helpers (reciprocity/outgoing.py): the
clearance that is presented, the partner level through the table (never upwards), the
alternative labels of a releasable item, the layout of the assurance and of the MISWG
Request for Visit, and the alternative labels in the label's JSON and XML."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import pytest

from hozen.designations.markings import LABEL_NS, Marking, confidentiality_label, label_xml
from hozen.reciprocity.outgoing import (
    Held,
    OutgoingAssurance,
    OutgoingVisitor,
    OutgoingVisitRequest,
    alternative_labels,
    assurance_rows,
    best_current,
    latin_name,
    presentation_errors,
    visit_rows,
)
from hozen.reciprocity.rules import load_agreements

DAY = date(2026, 4, 1)
AGREEMENTS = {a.partner: a for a in load_agreements()}
GBR, USA, NATO = AGREEMENTS["GBR"], AGREEMENTS["USA"], AGREEMENTS["NATO"]


def q(name: str) -> str:
    return f"{{{LABEL_NS}}}{name}"


# --- the clearance presented -----------------------------------------------------------------

def test_the_highest_current_clearance_is_presented():
    rows = [("CESI", "active", DAY + timedelta(days=900)),
            ("SDS", "active", DAY + timedelta(days=100)),
            ("SDS", "active", DAY + timedelta(days=200))]
    assert best_current(rows, DAY) == Held("SDS", DAY + timedelta(days=200))


@pytest.mark.parametrize("status, until", [("suspended", DAY), ("revoked", DAY),
                                           ("expired", DAY), ("active", DAY - timedelta(1))])
def test_a_clearance_not_current_is_never_presented(status, until):
    assert best_current([(("SDS"), status, until)], DAY) is None


def test_a_clearance_is_current_on_its_last_day():
    assert best_current([("CESI", "active", DAY)], DAY) == Held("CESI", DAY)


def test_latin_name_as_a_partner_form_writes_it():
    assert latin_name("Yamada", "Taro") == "YAMADA, Taro"
    assert latin_name(None, "Taro") is None and latin_name("Yamada", "") is None


# --- the partner level -----------------------------------------------------------------------

@pytest.mark.parametrize("agreement, regime, level", [
    (USA, "SDS", "SECRET"), (USA, "CESI", "CONFIDENTIAL"), (GBR, "SDS", "SECRET"),
    (NATO, "CESI", "NATO CONFIDENTIAL")])
def test_the_partner_level_comes_from_the_table(agreement, regime, level):
    assert presentation_errors(agreement, Held(regime, DAY), DAY, "person_id") == (level, [])


@pytest.mark.parametrize("partner", sorted(AGREEMENTS))
def test_sds_is_never_presented_as_the_partners_top_level(partner):
    # SDS spans Japan's secret and top-secret classes: presented as the partner's SECRET
    a = AGREEMENTS[partner]
    level, errors = presentation_errors(a, Held("SDS", DAY), DAY, "f")
    assert errors == [] and level != a.levels[-1] and a.to_hozen[level] == "SDS"


def test_a_level_without_equivalent_is_refused():
    assert presentation_errors(GBR, Held("CESI", DAY), DAY, "visitors.0") == (
        None, [("visitors.0", "hozen_level_not_in_table")])


def test_no_clearance_is_refused():
    assert presentation_errors(GBR, None, DAY, "person_id") == (
        None, [("person_id", "person_not_cleared")])


def test_an_agreement_out_of_force_is_left_to_the_caller():
    ended = replace(GBR, in_force_to=DAY - timedelta(days=1))
    assert presentation_errors(ended, Held("SDS", DAY), DAY, "f") == (None, [])


# --- alternative labels ----------------------------------------------------------------------

def test_alternative_labels_of_an_sds_item_releasable_to_gbr_and_usa():
    got = alternative_labels(AGREEMENTS.values(), "SDS", ["USA", "GBR", "JPN"], DAY)
    assert got == [
        {"policy_identifier": "GBR", "classification": "SECRET", "to_be_confirmed": True},
        {"policy_identifier": "USA", "classification": "SECRET", "to_be_confirmed": True}]


def test_a_country_without_an_equivalent_gets_no_alternative_label():
    got = alternative_labels(AGREEMENTS.values(), "CESI", ["GBR", "USA", "ESP"], DAY)
    assert got == [{"policy_identifier": "USA", "classification": "CONFIDENTIAL",
                    "to_be_confirmed": True}]


def test_an_agreement_not_in_force_gives_no_alternative_label():
    ended = replace(GBR, in_force_to=DAY - timedelta(days=1))
    assert alternative_labels([ended], "SDS", ["GBR"], DAY) == []
    confirmed = replace(GBR, confirmed=True)
    assert alternative_labels([confirmed], "CUI", ["GBR"], DAY) == [
        {"policy_identifier": "GBR", "classification": "OFFICIAL-SENSITIVE",
         "to_be_confirmed": False}]


CREATED = datetime(2026, 4, 1, 9, 30, tzinfo=timezone(timedelta(hours=9)))
ALTS = alternative_labels(AGREEMENTS.values(), "SDS", ["USA", "GBR"], DAY)


def test_the_label_carries_its_alternative_labels():
    m = Marking("SDS", rel_to=("USA", "GBR"))
    label = confidentiality_label(m, policy_id="JP-HOZEN-1", created=CREATED, categories={},
                                  alternatives=ALTS)
    assert label["alternative_labels"] == ALTS
    assert "alternative_labels" not in confidentiality_label(
        m, policy_id="JP-HOZEN-1", created=CREATED, categories={})


def test_the_label_xml_carries_alternative_labels_after_the_originators():
    m = Marking("SDS", rel_to=("USA", "GBR"))
    root = ET.fromstring(label_xml(confidentiality_label(
        m, policy_id="JP-HOZEN-1", created=CREATED, categories={}, alternatives=ALTS)))
    assert [c.tag for c in root] == [q("ConfidentialityInformation"), q("CreationDateTime"),
                                     q("AlternativeConfidentialityLabel"),
                                     q("AlternativeConfidentialityLabel")]
    assert root.find(f".//{q('Classification')}").text == "SDS"
    alts = [(a.get("ToBeConfirmed"), a.findtext(f"{q('ConfidentialityInformation')}/"
                                                f"{q('PolicyIdentifier')}"),
             a.findtext(f"{q('ConfidentialityInformation')}/{q('Classification')}"))
            for a in root.iter(q("AlternativeConfidentialityLabel"))]
    assert alts == [("true", "GBR", "SECRET"), ("true", "USA", "SECRET")]


# --- layouts ---------------------------------------------------------------------------------

ASSURANCE = OutgoingAssurance(
    person_id="p1", partner="GBR", agreement=GBR.name_en, name_latin="YAMADA, Taro",
    birth_date=date(1980, 1, 2), nationality="JPN", hozen_level="SDS",
    partner_level="SECRET", valid_until=date(2030, 3, 31), issuing_authority="CAO",
    issuing_authority_ja="内閣府", table_to_be_confirmed=True, issued_on=DAY)


def test_the_assurance_layout_names_every_field():
    rows = assurance_rows(ASSURANCE)
    assert all(len(r) == 3 for r in rows)
    entries = {item: entry for _, item, entry in rows}
    assert entries["Name (Latin)"] == "YAMADA, Taro"
    assert entries["Date of birth"] == "1980-01-02"
    assert entries["Equivalent level (GBR)"] == "SECRET"
    assert entries["Valid until"] == "2030-03-31"
    assert entries["Issuing authority"] == "CAO"
    assert entries["Table to be confirmed"].startswith("yes")
    confirmed = assurance_rows(ASSURANCE.model_copy(update={"table_to_be_confirmed": False}))
    assert {item: entry for _, item, entry in confirmed}["Table to be confirmed"] == "no"


def visit(n: int) -> OutgoingVisitRequest:
    people = [OutgoingVisitor(person_id=f"p{i}", name_latin=f"NAME{i}, Given",
                              birth_date=date(1980, 1, i + 1), nationality="JPN",
                              hozen_level="SDS", partner_level="SECRET",
                              valid_until=date(2030, 1, 1)) for i in range(n)]
    return OutgoingVisitRequest(
        partner="GBR", agreement=GBR.name_en, table_to_be_confirmed=True,
        requesting_facility="Test Co", requesting_country="JPN", host_name="Albion Aero",
        host_address="1 Runway Rd, Bristol", kind="one_time", initiative="commercial",
        start=date(2026, 5, 1), end=date(2026, 5, 3), purpose="Design review",
        programme_code=None, visitors=people, issuing_authority="CAO", issued_on=DAY)


def test_the_request_for_visit_follows_the_miswg_sections():
    rows = visit_rows(visit(2))
    sections = list(dict.fromkeys(section for section, _, _ in rows))
    assert sections == ["1. Type of visit request", "2. Type of visit", "3. Date of visit",
                        "4. Requesting facility", "5. Facility to be visited", "6. Purpose",
                        "7. Visitor 1", "7. Visitor 2", "8. Certification of clearances"]
    assert ["7. Visitor 2", "Clearance (GBR level)", "SECRET"] in rows
    assert ["7. Visitor 1", "Name (Latin)", "NAME0, Given"] in rows
    assert ["3. Date of visit", "From / To", "2026-05-01 – 2026-05-03"] in rows
    assert ["6. Purpose", "Programme", "—"] in rows
    assert rows[-2][2].endswith("(table to be confirmed)")
