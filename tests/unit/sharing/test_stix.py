"""STIX helpers as pure functions: validation, marking digests, anonymity, tear-lines,
timestamps; and the decision over a collection's marking tightened by an object's own."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hozen.access import rules as access
from hozen.sharing import stix
from hozen.sharing.intel_models import IntelCollection
from hozen.sharing.taxii import collection_item, object_item

REG = stix.registry(["QKD", "HGV"], ["USA,GBR"])


def indicator(**kw) -> dict:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"} | kw


def test_a_valid_object_comes_back_as_stix2_writes_it():
    obj = indicator()
    assert stix.validate(obj, REG) == obj


@pytest.mark.parametrize("change, words", [
    ({"spec_version": "2.0"}, "spec_version"),
    ({"spec_version": None}, "spec_version"),
    ({"id": "indicator--1234"}, "identifier"),
    ({"id": f"malware--{uuid.uuid4()}"}, "must start with"),
    ({"pattern": "[oops"}, "pattern"),
    ({"object_marking_refs": [f"marking-definition--{uuid.uuid4()}"]}, "unknown marking"),
    ({"granular_markings": [{"marking_ref": "nope", "selectors": ["name"]}]},
     "unknown marking"),
    ({"object_marking_refs": "x"}, "lists"),
    ({"type": ""}, "type"),
    ({"x_custom": 1}, "x_custom"),
])
def test_invalid_objects_are_refused_saying_why(change, words):
    obj = {k: v for k, v in (indicator() | change).items() if v is not None}
    with pytest.raises(stix.Invalid) as caught:
        stix.validate(obj, REG)
    assert words in str(caught.value)


def test_a_sco_may_omit_spec_version():
    sco = {"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
           "value": "198.51.100.3"}
    assert stix.validate(sco, REG)["value"] == "198.51.100.3"
    assert stix.version_of(sco) == "0000-00-00T00:00:00.000000Z"


def test_markings_digest_levels_programmes_rel_to_and_tlp():
    obj = indicator(object_marking_refs=[stix.level_marking("CESI"), stix.TLP_ID["GREEN"],
                                         stix.programme_marking("QKD")],
                    granular_markings=[{"marking_ref": stix.level_marking("SDS"),
                                        "selectors": ["name"]},
                                       {"marking_ref": stix.rel_to_marking("USA,GBR"),
                                        "selectors": ["pattern"]},
                                       {"marking_ref": stix.TLP_ID["AMBER"],
                                        "selectors": ["pattern"]}])
    m = stix.markings_of(obj, REG)
    assert (m.rank, m.programmes, m.releasable, m.tlp) == (
        access.SDS, frozenset({"QKD"}), frozenset({"USA", "GBR"}), "AMBER")
    assert stix.parse_key(m.key) == stix.Markings(m.rank, m.programmes, m.releasable)


def test_tlp1_reads_as_tlp2_and_no_markings_is_unmarked():
    import stix2

    assert stix.markings_of(indicator(object_marking_refs=[stix2.TLP_RED.id]), REG).tlp == "RED"
    assert stix.markings_of(indicator(), REG) == stix.Markings()


def test_a_marking_definition_in_the_envelope_is_known_only_with_its_hozen_id():
    reg = stix.registry()
    good = stix.marking_definition("hozen:programme:NEWP")
    reg.add(good)
    assert stix.markings_of(indicator(object_marking_refs=[good["id"]]), reg).programmes == {
        "NEWP"}
    forged = dict(good, id=f"marking-definition--{uuid.uuid4()}")
    reg.add(forged)  # a definition claiming hozen's statement under another id means nothing
    assert stix.markings_of(indicator(object_marking_refs=[forged["id"]]), reg) == \
        stix.Markings()


@given(st.lists(st.sampled_from(["CUI", "CESI", "SDS"]), max_size=3),
       st.lists(st.sampled_from(sorted(stix.TLP2)), max_size=3))
def test_the_digest_takes_the_highest_level_and_strictest_tlp(levels, tlps):
    obj = indicator(object_marking_refs=[stix.level_marking(v) for v in levels] + tlps)
    m = stix.markings_of(obj, REG)
    assert m.rank == max([access.RANKS[v] for v in levels], default=0)
    assert m.tlp == max([stix.TLP2[t] for t in tlps], key=stix.TLP_ORDER.index, default="")


def test_anonymised_replaces_only_the_creator():
    obj = indicator(created_by_ref=f"identity--{uuid.uuid4()}")
    out = stix.anonymised(obj)
    assert out["created_by_ref"] == stix.ANONYMOUS_IDENTITY and out["id"] == obj["id"]
    assert obj["created_by_ref"] != stix.ANONYMOUS_IDENTITY  # the stored one is untouched
    plain = indicator()
    assert stix.anonymised(plain) is plain


def test_tear_line_removes_named_parts_and_remarks():
    src = indicator(name="secret name", description="from source X",
                    object_marking_refs=[stix.level_marking("SDS")],
                    granular_markings=[{"marking_ref": stix.level_marking("SDS"),
                                        "selectors": ["description"]}])
    out = stix.tear_line(src, ["description"], "TLP:AMBER", REG,
                         "0d4a1c9e-4b6f-4c71-8c8e-1f2a3b4c5d6e", "2026-05-01T00:00:00.000Z")
    assert "description" not in out and "granular_markings" not in out
    assert out["id"] == "indicator--0d4a1c9e-4b6f-4c71-8c8e-1f2a3b4c5d6e"
    assert out["object_marking_refs"] == [stix.TLP_ID["AMBER"]]
    assert stix.markings_of(out, REG).rank == access.UNMARKED
    for bad in (["id"], ["spec_version"], ["missing"], ["pattern"]):
        with pytest.raises(stix.Invalid):
            stix.tear_line(src, bad, "CUI", REG, str(uuid.uuid4()), "2026-05-01T00:00:00.000Z")


@pytest.mark.parametrize("value", ["2026-01-01", "2026-01-01T00:00:00", "yesterday", "",
                                   "2026-13-01T00:00:00Z", None])
def test_bad_timestamps(value):
    with pytest.raises(ValueError):
        stix.normalise_timestamp(value)


@given(st.datetimes(timezones=st.just(__import__("datetime").UTC)))
def test_timestamps_round_trip_and_order_as_text(moment):
    text = stix.format_timestamp(moment)
    assert stix.parse_timestamp(text) == moment
    assert stix.normalise_timestamp(text) == text


def test_an_object_item_tightens_its_collection():
    c = IntelCollection(id="c1", level="CUI", programmes="QKD", releasable_to="USA,GBR")
    assert collection_item(c) == access.Item("c1", access.CUI, False, frozenset({"QKD"}),
                                             frozenset({"USA", "GBR"}))
    m = stix.Markings(access.CESI, frozenset({"HGV"}), frozenset({"USA", "AUS"}))
    assert object_item(c, m) == access.Item("c1", access.CESI, False,
                                            frozenset({"QKD", "HGV"}), frozenset({"USA"}))
    assert object_item(c, stix.Markings()) == collection_item(c)
