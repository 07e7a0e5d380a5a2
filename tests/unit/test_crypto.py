"""Encryption at rest and keyed hashes."""

import stat

import pytest
from cryptography.exceptions import InvalidTag

from hozen.crypto import KeyFileError, create_key_file, load_keyring


@pytest.fixture
def ring(tmp_path):
    path = tmp_path / "k.key"
    create_key_file(path)
    return load_keyring(path)


def test_key_file_is_owner_only(tmp_path):
    path = tmp_path / "k.key"
    create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        create_key_file(path)  # never overwrites a key


def test_round_trip_and_binding(ring):
    blob = ring.encrypt("山田太郎".encode(), "person:1")
    assert "山田".encode() not in blob
    assert ring.decrypt(blob, "person:1").decode() == "山田太郎"
    with pytest.raises(InvalidTag):
        ring.decrypt(blob, "person:2")  # ciphertext moved to another record
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(InvalidTag):
        ring.decrypt(tampered, "person:1")


def test_same_plaintext_encrypts_differently(ring):
    assert ring.encrypt(b"x", "a") != ring.encrypt(b"x", "a")


def test_blind_index_is_keyed_and_domain_separated(ring, tmp_path):
    other_path = tmp_path / "other.key"
    create_key_file(other_path)
    other = load_keyring(other_path)
    assert ring.blind_index("name", "ヤマダ") == ring.blind_index("name", "ヤマダ")
    assert ring.blind_index("name", "ヤマダ") != ring.blind_index("birth", "ヤマダ")
    assert ring.blind_index("name", "ヤマダ") != other.blind_index("name", "ヤマダ")


def test_unknown_key_set_and_bad_file(ring, tmp_path):
    blob = bytearray(ring.encrypt(b"x", "a"))
    blob[2] = ord("z")  # key id no longer in the file
    with pytest.raises(KeyFileError):
        ring.decrypt(bytes(blob), "a")
    bad = tmp_path / "bad.key"
    bad.write_text("{not json")
    with pytest.raises(KeyFileError):
        load_keyring(bad)
