"""Unit tests of the pure reciprocity rules (reciprocity/rules.py): the shipped agreements
and their tables, never mapping upwards (also as properties over random tables), terms in
force, assurances, visits and their fast path, partner labels, and the loader."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from hozen.access.rules import RANKS
from hozen.reciprocity.rules import (
    HOZEN_LEVELS,
    Agreement,
    alternative_label,
    assurance_errors,
    covers,
    fast_path,
    hozen_level,
    in_force,
    load_agreements,
    load_reciprocity,
    partner_level,
    recognised_rank,
    table_errors,
    visit_errors,
)

AGREEMENTS = {a.partner: a for a in load_agreements()}
TODAY = date(2025, 4, 1)
NTIB = frozenset({"USA", "CAN", "GBR", "AUS", "NZL"})


def usa(**changes) -> Agreement:
    return replace(AGREEMENTS["USA"], **changes)


# --- the shipped data ----------------------------------------------------------------------

# DESIGN.md: "Japan's information security agreements (entry into force)".
@pytest.mark.parametrize(("partner", "year_month"), [
    ("USA", (2007, 8)), ("NATO", (2010, 6)), ("FRA", (2011, 10)), ("AUS", (2013, 3)),
    ("GBR", (2014, 1)), ("IND", (2015, 12)), ("ITA", (2016, 6)), ("KOR", (2016, 11)),
    ("DEU", (2021, 3)),
])
def test_shipped_agreement_enters_into_force_in_the_designed_month(partner, year_month):
    a = AGREEMENTS[partner]
    assert (a.in_force_from.year, a.in_force_from.month) == year_month
    assert a.in_force_to is None and in_force(a, TODAY)
    assert not in_force(a, a.in_force_from - timedelta(days=1))


def test_shipped_file_holds_exactly_the_nine_agreements_in_force():
    assert set(AGREEMENTS) == {"USA", "NATO", "FRA", "AUS", "GBR", "IND", "ITA", "KOR",
                               "DEU"}
    assert "UKR" not in AGREEMENTS  # signed 2024-11, not in force


@pytest.mark.parametrize("partner", sorted(AGREEMENTS))
def test_shipped_table_passes_and_is_marked_to_be_confirmed(partner):
    a = AGREEMENTS[partner]
    assert table_errors(a) == []
    assert a.confirmed is False
    assert a.kind == "general" and a.levels and a.to_hozen and a.from_hozen
    assert a.name_en and a.name_ja and a.scope


def test_uncertain_entry_days_are_marked_and_fall_on_the_first():
    unsure = [a for a in AGREEMENTS.values() if not a.date_confirmed]
    assert [a.partner for a in unsure] == ["IND"]
    assert all(a.in_force_from.day == 1 for a in unsure)


def test_shipped_numbers_and_lists():
    r = load_reciprocity()
    assert r.ntib == NTIB
    assert r.recurring_max_days == 365 and r.one_time_max_days == 30
    assert len(r.nato_members) == 32 and {"DEU", "FRA", "SWE", "FIN", "USA"} <= r.nato_members
    assert not {"JPN", "AUS", "KOR", "IND"} & r.nato_members
    assert all(len(c) == 3 and c.isupper() for c in r.nato_members | r.ntib)


def test_tables_are_read_only():
    with pytest.raises(TypeError):
        AGREEMENTS["USA"].to_hozen["CONFIDENTIAL"] = "SDS"  # type: ignore[index]


@pytest.mark.parametrize(("partner", "level", "expected"), [
    ("GBR", "SECRET", "SDS"),
    ("GBR", "TOP SECRET", "SDS"),
    ("GBR", "OFFICIAL-SENSITIVE", "CUI"),
    ("USA", "CONFIDENTIAL", "CESI"),
    ("USA", "SECRET", "SDS"),
    ("USA", "TOP SECRET", "SDS"),
    ("NATO", "NATO RESTRICTED", "CUI"),
    ("NATO", "NATO CONFIDENTIAL", "CESI"),
    ("NATO", "COSMIC TOP SECRET", "SDS"),
    ("DEU", "VS-VERTRAULICH", "CESI"),
    ("ITA", "RISERVATO", "CUI"),
])
def test_default_equivalences(partner, level, expected):
    assert hozen_level(AGREEMENTS[partner], level, TODAY) == (expected, [])


@pytest.mark.parametrize(("partner", "level", "expected"), [
    ("USA", "SDS", "SECRET"),  # SDS spans secret and top secret: never overstated
    ("USA", "CESI", "CONFIDENTIAL"),
    ("NATO", "CUI", "NATO RESTRICTED"),
    ("GBR", "CUI", "OFFICIAL-SENSITIVE"),
])
def test_outgoing_levels(partner, level, expected):
    assert partner_level(AGREEMENTS[partner], level, TODAY) == (expected, [])


# --- never upward ----------------------------------------------------------------------------

@given(st.sampled_from(sorted(AGREEMENTS)), st.data())
def test_shipped_round_trips_never_go_up(partner, data):
    a = AGREEMENTS[partner]
    p = data.draw(st.sampled_from(sorted(a.to_hozen)))
    h, _ = hozen_level(a, p, TODAY)
    back, errors = partner_level(a, h, TODAY)
    if not errors:  # a partner level recognised as h; h presented back no higher than p
        assert a.levels.index(back) <= a.levels.index(p)
    g = data.draw(st.sampled_from(sorted(a.from_hozen)))
    q, _ = partner_level(a, g, TODAY)
    assert RANKS[hozen_level(a, q, TODAY)[0]] <= RANKS[g]


POOL = ("P0", "P1", "P2", "P3", "P4")


@st.composite
def random_tables(draw) -> Agreement:
    """Any table over known levels: only the order checks can refuse it (the unknown
    levels are tested one by one below)."""
    levels = tuple(draw(st.permutations(POOL))[:draw(st.integers(1, len(POOL)))])
    to_hozen = draw(st.dictionaries(st.sampled_from(levels), st.sampled_from(HOZEN_LEVELS),
                                    min_size=1))
    from_hozen = draw(st.dictionaries(st.sampled_from(HOZEN_LEVELS),
                                      st.sampled_from(sorted(to_hozen))))
    return usa(levels=levels, to_hozen=to_hozen, from_hozen=from_hozen)


@settings(max_examples=400)
@given(random_tables())
def test_any_table_that_passes_never_maps_upward(a):
    """table_errors is sound: whatever it lets through is monotone and never upward."""
    if table_errors(a):
        event("refused")
        return
    event("passed")
    pos = a.levels.index
    for p in a.to_hozen:
        h, errors = hozen_level(a, p, TODAY)
        assert errors == [] and h == a.to_hozen[p]
        if h in a.from_hozen:
            assert pos(a.from_hozen[h]) <= pos(p)
        for q in a.to_hozen:
            if pos(p) < pos(q):
                assert RANKS[a.to_hozen[p]] <= RANKS[a.to_hozen[q]]
    for h in a.from_hozen:
        p, errors = partner_level(a, h, TODAY)
        assert errors == [] and RANKS[a.to_hozen[p]] <= RANKS[h]
        for k in a.from_hozen:
            if RANKS[h] < RANKS[k]:
                assert pos(p) <= pos(a.from_hozen[k])


@st.composite
def sound_tables(draw) -> Agreement:
    """A monotone table; each hozen level presented as the lowest partner level that maps
    to it."""
    n = draw(st.integers(1, len(POOL)))
    levels = POOL[:n]
    ranks = sorted(draw(st.lists(st.sampled_from(HOZEN_LEVELS), min_size=n, max_size=n)),
                   key=RANKS.__getitem__)
    to_hozen = dict(zip(levels, ranks, strict=True))
    from_hozen = {h: next(p for p in levels if to_hozen[p] == h) for h in set(ranks)}
    return usa(levels=levels, to_hozen=to_hozen, from_hozen=from_hozen)


@given(sound_tables())
def test_a_monotone_lowest_equivalent_table_passes(a):
    """table_errors does not refuse a sound table."""
    assert table_errors(a) == []


def test_table_errors_catches_a_non_monotone_table():
    a = usa(to_hozen={"CONFIDENTIAL": "CESI", "SECRET": "CUI", "TOP SECRET": "SDS"},
            from_hozen={"CESI": "CONFIDENTIAL", "SDS": "TOP SECRET"})
    assert table_errors(a) == [("to_hozen.SECRET", "table_not_monotone")]


def test_table_errors_catches_an_outgoing_upward_mapping():
    # A CESI holder presented as SECRET would be recognised back as SDS.
    a = usa(from_hozen={"CESI": "SECRET", "SDS": "SECRET"})
    errors = table_errors(a)
    assert ("from_hozen.CESI", "table_upward") in errors
    assert ("from_hozen.SDS", "table_upward") not in errors


def test_table_errors_catches_an_incoming_upward_mapping():
    # With SDS presented as TOP SECRET, a partner SECRET recognised as SDS would count as
    # the equivalent of TOP SECRET.
    a = usa(from_hozen={"CESI": "CONFIDENTIAL", "SDS": "TOP SECRET"})
    assert table_errors(a) == [("to_hozen.SECRET", "table_upward")]


def test_table_errors_catches_a_non_monotone_outgoing_table():
    a = replace(AGREEMENTS["NATO"], from_hozen={"CUI": "NATO CONFIDENTIAL",
                                                 "CESI": "NATO RESTRICTED"})
    assert ("from_hozen.CESI", "table_not_monotone") in table_errors(a)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"to_hozen": {"RESTRICTED": "CUI"}, "from_hozen": {}},
     [("to_hozen.RESTRICTED", "partner_level_unknown")]),
    ({"to_hozen": {"SECRET": "TS"}, "from_hozen": {}},
     [("to_hozen.SECRET", "hozen_level_unknown")]),
    ({"to_hozen": {"SECRET": "UNMARKED"}, "from_hozen": {}},
     [("to_hozen.SECRET", "hozen_level_unknown")]),
    ({"from_hozen": {"SECRET": "SECRET"}},
     [("from_hozen.SECRET", "hozen_level_unknown")]),
    ({"from_hozen": {"SDS": "COSMIC TOP SECRET"}},
     [("from_hozen.SDS", "partner_level_unknown")]),
    ({"to_hozen": {"SECRET": "SDS"}, "from_hozen": {"CESI": "CONFIDENTIAL"}},
     [("from_hozen.CESI", "partner_level_not_in_table")]),
    ({"levels": ("CONFIDENTIAL", "SECRET", "SECRET", "TOP SECRET")},
     [("levels", "levels_repeated")]),
])
def test_table_errors_catches_unknown_levels(changes, expected):
    assert table_errors(usa(**changes)) == expected


def test_table_errors_takes_plain_dicts_as_the_services_give_them():
    a = usa(to_hozen=dict(AGREEMENTS["USA"].to_hozen),
            from_hozen=dict(AGREEMENTS["USA"].from_hozen))
    assert table_errors(a) == []


# --- in force --------------------------------------------------------------------------------

def test_in_force_counts_both_ends_inclusive():
    start, end = date(2020, 1, 1), date(2024, 12, 31)
    a = usa(in_force_from=start, in_force_to=end)
    assert [in_force(a, d) for d in (start - timedelta(days=1), start, end,
                                     end + timedelta(days=1))] == [False, True, True, False]


@pytest.mark.parametrize("term", [
    {"in_force_to": TODAY - timedelta(days=1)},  # expired
    {"in_force_from": TODAY + timedelta(days=1)},  # not yet in force
])
def test_an_agreement_not_in_force_is_refused(term):
    a = usa(**term)
    assert hozen_level(a, "SECRET", TODAY) == (None, [("agreement", "agreement_not_in_force")])
    assert partner_level(a, "SDS", TODAY) == (None, [("agreement", "agreement_not_in_force")])
    assert recognised_rank(a, "SECRET", TODAY, TODAY, "USA") == 0
    with pytest.raises(ValueError, match="agreement_not_in_force"):
        alternative_label(a, "SDS", TODAY)


def test_before_the_us_agreement_a_us_clearance_counts_for_nothing():
    a = AGREEMENTS["USA"]
    assert hozen_level(a, "SECRET", date(2007, 8, 9))[0] is None
    assert hozen_level(a, "SECRET", date(2007, 8, 10))[0] == "SDS"


# --- levels outside the table --------------------------------------------------------------

@pytest.mark.parametrize("level", ["RESTRICTED", "secret", "NATO SECRET", "", "SDS"])
def test_a_partner_level_outside_the_partners_set_is_refused(level):
    assert hozen_level(AGREEMENTS["USA"], level, TODAY) == (
        None, [("partner_level", "partner_level_unknown")])


def test_a_partner_level_in_the_set_without_an_equivalent_is_refused():
    # Never the neighbour's value: TOP SECRET is not read as SECRET's SDS.
    a = usa(to_hozen={"CONFIDENTIAL": "CESI", "SECRET": "SDS"})
    assert table_errors(a) == []
    assert hozen_level(a, "TOP SECRET", TODAY) == (
        None, [("partner_level", "partner_level_not_in_table")])
    assert recognised_rank(a, "TOP SECRET", TODAY, TODAY, "USA") == 0


def test_every_failure_is_listed_together():
    a = usa(in_force_to=TODAY - timedelta(days=1))
    assert hozen_level(a, "RESTRICTED", TODAY)[1] == [
        ("agreement", "agreement_not_in_force"), ("partner_level", "partner_level_unknown")]


@pytest.mark.parametrize(("partner", "level", "code"), [
    ("GBR", "CESI", "hozen_level_not_in_table"),  # no UK level between O-S and SECRET
    ("USA", "CUI", "hozen_level_not_in_table"),
    ("USA", "UNMARKED", "hozen_level_unknown"),
    ("USA", "TOP SECRET", "hozen_level_unknown"),
])
def test_outgoing_without_an_equivalent_is_refused(partner, level, code):
    assert partner_level(AGREEMENTS[partner], level, TODAY) == (None, [("hozen_level", code)])


# --- assurances ------------------------------------------------------------------------------

@pytest.mark.parametrize("nationality", ["DEU", "FRA", "USA", "SWE"])
def test_a_nato_national_is_accepted_under_the_nato_agreement(nationality):
    a = AGREEMENTS["NATO"]
    assert assurance_errors(a, "NATO SECRET", TODAY, TODAY, nationality) == []
    assert recognised_rank(a, "NATO SECRET", TODAY, TODAY, nationality) == RANKS["SDS"]


@pytest.mark.parametrize("nationality", ["JPN", "AUS", "KOR"])
def test_a_non_member_is_refused_under_the_nato_agreement(nationality):
    assert assurance_errors(AGREEMENTS["NATO"], "NATO SECRET", TODAY, TODAY,
                            nationality) == [("nationality", "nationality_not_partner")]


def test_the_nato_member_list_can_be_given():
    a = AGREEMENTS["NATO"]
    assert covers(a, "JPN", ["JPN"]) and not covers(a, "DEU", [])


def test_a_country_agreement_covers_only_its_own_nationals():
    a = AGREEMENTS["USA"]
    assert assurance_errors(a, "SECRET", TODAY, TODAY, "USA") == []
    assert assurance_errors(a, "SECRET", TODAY, TODAY, "GBR") == [
        ("nationality", "nationality_not_partner")]
    assert recognised_rank(a, "SECRET", TODAY, TODAY, "GBR") == 0


def test_an_expired_assurance_is_refused_the_day_after_its_last_valid_day():
    a = AGREEMENTS["GBR"]
    assert assurance_errors(a, "SECRET", TODAY, TODAY, "GBR") == []
    assert assurance_errors(a, "SECRET", TODAY - timedelta(days=1), TODAY, "GBR") == [
        ("valid_until", "assurance_expired")]
    assert recognised_rank(a, "SECRET", TODAY - timedelta(days=1), TODAY, "GBR") == 0


@pytest.mark.parametrize(("partner", "level", "rank"), [
    ("USA", "CONFIDENTIAL", RANKS["CESI"]),
    ("USA", "TOP SECRET", RANKS["SDS"]),
    ("GBR", "OFFICIAL-SENSITIVE", RANKS["CUI"]),
])
def test_recognised_rank_is_the_tables_level(partner, level, rank):
    assert recognised_rank(AGREEMENTS[partner], level, TODAY, TODAY, partner) == rank


# --- visits ----------------------------------------------------------------------------------

def visit(kind: str, days: int, start: date = TODAY) -> list[tuple[str, str]]:
    """A visit of `days` days counting both ends."""
    return visit_errors(kind, start, start + timedelta(days=days - 1), TODAY, 365)


@pytest.mark.parametrize(("kind", "days", "expected"), [
    ("one_time", 1, []),
    ("one_time", 30, []),
    ("one_time", 31, [("end", "too_long")]),
    ("recurring", 31, []),
    ("recurring", 365, []),
    ("recurring", 366, [("end", "too_long")]),
])
def test_visit_length(kind, days, expected):
    assert visit(kind, days) == expected


def test_visit_limits_come_from_the_caller():
    assert visit_errors("one_time", TODAY, TODAY + timedelta(days=9), TODAY, 365,
                        one_time_max_days=9) == [("end", "too_long")]
    assert visit_errors("recurring", TODAY, TODAY + timedelta(days=99), TODAY, 99) == [
        ("end", "too_long")]


def test_visit_dates_in_the_past_or_reversed_are_refused():
    assert visit("one_time", 2, TODAY - timedelta(days=1)) == [("start", "start_in_past")]
    assert visit_errors("one_time", TODAY + timedelta(days=3), TODAY + timedelta(days=2),
                        TODAY, 365) == [("end", "end_before_start")]


def test_an_unknown_visit_kind_is_refused():
    assert visit("permanent", 1) == [("kind", "visit_kind_unknown")]


def test_fast_path_approves_a_preauthorised_national_with_a_recognised_assurance():
    assert fast_path(AGREEMENTS["DEU"], TODAY, frozenset({"DEU"}), "DEU", True) == []
    assert fast_path(AGREEMENTS["GBR"], TODAY, frozenset({"GBR", "ITA"}), "GBR", True) == []


def test_fast_path_needs_the_programme_to_preauthorise_the_country_ntib_or_not():
    assert fast_path(AGREEMENTS["GBR"], TODAY, frozenset(), "GBR", True) == [
        ("nationality", "country_not_preauthorised")]
    assert fast_path(AGREEMENTS["DEU"], TODAY, frozenset({"FRA"}), "DEU", True) == [
        ("nationality", "country_not_preauthorised")]


def test_fast_path_lists_every_reason():
    expired = replace(AGREEMENTS["ITA"], in_force_to=TODAY - timedelta(days=1))
    assert fast_path(expired, TODAY, frozenset(), "ITA", False) == [
        ("agreement", "agreement_not_in_force"),
        ("nationality", "country_not_preauthorised"),
        ("assurance", "assurance_not_recognised")]


def test_fast_path_without_an_agreement_is_refused():
    assert fast_path(None, TODAY, frozenset({"CAN"}), "CAN", True) == [
        ("agreement", "no_agreement")]


# --- labels ----------------------------------------------------------------------------------

def test_alternative_label_gives_the_partners_classification():
    assert alternative_label(AGREEMENTS["NATO"], "SDS", TODAY) == {
        "policy_identifier": "NATO", "classification": "NATO SECRET",
        "to_be_confirmed": True}
    confirmed = replace(AGREEMENTS["DEU"], confirmed=True)
    assert alternative_label(confirmed, "CESI", TODAY) == {
        "policy_identifier": "DEU", "classification": "VS-VERTRAULICH",
        "to_be_confirmed": False}


def test_alternative_label_without_an_equivalent_raises():
    with pytest.raises(ValueError, match="hozen_level_not_in_table"):
        alternative_label(AGREEMENTS["GBR"], "CESI", TODAY)


# --- the loader ------------------------------------------------------------------------------

HEAD = """
ntib = ["USA"]
nato_members = ["USA"]
[visit]
one_time_max_days = 14
recurring_max_days = 180
"""


def agreement_toml(partner: str = "USA", to_hozen: str = 'SECRET = "SDS"',
                   extra: str = "") -> str:
    return f"""
[[agreement]]
partner = "{partner}"
name_en = "x"
name_ja = "x"
kind = "general"
in_force_from = 2007-08-10
scope = ""
levels = ["CONFIDENTIAL", "SECRET"]
confirmed = true
{extra}
[agreement.to_hozen]
{to_hozen}
[agreement.from_hozen]
SDS = "SECRET"
"""


def test_loader_reads_given_text():
    r = load_reciprocity(HEAD + agreement_toml(extra="in_force_to = 2030-01-01"))
    (a,) = r.agreements
    assert a.in_force_to == date(2030, 1, 1) and a.date_confirmed and a.confirmed
    assert (r.one_time_max_days, r.recurring_max_days, r.ntib) == (14, 180,
                                                                    frozenset({"USA"}))


@pytest.mark.parametrize(("text", "match"), [
    (agreement_toml(to_hozen='SECRET = "CUI"\nCONFIDENTIAL = "CESI"'), "table_not_monotone"),
    (agreement_toml(to_hozen='SECRET = "TOP"'), "hozen_level_unknown"),
    (agreement_toml(extra='in_force_to = 2007-08-09'), "end_before_start"),
    (agreement_toml(extra='in_force_to = "2030-01-01"'), "not_a_date"),
    (agreement_toml().replace('"general"', '"friendly"'), "kind_unknown"),
    (agreement_toml() + agreement_toml(), "repeated partner"),
])
def test_loader_refuses_a_bad_file(text, match):
    with pytest.raises(ValueError, match=match):
        load_agreements(HEAD + text)
