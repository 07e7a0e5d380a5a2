"""Property tests of the pure hash-chain rules (R17): a random valid chain verifies, and
every single edit, deletion, insertion or swap of rows is caught at the exact sequence
number where the chain first breaks; a truncated tail is caught by a checkpoint."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hozen.audit.rules import (
    GENESIS,
    HASHED_FIELDS,
    Anchor,
    canonical_json,
    check_anchor,
    checkpoint_message,
    event_hash,
    verify_chain,
)

PROPS = settings(max_examples=60, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALL_FIELDS = (*HASHED_FIELDS, "hash")
NULLABLE = {"subject_id", "request_id"}

# --- strategies -----------------------------------------------------------------------

short_text = st.text(max_size=8)
hex64 = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9), short_text)
details_text = st.dictionaries(st.text(max_size=6), json_scalar, max_size=4).map(canonical_json)
timestamp = st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


@st.composite
def event_body(draw) -> dict:
    """The recorded content of one event (what a service hands to `record`)."""
    return {
        "at": draw(timestamp),
        "actor": draw(st.sampled_from(["system:cli", "system:test"]) | short_text.map(
            lambda s: f"user:{s}")),
        "tag": draw(st.sampled_from(["registry:person:read", "registry:person:create",
                                     "audit:checkpoint:create"]) | short_text),
        "subject_type": draw(st.sampled_from(["person", "organisation"]) | short_text),
        "subject_id": draw(st.none() | short_text),
        "request_id": draw(st.none() | short_text),
        "details": draw(details_text),
    }


def build_chain(bodies: list[dict]) -> list[dict]:
    """Chain bodies as the service does: seq from 1, each row linked to the previous hash."""
    rows, prev = [], GENESIS
    for i, body in enumerate(bodies, start=1):
        row = {**body, "seq": i, "prev_hash": prev}
        row["hash"] = prev = event_hash(row)
        rows.append(row)
    return rows


chains = st.lists(event_body(), min_size=0, max_size=8).map(build_chain)
nonempty_chains = st.lists(event_body(), min_size=1, max_size=8).map(build_chain)
multi_chains = st.lists(event_body(), min_size=2, max_size=8).map(build_chain)


def head_before(rows: list[dict], seq: int) -> str:
    """Hash of the row with sequence seq - 1 (GENESIS before the first)."""
    return GENESIS if seq == 1 else rows[seq - 2]["hash"]


def assert_broken_at(rows_seen: list[dict], original: list[dict], seq: int) -> None:
    verdict = verify_chain(rows_seen)
    assert not verdict.ok, "tampering went unnoticed"
    assert verdict.broken_seq == seq, verdict
    assert verdict.verified == seq - 1
    assert (verdict.head_seq, verdict.head_hash) == (seq - 1, head_before(original, seq))


def edited_value(draw, field: str, old: object) -> object:
    """A different value of the same column type (what an UPDATE could store)."""
    if field == "seq":
        new = draw(st.integers(-(2**63), 2**63 - 1))
    elif field in ("prev_hash", "hash"):
        new = draw(hex64 | short_text)
    elif field == "details":
        new = draw(details_text | short_text)
    elif field in NULLABLE:
        new = draw(st.none() | st.text(max_size=12))
    else:
        new = draw(st.text(max_size=32))
    assume(new != old)
    return new


def hash_map(rows: list[dict]) -> dict[int, str]:
    return {r["seq"]: r["hash"] for r in rows}


def new_key() -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    return key, key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def signed(key: Ed25519PrivateKey, pub: str, seq: int, head: str,
           signed_hash: str | None = None, signed_seq: int | None = None) -> Anchor:
    msg = checkpoint_message(seq if signed_seq is None else signed_seq,
                             head if signed_hash is None else signed_hash)
    return Anchor(seq, head, pub, key.sign(msg).hex())


# --- canonical form and hash ----------------------------------------------------------


def test_canonical_json_is_sorted_compact_and_keeps_non_ascii():
    assert canonical_json({"b": 1, "a": ["山田", None]}) == '{"a":["山田",null],"b":1}'


@FEW
@given(body=event_body())
def test_event_hash_is_sha256_of_the_canonical_hashed_fields(body):
    row = {**body, "seq": 7, "prev_hash": GENESIS}
    # Written out here, not taken from the code: every column of the row but the hash.
    fields = ("seq", "at", "actor", "tag", "subject_type", "subject_id", "request_id",
              "details", "prev_hash")
    expected = hashlib.sha256(json.dumps(
        {k: row[k] for k in fields}, sort_keys=True, separators=(",", ":"),
        ensure_ascii=False).encode("utf-8")).hexdigest()
    assert event_hash(row) == expected
    # Key order of the mapping and extra keys (such as the stored hash) do not matter.
    shuffled = dict(reversed(list({**row, "hash": "x", "extra": 1}.items())))
    assert event_hash(shuffled) == expected


# --- no false alarm ---------------------------------------------------------------------


def test_empty_chain_verifies():
    verdict = verify_chain([])
    assert verdict.ok
    assert (verdict.verified, verdict.head_seq, verdict.head_hash) == (0, 0, GENESIS)
    assert verdict.broken_seq is None and verdict.reason is None


@PROPS
@given(rows=chains)
def test_intact_chain_verifies_with_its_head(rows):
    verdict = verify_chain(rows)
    assert verdict.ok, verdict
    assert verdict.verified == len(rows)
    assert verdict.head_seq == len(rows)
    assert verdict.head_hash == (rows[-1]["hash"] if rows else GENESIS)


@FEW
@given(rows=chains)
def test_intact_chain_survives_a_json_round_trip(rows):
    """What is stored and read back (text columns, canonical details) still verifies."""
    assert verify_chain(json.loads(json.dumps(rows))).ok


# --- edits ------------------------------------------------------------------------------


@PROPS
@given(data=st.data(), rows=nonempty_chains)
def test_any_single_edit_is_caught_at_that_row(data, rows):
    k = data.draw(st.integers(0, len(rows) - 1), label="row index")
    field = data.draw(st.sampled_from(ALL_FIELDS), label="field")
    tampered = copy.deepcopy(rows)
    tampered[k][field] = edited_value(data.draw, field, rows[k][field])
    assert_broken_at(tampered, rows, k + 1)


def test_every_field_of_every_row_is_covered():
    """Exhaustive companion of the property: each field of each row of a fixed chain."""
    bodies = [{"at": f"2026-01-0{i}T00:00:00.000000Z", "actor": "system:test",
               "tag": "registry:person:read", "subject_type": "person",
               "subject_id": f"p{i}", "request_id": None, "details": '{"n":1}'}
              for i in range(1, 6)]
    rows = build_chain(bodies)
    replacements = {"seq": [0, 99, -1], "prev_hash": [GENESIS[:-1] + "1", ""],
                    "hash": [GENESIS, "f" * 64], "details": ['{"n":2}', '{"n":1.0}', "{}"],
                    "subject_id": [None, "P1", "p1 "], "request_id": ["r", ""],
                    "at": ["2026-01-01T00:00:00.000001Z"], "actor": ["system:cli", ""],
                    "tag": ["registry:person:create"], "subject_type": ["organisation"]}
    assert set(replacements) == set(ALL_FIELDS)
    for k in range(len(rows)):
        for field, values in replacements.items():
            for value in values:
                if value == rows[k][field]:
                    continue
                tampered = copy.deepcopy(rows)
                tampered[k][field] = value
                assert_broken_at(tampered, rows, k + 1)


@PROPS
@given(data=st.data(), rows=nonempty_chains)
def test_an_edit_with_the_row_hash_recomputed_is_caught_by_the_next_link(data, rows):
    """A smarter attacker rehashes the edited row: the next row's link then breaks; on
    the last row only a checkpoint of the old head can tell."""
    k = data.draw(st.integers(0, len(rows) - 1), label="row index")
    field = data.draw(st.sampled_from(
        [f for f in HASHED_FIELDS if f not in ("seq", "prev_hash")]), label="field")
    tampered = copy.deepcopy(rows)
    tampered[k][field] = edited_value(data.draw, field, rows[k][field])
    tampered[k]["hash"] = event_hash(tampered[k])
    if k < len(rows) - 1:  # rows up to the rehashed one verify; its successor does not
        assert_broken_at(tampered, tampered, k + 2)
    else:
        assert verify_chain(tampered).ok
        error = check_anchor(Anchor(len(rows), rows[-1]["hash"]), hash_map(tampered), set())
        assert error is not None and f"differs from anchor at sequence {len(rows)}" in error


def test_a_self_consistent_row_with_a_wrong_link_is_caught_at_that_row():
    rows = build_chain([{"at": "t", "actor": "a", "tag": "x", "subject_type": "s",
                         "subject_id": str(i), "request_id": None, "details": "{}"}
                        for i in range(4)])
    for k in range(len(rows)):
        tampered = copy.deepcopy(rows)
        tampered[k]["prev_hash"] = "f" * 64
        tampered[k]["hash"] = event_hash(tampered[k])
        assert_broken_at(tampered, rows, k + 1)
        assert "link" in (verify_chain(tampered).reason or "")


@pytest.mark.parametrize("bad_seq", ["abc", "", " 2", 2.5, float("inf"), b"2x"])
def test_a_non_integer_sequence_is_reported_not_raised(bad_seq):
    """SQLite stores whatever an attacker writes into the BIGINT seq column (no STRICT
    table), so verification must name the broken sequence rather than crash."""
    rows = build_chain([{"at": "t", "actor": "a", "tag": "x", "subject_type": "s",
                         "subject_id": None, "request_id": None, "details": "{}"}] * 3)
    rows[1]["seq"] = bad_seq
    verdict = verify_chain(rows)
    assert verdict.broken_seq == 2
    assert verdict.verified == 1


# --- deletions --------------------------------------------------------------------------


@PROPS
@given(data=st.data(), rows=multi_chains)
def test_deleting_any_row_but_the_last_is_caught_at_its_sequence(data, rows):
    k = data.draw(st.integers(0, len(rows) - 2), label="deleted index")
    tampered = rows[:k] + rows[k + 1:]
    assert_broken_at(tampered, rows, k + 1)


@PROPS
@given(data=st.data(), rows=nonempty_chains)
def test_truncated_tail_is_invisible_to_the_chain_but_not_to_a_checkpoint(data, rows):
    cut = data.draw(st.integers(0, len(rows) - 1), label="rows kept")
    kept = rows[:cut]
    # The chain alone cannot see it: what remains is a valid, shorter chain.
    verdict = verify_chain(kept)
    assert verdict.ok
    assert (verdict.verified, verdict.head_seq) == (cut, cut)
    assert verdict.head_hash == (kept[-1]["hash"] if kept else GENESIS)
    # A checkpoint of the old head, unsigned (--expect-head) or signed, detects it.
    old_head = Anchor(len(rows), rows[-1]["hash"])
    key, pub = new_key()
    signed_head = signed(key, pub, len(rows), rows[-1]["hash"])
    for anchor in (old_head, signed_head):
        assert check_anchor(anchor, hash_map(rows), {pub}) is None
        error = check_anchor(anchor, hash_map(kept), {pub})
        assert error is not None and "truncated" in error
        assert str(len(rows)) in error


# --- insertions -------------------------------------------------------------------------


@PROPS
@given(data=st.data(), rows=nonempty_chains)
def test_inserting_a_forged_row_is_caught(data, rows):
    p = data.draw(st.integers(0, len(rows) - 1), label="insert before index")
    prev = rows[p - 1]["hash"] if p else GENESIS
    forged = {**data.draw(event_body(), label="forged body"),
              "seq": data.draw(st.just(p + 1) | st.integers(-5, len(rows) + 5), label="seq"),
              "prev_hash": data.draw(st.just(prev) | hex64, label="prev_hash")}
    forged["hash"] = data.draw(st.just(event_hash(forged)) | hex64, label="hash")
    tampered = rows[:p] + [forged] + rows[p:]
    perfect = (forged["seq"] == p + 1 and forged["prev_hash"] == prev
               and forged["hash"] == event_hash(forged))
    if perfect:
        # A flawless forgery links in as sequence p+1; the genuine row p+1 then follows
        # it out of sequence, so the chain first breaks at p+2.
        verdict = verify_chain(tampered)
        assert not verdict.ok
        assert verdict.broken_seq == p + 2
        assert verdict.verified == p + 1
        assert (verdict.head_seq, verdict.head_hash) == (p + 1, forged["hash"])
    else:
        assert_broken_at(tampered, rows, p + 1)


def test_a_perfectly_forged_row_with_recomputed_hash_is_still_caught():
    rows = build_chain([{"at": "t", "actor": "a", "tag": "x", "subject_type": "s",
                         "subject_id": str(i), "request_id": None, "details": "{}"}
                        for i in range(4)])
    forged = {**rows[2], "actor": "user:mallory"}
    forged["hash"] = event_hash(forged)
    verdict = verify_chain(rows[:2] + [forged] + rows[2:])
    assert verdict.broken_seq == 4
    assert "expected sequence 4, found 3" in (verdict.reason or "")


# --- reordering -------------------------------------------------------------------------


@PROPS
@given(data=st.data(), rows=multi_chains)
def test_swapping_any_two_rows_is_caught_at_the_first(data, rows):
    i = data.draw(st.integers(0, len(rows) - 2), label="i")
    j = data.draw(st.integers(i + 1, len(rows) - 1), label="j")
    tampered = list(rows)
    tampered[i], tampered[j] = tampered[j], tampered[i]
    assert_broken_at(tampered, rows, i + 1)


@FEW
@given(data=st.data(), rows=multi_chains)
def test_any_reordering_is_caught_at_the_first_moved_row(data, rows):
    order = data.draw(st.permutations(range(len(rows))), label="order")
    assume(order != list(range(len(rows))))
    first_moved = next(i for i, j in enumerate(order) if i != j)
    assert_broken_at([rows[j] for j in order], rows, first_moved + 1)


# --- checkpoints and anchors ------------------------------------------------------------


@FEW
@given(rows=nonempty_chains, data=st.data())
def test_a_valid_checkpoint_signature_is_accepted(rows, data):
    seq = data.draw(st.integers(1, len(rows)), label="anchored seq")
    key, pub = new_key()
    anchor = signed(key, pub, seq, rows[seq - 1]["hash"])
    assert check_anchor(anchor, hash_map(rows), {pub}) is None
    # Another trusted key alongside does no harm.
    assert check_anchor(anchor, hash_map(rows), {pub, new_key()[1]}) is None


@FEW
@given(rows=nonempty_chains, data=st.data(), other_hash=hex64)
def test_a_signature_over_a_different_hash_or_sequence_is_rejected(rows, data, other_hash):
    seq = data.draw(st.integers(1, len(rows)), label="anchored seq")
    head = rows[seq - 1]["hash"]
    assume(other_hash != head)
    key, pub = new_key()
    for anchor in (signed(key, pub, seq, head, signed_hash=other_hash),
                   signed(key, pub, seq, head, signed_seq=seq + 1)):
        error = check_anchor(anchor, hash_map(rows), {pub})
        assert error is not None and "bad signature" in error


@FEW
@given(rows=nonempty_chains)
def test_a_checkpoint_by_an_untrusted_key_is_rejected(rows):
    key, pub = new_key()
    _, trusted_pub = new_key()
    anchor = signed(key, pub, len(rows), rows[-1]["hash"])
    for trusted in (set(), {trusted_pub}):
        error = check_anchor(anchor, hash_map(rows), trusted)
        assert error is not None and "untrusted" in error


def test_a_signature_by_another_key_under_a_trusted_public_key_is_rejected():
    rows = build_chain([{"at": "t", "actor": "a", "tag": "x", "subject_type": "s",
                         "subject_id": None, "request_id": None, "details": "{}"}] * 2)
    _, pub = new_key()
    impostor, _ = new_key()
    forged = Anchor(2, rows[-1]["hash"], pub,
                    impostor.sign(checkpoint_message(2, rows[-1]["hash"])).hex())
    assert "bad signature" in (check_anchor(forged, hash_map(rows), {pub}) or "")


@pytest.mark.parametrize("signature", ["", "zz", "00" * 64, "abc"])
def test_a_malformed_signature_is_rejected_not_raised(signature):
    _, pub = new_key()
    error = check_anchor(Anchor(1, GENESIS, pub, signature), {1: GENESIS}, {pub})
    assert error is not None and "bad signature" in error


@FEW
@given(rows=nonempty_chains, data=st.data(), other_hash=hex64)
def test_a_correctly_signed_checkpoint_of_a_different_chain_is_rejected(rows, data, other_hash):
    """The signature holds, but the stored chain has another hash at that sequence:
    the row was rewritten after the checkpoint (or the chain replaced)."""
    seq = data.draw(st.integers(1, len(rows)), label="anchored seq")
    assume(other_hash != rows[seq - 1]["hash"])
    key, pub = new_key()
    for anchor in (signed(key, pub, seq, other_hash), Anchor(seq, other_hash)):
        error = check_anchor(anchor, hash_map(rows), {pub})
        assert error is not None and "differs" in error


def test_checkpoint_message_binds_sequence_and_hash():
    assert checkpoint_message(3, "ab") != checkpoint_message(4, "ab")
    assert checkpoint_message(3, "ab") != checkpoint_message(3, "ac")
    assert json.loads(checkpoint_message(3, "ab")) == {"chain": "hozen-audit", "seq": 3,
                                                       "hash": "ab"}
