"""A row of a legacy clearances file checked on its own (before the database)."""

from __future__ import annotations

from datetime import date

from hozen.clearances.bulk import Context, check_row
from hozen.clearances.rules import Regime

TODAY = date(2026, 11, 27)
CONTEXT = Context({"CESI": 10, "SDS": 5}, {"cesi": Regime.CESI, "sds": Regime.SDS,
                                           "特定秘密": Regime.SDS})


def checked(**values):
    raw = {"person_id": "p", "regime": "CESI", "sponsor": "s", "granted_on": "2020-04-01"}
    return check_row(7, raw | values, TODAY, CONTEXT)


def test_the_end_defaults_to_the_regimes_validity_and_a_lapsed_record_comes_in_expired():
    row = checked()
    assert (row.errors, row.regime, row.valid_until, row.status) == (
        [], "CESI", date(2030, 3, 31), "active")
    row = checked(regime="特定秘密", granted_on="平成31年1月10日", status="有効")
    assert (row.errors, row.regime, row.valid_until, row.status) == (
        [], "SDS", date(2024, 1, 9), "expired")
    assert checked(valid_until="2021-01-01", status="revoked").status == "revoked"


def test_every_fault_of_a_row_is_named_at_once():
    row = checked(regime="TOP", status="dormant", granted_on="", valid_until="soon",
                  sponsor="", person_id="")
    assert set(row.errors) == {("regime", "invalid"), ("status", "invalid"),
                               ("granted_on", "required"), ("valid_until", "date_invalid"),
                               ("sponsor", "required"), ("person_id", "person_required")}
    assert checked(regime="SDS", valid_until="2025-04-01").errors == [
        ("valid_until", "validity_too_long")]
    assert checked(status="dormant", valid_until="2019-01-01").errors == [
        ("status", "invalid"), ("valid_until", "end_before_start")]
