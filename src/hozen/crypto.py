"""Encryption of personal data at rest (AES-GCM) and keyed hashes (HMAC) for search.

The key file holds named key sets so keys can be rotated: each set has an encryption key
and an index key. `active` names the set whose index key the search tokens are made
with; while a rotation re-encrypts the data, `next` names the set new ciphertext is
written under (its index key takes over when the rotation switches the index). Every set
in the file can decrypt: a ciphertext names the set it was made with.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FORMAT_VERSION = 1
# PostgreSQL advisory lock ("hozen" + "k") ordering a key rotation's steps with the
# transactions that read the key file (keyring_for).
KEY_STATE_LOCK = 0x686F7A656E_6B
KEY_STEP_WAIT_MS = 15_000  # how long a rotation's step waits for it (SQLite's busy timeout)


class KeyFileError(RuntimeError):
    pass


@dataclass(frozen=True)
class KeySet:
    key_id: str
    enc: bytes
    idx: bytes


def ciphertext_header(key_id: str) -> bytes:
    """The bytes every ciphertext made under `key_id` starts with (format, id length,
    id): a query finds the rows still under another set by this prefix alone."""
    kid = key_id.encode()
    return bytes([FORMAT_VERSION, len(kid)]) + kid


def ciphertext_key_id(blob: bytes) -> str:
    """The id of the key set a ciphertext was made with."""
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise KeyFileError("unknown ciphertext format")
    return blob[2 : 2 + blob[1]].decode()


@dataclass(frozen=True)
class Keyring:
    active: str
    sets: dict[str, KeySet]
    next: str | None = None  # the set a rotation in progress writes new ciphertext under

    @property
    def current(self) -> KeySet:
        """The set whose index key makes search tokens."""
        return self.sets[self.active]

    @property
    def writer(self) -> KeySet:
        """The set new ciphertext is made with: the rotation's next set, once there is one."""
        return self.sets[self.next or self.active]

    @property
    def retiring(self) -> tuple[str, ...]:
        """The sets a rotation will remove: all but the one it rotates to."""
        return tuple(sorted(k for k in self.sets if k != (self.next or self.active)))

    def switched(self) -> Keyring:
        """This keyring once the rotation's next set makes the search tokens too."""
        return replace(self, active=self.next or self.active, next=None)

    def indexes(self) -> tuple[Keyring, ...]:
        """The keyrings whose index keys a person's search tokens are written under: the
        active one and, while a rotation builds its index, the next one too (so a person
        written then is found whichever index answers, before and after the switch)."""
        return (self, self.switched()) if self.next else (self,)

    def only(self, key_id: str) -> Keyring:
        """A keyring holding only `key_id`: what is left once the others are retired."""
        return Keyring(key_id, {key_id: self.sets[key_id]})

    @cached_property
    def _ciphers(self) -> dict[str, AESGCM]:
        return {kid: AESGCM(ks.enc) for kid, ks in self.sets.items()}

    def encrypt(self, plaintext: bytes, aad: str) -> bytes:
        ks = self.writer
        nonce = secrets.token_bytes(12)
        ct = self._ciphers[ks.key_id].encrypt(nonce, plaintext, aad.encode())
        return ciphertext_header(ks.key_id) + nonce + ct

    def decrypt(self, blob: bytes, aad: str) -> bytes:
        kid = ciphertext_key_id(blob)
        if kid not in self.sets:
            raise KeyFileError(f"ciphertext made with key set {kid!r}, which the key file lacks")
        n = blob[1]
        nonce, ct = blob[2 + n : 14 + n], blob[14 + n :]
        return self._ciphers[kid].decrypt(nonce, ct, aad.encode())

    def blind_index(self, domain: str, value: str) -> bytes:
        """A keyed hash of an already normalised value, separated by domain: the first
        16 bytes of HMAC-SHA-256 (128 bits: collisions are out of reach for any register,
        and a national index of ten million tokens stays small)."""
        return _blind(self.current.idx, domain, value)


BLIND_BYTES = 16
MAX_KEY_ID = 16  # person_search_token.key_id is String(16)


@lru_cache(maxsize=1 << 17)
def _blind(key: bytes, domain: str, value: str) -> bytes:
    """Cached: the same names and birth dates are hashed again and again (searches, bulk
    imports), and a keyed hash is the costliest step of writing a person."""
    return hmac.new(key, domain.encode() + b"\x00" + value.encode(),
                    hashlib.sha256).digest()[:BLIND_BYTES]


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def _new_set() -> tuple[str, dict[str, str]]:
    return "k" + secrets.token_hex(4), {"enc": _b64(AESGCM.generate_key(256)),
                                        "idx": _b64(os.urandom(32))}


def create_key_file(path: Path) -> None:
    """Write a fresh key file readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kid, ks = _new_set()
    doc = {"active": kid, "sets": {kid: ks}}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh)


def _read_doc(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.__class__.__name__}") from exc


def _write_doc(path: Path, doc: dict) -> None:
    """Replace the key file atomically (mode 0600): a process reading it meanwhile sees
    the old file or the new one, never half of one."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(name, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
    dirfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def add_next_key_set(path: Path) -> str:
    """Start a rotation: a fresh key set becomes `next`, under which every process makes
    new ciphertext from its next read of the file. Returns its id."""
    doc = _read_doc(path)
    if doc.get("next") or len(doc["sets"]) > 1:
        raise KeyFileError("a rotation is already under way in this key file")
    kid, ks = _new_set()
    doc["sets"][kid] = ks
    doc["next"] = kid
    _write_doc(path, doc)
    return kid


def switch_index(path: Path) -> str:
    """The rotation's next set becomes active: its index key makes search tokens."""
    doc = _read_doc(path)
    if doc.get("next"):
        doc["active"] = doc.pop("next")
        _write_doc(path, doc)
    return doc["active"]


def retire_key_sets(path: Path, keep: Path | None) -> list[str]:
    """Remove every set but the active one; first copy the file to `keep` (mode 0600,
    never overwriting) so backups made before the rotation can still be read."""
    doc = _read_doc(path)
    if doc.get("next"):
        raise KeyFileError("the rotation has not switched the index yet")
    retired = sorted(k for k in doc["sets"] if k != doc["active"])
    if not retired:
        return []
    if keep is not None:
        fd = os.open(keep, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(path.read_text())
            fh.flush()
            os.fsync(fh.fileno())
    doc["sets"] = {doc["active"]: doc["sets"][doc["active"]]}
    _write_doc(path, doc)
    return retired


def load_keyring(path: Path) -> Keyring:
    try:
        doc = json.loads(path.read_text())
        sets = {
            kid: KeySet(kid, base64.b64decode(v["enc"]), base64.b64decode(v["idx"]))
            for kid, v in doc["sets"].items()
        }
        if any(len(kid) > MAX_KEY_ID for kid in sets):
            raise ValueError("key set id too long")
        ring = Keyring(doc["active"], sets, doc.get("next"))
        ring.current  # noqa: B018 - the active set must exist
        ring.writer  # noqa: B018 - and so must the next one, if any
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.__class__.__name__}") from exc
    return ring


@lru_cache(maxsize=4)
def _keyring_cached(path: str, version: tuple[int, int, int]) -> Keyring:
    return load_keyring(Path(path))


def get_keyring() -> Keyring:
    """The keyring named by the settings; created on first use in development only.

    Read again whenever the file changes (its inode, modification time in nanoseconds or
    size: a rotation replaces the file whole), so every process sees a rotation's step at
    its next call: each request and each batch asks afresh."""
    from hozen.config import get_settings

    settings = get_settings()
    path = settings.key_file
    if not path.exists():
        if not settings.is_development:
            raise KeyFileError(f"key file {path} is missing")
        with contextlib.suppress(FileExistsError):  # another process made it first
            create_key_file(path)
    st = path.stat()
    return _keyring_cached(str(path.resolve()), (st.st_ino, st.st_mtime_ns, st.st_size))


def lock_key_state(session: Session, *, shared: bool) -> None:
    """Hold the key-state lock until the session's transaction ends: shared by the
    transactions that write or search with the key file's state, alone by a rotation's
    step that changes it (PostgreSQL: an advisory lock; SQLite: the write lock, which
    every transaction takes as it begins, IMMEDIATE). A step waits KEY_STEP_WAIT_MS at
    most, as SQLite's busy timeout does: the requests queued behind it wait no longer
    for a transaction that does not end."""
    conn = session.connection()  # begins the transaction (SQLite: takes the write lock)
    if conn.dialect.name != "postgresql":
        return
    if shared:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock_shared({KEY_STATE_LOCK})")
    else:
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(KEY_STEP_WAIT_MS)}")
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({KEY_STATE_LOCK})")
        # held: the step's other locks (the audit chain's, at commit) wait as any do
        conn.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")


def keyring_for(session: Session) -> Keyring:
    """The keyring a transaction writes people's search tokens and searches with, read
    under the key-state lock held (shared) until it ends: a rotation's step, which takes
    the lock alone, waits for it, so the index chosen here is still complete, and the
    tokens written here are still in the index searches use, when it commits."""
    lock_key_state(session, shared=True)
    return get_keyring()
