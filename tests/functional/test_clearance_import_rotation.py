"""A key rotation between the preparing of a clearances batch (outside any transaction,
its people's keyed hashes made with the key file as it was) and its writing: the person
is still found by name and birth date, under the index of the key file as it is when the
batch is written, under the key-state lock — never rejected as unknown."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest
from sqlalchemy import select

from hozen.accounts.actor import Actor
from hozen.clearances.bulk import CLEARANCES
from hozen.clearances.models import Clearance
from hozen.crypto import load_keyring
from hozen.keyrotation import rotate
from hozen.registry import importing
from hozen.registry.models import ImportReject
from tests.factories import corporate_number, make_org, make_person

ACTOR = Actor.system("test")


@pytest.fixture
def world(key_file, session):
    """A government body and a person (山田太郎, 1980-01-02) indexed under the key file."""
    agency = make_org(session, kind="government_body", name_ja="移行省",
                      name_en="Ministry of Migration", corporate_number=corporate_number())
    person = make_person(session, make_org(session).id)
    session.commit()
    return agency.corporate_number, person.id


@pytest.mark.parametrize("add_only", [False, True], ids=["whole-rotation", "set-added"])
def test_a_rotation_after_a_batch_is_prepared_does_not_make_its_rows_match_nobody(
        engine, session, tmp_path, key_file, world, monkeypatch, add_only):
    """The run prepares the batch, then (before the batch's transaction begins) the key
    file is rotated: a whole rotation re-indexes every person under a new key and
    retires the old one, so hashes made before it match nobody; a rotation that has only
    added its set changes the key file's state but not the index."""
    sponsor, person_id = world
    path = tmp_path / "clearances.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["姓", "名", "生年月日", "区分", "実施行政機関", "付与日"],
                                  ["山田", "太郎", "1980-01-02", "CESI", sponsor, "2020-04-01"]])
    before = load_keyring(key_file)
    rotations = []

    def prepare_then_rotate(pending, context, today):
        prepared = CLEARANCES.prepare(pending, context, today)
        rotations.append(rotate(engine, key_file, actor=ACTOR, settle=0, add_only=add_only))
        return prepared

    importer = replace(CLEARANCES, prepare=prepare_then_rotate)
    result = importing.run_import(engine, path, importer, actor=ACTOR)
    after = load_keyring(key_file)
    assert [o.step for o in rotations] == ["added" if add_only else "done"]
    if add_only:
        assert after.active == before.active and after.next is not None
    else:
        assert after.active != before.active and set(after.sets) == {after.active}
    rejects = session.execute(select(ImportReject.field, ImportReject.code)).all()
    held = session.scalars(select(Clearance.person_id)).all()
    session.rollback()
    assert rejects == [] and (result.imported, result.rejected) == (1, 0)
    assert held == [person_id]
