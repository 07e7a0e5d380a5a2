"""Pure rules of the hash chain: canonical form, hashing, verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq", "at", "actor", "tag", "subject_type", "subject_id", "request_id", "details",
    "prev_hash",
)


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(row: Mapping[str, object]) -> str:
    """SHA-256 over the canonical JSON of the row's fields, previous hash included."""
    body = {k: row[k] for k in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    return canonical_json({"chain": "hozen-audit", "seq": seq, "hash": head_hash}).encode()


@dataclass(frozen=True)
class Verdict:
    verified: int  # rows verified before the first break (all rows when ok)
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(rows: Iterable[Mapping[str, object]]) -> Verdict:
    """Walk rows in stored seq order. Any edit, deletion, insertion or reordering breaks
    the sequence, the link to the previous hash, or the row's own hash."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for row in rows:
        try:
            seq = int(row["seq"])  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):  # SQLite stores whatever is written
            return Verdict(count, expected_seq - 1, prev_hash, expected_seq,
                           "sequence number is not an integer")
        if seq != expected_seq:
            return Verdict(count, expected_seq - 1, prev_hash, expected_seq,
                           f"expected sequence {expected_seq}, found {seq}")
        if row["prev_hash"] != prev_hash:
            return Verdict(count, seq - 1, prev_hash, seq, "previous-hash link broken")
        if event_hash(row) != row["hash"]:
            return Verdict(count, seq - 1, prev_hash, seq, "row hash does not match its content")
        prev_hash, expected_seq, count = str(row["hash"]), seq + 1, count + 1
    return Verdict(count, expected_seq - 1, prev_hash)


@dataclass(frozen=True)
class Anchor:
    """A claimed (seq, hash) of the chain: a signed checkpoint or an expected head."""

    seq: int
    hash: str
    public_key: str | None = None  # hex; None for an unsigned --expect-head
    signature: str | None = None


def check_anchor(anchor: Anchor, hash_at: Mapping[int, str], trusted_keys: set[str]) -> str | None:
    """None when the anchor holds; else why not. `hash_at` maps seq to hash of the chain."""
    if anchor.signature is not None:
        if anchor.public_key not in trusted_keys:
            return f"checkpoint at {anchor.seq} signed by an untrusted key"
        try:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(anchor.public_key or ""))
            key.verify(bytes.fromhex(anchor.signature),
                       checkpoint_message(anchor.seq, anchor.hash))
        except (InvalidSignature, ValueError):
            return f"checkpoint at {anchor.seq} has a bad signature"
    if anchor.seq not in hash_at:
        return f"chain ends before anchored sequence {anchor.seq} (truncated tail)"
    if hash_at[anchor.seq] != anchor.hash:
        return f"chain differs from anchor at sequence {anchor.seq}"
    return None
