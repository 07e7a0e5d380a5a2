"""The backup manifest: every key set the dump's data needs, read back from old and new
manifests alike (issue 11)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hozen.backup import FORMAT, Manifest

BASE = {"format": FORMAT, "created_at": "2026-11-27T00:00:00+00:00", "dialect": "sqlite",
        "revision": "0030", "audit_seq": 3, "audit_head": "a" * 64, "sha256": "b" * 64,
        "size": 10, "key_id": "kold"}
KEY_ID = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=16)


@settings(deadline=None)
@given(st.lists(KEY_ID, max_size=4), st.one_of(st.none(), KEY_ID))
def test_a_manifest_reads_back_as_written_and_needs_every_set_it_names(key_ids, key_id):
    written = Manifest.from_json(json.dumps(BASE | {"key_id": key_id,
                                                    "key_ids": sorted(set(key_ids))}))
    again = Manifest.from_json(written.to_json())
    assert again == written
    assert again.needs_keys == set(key_ids) | ({key_id} if key_id else set())


def test_a_manifest_from_before_key_ids_needs_its_active_set():
    old = Manifest.from_json(json.dumps(BASE))
    assert old.key_ids == () and old.needs_keys == {"kold"}


@pytest.mark.parametrize("bad", [[1], "kold", [None]])
def test_key_ids_that_are_not_a_list_of_ids_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        Manifest.from_json(json.dumps(BASE | {"key_ids": bad}))
