"""Encryption of personal data at rest (AES-GCM) and keyed hashes (HMAC) for search.

The key file holds named key sets so keys can be rotated: each set has an encryption key
and an index key; `active` names the set new data is written with.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1


class KeyFileError(RuntimeError):
    pass


@dataclass(frozen=True)
class KeySet:
    key_id: str
    enc: bytes
    idx: bytes


@dataclass(frozen=True)
class Keyring:
    active: str
    sets: dict[str, KeySet]

    @property
    def current(self) -> KeySet:
        return self.sets[self.active]

    @cached_property
    def _ciphers(self) -> dict[str, AESGCM]:
        return {kid: AESGCM(ks.enc) for kid, ks in self.sets.items()}

    def encrypt(self, plaintext: bytes, aad: str) -> bytes:
        ks = self.current
        nonce = secrets.token_bytes(12)
        kid = ks.key_id.encode()
        ct = self._ciphers[ks.key_id].encrypt(nonce, plaintext, aad.encode())
        return bytes([FORMAT_VERSION, len(kid)]) + kid + nonce + ct

    def decrypt(self, blob: bytes, aad: str) -> bytes:
        if not blob or blob[0] != FORMAT_VERSION:
            raise KeyFileError("unknown ciphertext format")
        n = blob[1]
        kid = blob[2 : 2 + n].decode()
        if kid not in self.sets:
            raise KeyFileError(f"ciphertext made with key set {kid!r}, which the key file lacks")
        nonce, ct = blob[2 + n : 14 + n], blob[14 + n :]
        return self._ciphers[kid].decrypt(nonce, ct, aad.encode())

    def blind_index(self, domain: str, value: str) -> bytes:
        """A keyed hash of an already normalised value, separated by domain: the first
        16 bytes of HMAC-SHA-256 (128 bits: collisions are out of reach for any register,
        and a national index of ten million tokens stays small)."""
        return _blind(self.current.idx, domain, value)


BLIND_BYTES = 16


@lru_cache(maxsize=1 << 17)
def _blind(key: bytes, domain: str, value: str) -> bytes:
    """Cached: the same names and birth dates are hashed again and again (searches, bulk
    imports), and a keyed hash is the costliest step of writing a person."""
    return hmac.new(key, domain.encode() + b"\x00" + value.encode(),
                    hashlib.sha256).digest()[:BLIND_BYTES]


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def create_key_file(path: Path) -> None:
    """Write a fresh key file readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kid = "k" + secrets.token_hex(4)
    doc = {
        "active": kid,
        "sets": {kid: {"enc": _b64(AESGCM.generate_key(256)), "idx": _b64(os.urandom(32))}},
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh)


def load_keyring(path: Path) -> Keyring:
    try:
        doc = json.loads(path.read_text())
        sets = {
            kid: KeySet(kid, base64.b64decode(v["enc"]), base64.b64decode(v["idx"]))
            for kid, v in doc["sets"].items()
        }
        ring = Keyring(doc["active"], sets)
        ring.current  # noqa: B018 - the active set must exist
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.__class__.__name__}") from exc
    return ring


@lru_cache
def _keyring_cached(path: str, mtime: float) -> Keyring:
    return load_keyring(Path(path))


def get_keyring() -> Keyring:
    """The keyring named by the settings; created on first use in development only."""
    from hozen.config import get_settings

    settings = get_settings()
    path = settings.key_file
    if not path.exists():
        if not settings.is_development:
            raise KeyFileError(f"key file {path} is missing")
        with contextlib.suppress(FileExistsError):  # another process made it first
            create_key_file(path)
    return _keyring_cached(str(path.resolve()), path.stat().st_mtime)
