"""hozen.ops.collector: a serving process's collector walks only what is young."""

import gc

import pytest

from hozen.ops import collector


@pytest.fixture
def restored():
    before = gc.get_threshold()
    yield
    if collector._refreeze in gc.callbacks:
        gc.callbacks.remove(collector._refreeze)
    gc.unfreeze()
    gc.set_threshold(*before)


def test_settle_freezes_what_exists_and_collects_less_often(restored):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    collector.settle()
    assert gc.get_freeze_count() > 1000  # the modules, classes and functions imported
    assert gc.get_threshold() == collector.THRESHOLDS
    collector.settle()  # idempotent: one callback
    assert gc.callbacks.count(collector._refreeze) == 1


def test_what_survives_a_full_collection_is_frozen_and_garbage_is_still_freed(restored):
    collector.settle()
    frozen = gc.get_freeze_count()
    kept = [[n] for n in range(5000)]  # long-lived containers, as a warmed cache holds

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the collector can free it
    del a, b
    assert gc.collect(0) + gc.collect(2) >= 2  # the cycle is still found and freed
    assert gc.get_freeze_count() >= frozen + len(kept)
    gc.collect(1)  # a collection short of full freezes nothing more
    assert gc.get_freeze_count() >= frozen + len(kept)
