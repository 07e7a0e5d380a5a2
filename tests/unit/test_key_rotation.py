"""Key rotation's pure parts: the ciphertext header, a keyring mid-rotation, the key file's
steps (add, switch, retire), the reload on change, and where a rotation stands."""

import json
import os
import stat
from dataclasses import asdict
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hozen.config import get_settings
from hozen.crypto import (
    KeyFileError,
    Keyring,
    KeySet,
    add_next_key_set,
    ciphertext_header,
    ciphertext_key_id,
    create_key_file,
    get_keyring,
    load_keyring,
    retire_key_sets,
    switch_index,
)
from hozen.keyrotation import Budget, person_data, settle_left, step_of
from hozen.registry.rules import PersonData

KEY_IDS = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1,
                  max_size=16)


def ring_of(*ids: str, next_id: str | None = None) -> Keyring:
    sets = {k: KeySet(k, bytes([n]) * 32, bytes([n + 100]) * 32) for n, k in enumerate(ids)}
    return Keyring(ids[0], sets, next_id)


@given(KEY_IDS, st.binary(max_size=64), st.text(max_size=20))
def test_a_ciphertext_names_its_key_set_in_its_header(key_id, plaintext, aad):
    ring = ring_of(key_id)
    blob = ring.encrypt(plaintext, aad)
    assert blob.startswith(ciphertext_header(key_id))
    assert ciphertext_key_id(blob) == key_id
    assert ring.decrypt(blob, aad) == plaintext


@given(KEY_IDS, KEY_IDS)
def test_headers_of_different_sets_never_prefix_each_other(a, b):
    if a != b:
        ha, hb = ciphertext_header(a), ciphertext_header(b)
        assert not ha.startswith(hb) and not hb.startswith(ha)


def test_mid_rotation_new_ciphertext_uses_next_while_search_keeps_the_old_index():
    ring = ring_of("old", "new", next_id="new")
    old_blob = ring_of("old", "new").encrypt(b"x", "a")  # written before the rotation
    assert ciphertext_key_id(ring.encrypt(b"x", "a")) == "new"
    assert ring.decrypt(old_blob, "a") == b"x"  # both sets read
    assert ring.blind_index("d", "v") == ring_of("old").blind_index("d", "v")
    switched = ring.switched()
    assert (switched.active, switched.next) == ("new", None)
    assert switched.blind_index("d", "v") != ring.blind_index("d", "v")
    assert ring.retiring == switched.retiring == ("old",)
    assert [r.active for r in ring.indexes()] == ["old", "new"]  # tokens under both
    assert [r.active for r in switched.indexes()] == ["new"]
    alone = switched.only("new")
    assert set(alone.sets) == {"new"}
    with pytest.raises(KeyFileError):
        alone.decrypt(old_blob, "a")


def test_bad_ciphertext_header_is_refused():
    with pytest.raises(KeyFileError):
        ciphertext_key_id(b"\x09\x01k")
    with pytest.raises(KeyFileError):
        ciphertext_key_id(b"")


def test_key_file_steps_add_switch_retire(tmp_path):
    path = tmp_path / "k.key"
    create_key_file(path)
    first = load_keyring(path).active
    new = add_next_key_set(path)
    ring = load_keyring(path)
    assert (ring.active, ring.next, set(ring.sets)) == (first, new, {first, new})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(KeyFileError, match="already under way"):
        add_next_key_set(path)
    with pytest.raises(KeyFileError, match="not switched"):
        retire_key_sets(path, None)
    assert switch_index(path) == new and switch_index(path) == new  # twice: no change
    keep = tmp_path / "k.key.old"
    assert retire_key_sets(path, keep) == [first]
    assert set(load_keyring(path).sets) == {new} and load_keyring(path).active == new
    assert stat.S_IMODE(keep.stat().st_mode) == 0o600
    assert set(json.loads(keep.read_text())["sets"]) == {first, new}
    assert retire_key_sets(path, keep) == []  # nothing left to retire; keep untouched
    assert not list(tmp_path.glob(".k.key.*"))  # no temporary file left behind


def test_a_long_key_set_id_is_refused(tmp_path):
    path = tmp_path / "k.key"
    create_key_file(path)
    doc = json.loads(path.read_text())
    doc["sets"] = {"k" * 17: next(iter(doc["sets"].values()))}
    doc["active"] = "k" * 17
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError):
        load_keyring(path)


def test_every_process_sees_a_rotation_step_at_its_next_call(tmp_path):
    path = tmp_path / "k.key"
    before = os.environ["HOZEN_KEY_FILE"]
    os.environ["HOZEN_KEY_FILE"] = str(path)
    get_settings.cache_clear()
    try:
        create_key_file(path)
        first = get_keyring()
        assert get_keyring() is first  # unchanged file: the same keyring
        new = add_next_key_set(path)  # within the same second as the read above
        assert get_keyring().next == new
        switch_index(path)
        assert (get_keyring().active, get_keyring().next) == (new, None)
    finally:
        os.environ["HOZEN_KEY_FILE"] = before
        get_settings.cache_clear()


def test_step_of_a_rotation():
    assert step_of(ring_of("a"), 0) == "idle"
    assert step_of(ring_of("a"), 3) == "cleanup"  # retired, old index not yet deleted
    assert step_of(ring_of("a", "b", next_id="b"), 0) == "reencrypt"
    assert step_of(ring_of("b", "a"), 0) == "retire"


@given(st.floats(0, 1e9), st.floats(0, 1e9), st.floats(0, 3600))
def test_settle_left_never_negative_and_zero_once_settled(changed, now, settle):
    left = settle_left(changed, now, settle)
    assert left >= 0
    assert (left == 0) == (now >= changed + settle)


def test_budget():
    unlimited, two = Budget(), Budget(2)
    assert all(unlimited.spend() for _ in range(100))
    assert [two.spend() for _ in range(3)] == [True, True, False]


def test_person_data_reads_what_the_registry_seals():
    data = PersonData("山田", "太郎", "ヤマダ", "タロウ", "Yamada", "Taro", date(1980, 1, 2),
                      None, "技師")
    doc = {**asdict(data), "birth_date": "1980-01-02"}
    assert person_data(json.dumps(doc, ensure_ascii=False).encode()) == data
