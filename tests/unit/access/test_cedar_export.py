"""The Cedar export: its shape (one permit, one forbid per reason code), its validity
against its own schema, the files it writes, and single requests through cedarpy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace

import cedarpy
import pytest

from hozen.access import cedar
from hozen.access.rules import CUI, REASONS, UNMARKED, Context, decide_access
from tests.unit.access.test_rules import BREAK_ONE, HERE, ITEM, OK


def test_one_permit_and_one_forbid_per_reason_code_in_report_order():
    text = cedar.policy_text()
    ids = re.findall(r'@id\("([a-z_]+)"\)\n(permit|forbid)', text)
    assert ids[0] == (cedar.PERMIT_ID, "permit")
    assert [code for code, effect in ids[1:] if effect == "forbid"] == list(REASONS)
    assert len(ids) == len(REASONS) + 1
    assert len(cedarpy.PolicySet.from_str(text)) == len(REASONS) + 1


def test_the_policies_validate_against_the_schema():
    result = cedarpy.validate_policies(cedar.policy_text(), cedar.SCHEMA)
    assert result.validation_passed, [str(e) for e in result.errors]


def test_entities_conform_to_the_schema():
    cedarpy.Entities.from_json_str(json.dumps(cedar.entities(OK, ITEM)), cedar.SCHEMA)


def test_export_writes_the_policies_and_the_schema(tmp_path):
    written = cedar.export(tmp_path / "cedar")
    assert [p.name for p in written] == [cedar.POLICY_FILE, cedar.SCHEMA_FILE]
    assert written[0].read_text(encoding="utf-8") == cedar.policy_text()
    assert written[1].read_text(encoding="utf-8") == cedar.SCHEMA


def test_the_export_needs_no_cedarpy(tmp_path):
    """cedarpy is a development dependency; `hozen policy export-cedar` runs without it."""
    code = ("import sys; from hozen.access import cedar; cedar.export(sys.argv[1]); "
            "assert 'cedarpy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    assert (tmp_path / cedar.POLICY_FILE).exists()


def test_the_permitted_case_is_permitted_with_no_reasons():
    assert cedar.decide_with_cedar(OK, ITEM, HERE) == (True, frozenset())


@pytest.mark.parametrize("code", sorted(BREAK_ONE))
def test_each_reason_alone(code):
    assert cedar.decide_with_cedar(*BREAK_ONE[code]) == (False, frozenset({code}))


def test_unmarked_is_never_forbidden_and_cui_skips_the_classified_conditions():
    nobody = replace(OK, clearance_rank=0, clearance_status="", facility_rank=0,
                     handles=frozenset(), members=frozenset(), briefed=frozenset(),
                     training_due=0, departed=True, nationalities=frozenset({"USA"}))
    lapsed = replace(ITEM, lapsed=True)
    assert cedar.decide_with_cedar(nobody, replace(lapsed, rank=UNMARKED), HERE) == (
        True, frozenset())
    cui = replace(lapsed, rank=CUI)
    allowed, reasons = cedar.decide_with_cedar(nobody, cui, Context(HERE.today, 0))
    assert not allowed
    assert reasons == set(decide_access(nobody, cui, Context(HERE.today, 0)).reasons) == {
        "no_cui_authorization", "not_programme_member", "not_releasable",
        "visit_not_approved", "person_departed"}


def test_another_action_has_no_permit_and_so_no_reason():
    """The Cedar permit is for "read" alone (decide_access does not read the action)."""
    assert cedar.decide_with_cedar(OK, ITEM, replace(HERE, action="write")) == (
        False, frozenset())


def test_a_batch_refuses_two_different_people_under_one_id():
    with pytest.raises(ValueError, match="Person"):
        cedar.decide_many_with_cedar([(OK, ITEM, HERE),
                                      (replace(OK, departed=True), ITEM, HERE)])
