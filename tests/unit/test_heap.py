"""core.heap: a slow full garbage collection freezes what survived it; a fast one, or a young one, does not."""

from __future__ import annotations

import gc

import pytest

from core import heap


@pytest.fixture
def hooked():
    gc.disable()  # only the test's own passes
    heap.settle()
    heap.settle()  # twice: still one hook
    assert gc.callbacks.count(heap._on_gc) == 1
    yield
    gc.callbacks.remove(heap._on_gc)
    gc.unfreeze()
    gc.enable()


def test_a_slow_full_pass_freezes_its_survivors_and_garbage_is_still_collected(hooked, monkeypatch):
    monkeypatch.setattr(heap, "FREEZE_AFTER_MS", -1.0)  # every full pass counts as slow
    kept = [[i] for i in range(10_000)]  # long-lived objects
    before = heap.freezes()
    gc.collect(1)  # a young pass never freezes
    assert heap.freezes() == before
    gc.collect()
    assert heap.freezes() == before + 1
    assert gc.get_freeze_count() >= len(kept)
    # what is made after the freeze is collected as before: a cycle dropped now is found by the next full pass
    monkeypatch.setattr(heap, "FREEZE_AFTER_MS", 1e9)
    cycle: list = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1
    assert heap.freezes() == before + 1  # a fast full pass does not freeze


def test_a_fast_full_pass_freezes_nothing(hooked, monkeypatch):
    monkeypatch.setattr(heap, "FREEZE_AFTER_MS", 1e9)
    before, frozen = heap.freezes(), gc.get_freeze_count()
    gc.collect()
    assert heap.freezes() == before
    assert gc.get_freeze_count() == frozen

