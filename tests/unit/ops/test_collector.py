"""hozen.ops.collector: a serving process's collector walks only what is young."""

import gc

import pytest

from hozen.ops import collector


@pytest.fixture
def restored():
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_settle_freezes_what_exists_and_collects_less_often(restored):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    collector.settle()
    assert gc.get_freeze_count() > 1000  # the modules, classes and functions imported
    assert gc.get_threshold() == collector.THRESHOLDS


def test_cycles_made_after_settling_are_still_collected(restored):
    """Nothing made once requests run is frozen: a cycle alive at a full collection
    (as a request's objects are) is freed once it becomes garbage."""
    collector.settle()
    frozen = gc.get_freeze_count()

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the collector can free it
    gc.collect()  # a full collection while the cycle is in use
    assert gc.get_freeze_count() == frozen
    del a, b
    assert gc.collect() >= 2
