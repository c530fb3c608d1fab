"""views.delta: a screen that merges each tick's delta holds what a full load would show (issue: a tick whose bytes
follow the changes, not the city's size)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from views import delta

LAYERS = ("air", "traffic", "water")
values = st.fixed_dictionaries({
    "air": st.dictionaries(st.sampled_from([f"s{i}" for i in range(12)]),
                           st.tuples(st.integers(0, 500), st.sampled_from(["#00E400", "#FFFF00"]), st.integers(0, 1),
                                     st.integers(0, 1)).map(list)),
    "traffic": st.dictionaries(st.sampled_from([f"r{i}" for i in range(12)]), st.one_of(st.none(), st.integers(1, 5))),
    "water": st.dictionaries(st.sampled_from([f"w{i}" for i in range(8)]), st.sampled_from(["I", "III", "劣V"])),
})


@given(st.lists(values, min_size=1, max_size=6))
def test_merging_every_delta_holds_what_a_full_load_holds(stream: list[dict]) -> None:
    held = delta.merge({}, delta.message(stream[0], LAYERS, 0, None, None), LAYERS)
    for version, (old, new) in enumerate(zip(stream, stream[1:], strict=False), start=1):
        msg = delta.message(new, LAYERS, version, old, version - 1)
        assert msg["base"] == version - 1
        held = delta.merge(held, msg, LAYERS)
        assert held == {layer: new[layer] for layer in LAYERS}


def test_a_delta_carries_only_changes_and_the_ids_gone() -> None:
    old = {"air": {"a": [50, "#00E400", 0, 0], "b": [60, "#FFFF00", 0, 0]}, "traffic": {"r": 2}, "water": {}}
    new = {"air": {"a": [50, "#00E400", 0, 0], "c": [70, "#FFFF00", 0, 0]}, "traffic": {"r": 2}, "water": {}}
    msg = delta.message(new, LAYERS, 8, old, 7)
    assert msg == {"v": 8, "base": 7, "n": [2, 1, 0], "air": {"c": [70, "#FFFF00", 0, 0]}, "gone": {"air": ["b"]},
                   "traffic": {}, "water": {}}
    assert delta.message(new, LAYERS, 8, old, 7)["traffic"] == {}  # an unchanged level travels no more


def test_a_screen_without_the_base_gets_everything() -> None:
    new = {"air": {"a": [1, "#00E400", 0, 0]}, "traffic": {}, "water": {"w": "I"}}
    msg = delta.message(new, LAYERS, 3, None, None)
    assert msg["base"] is None and msg["air"] == new["air"] and msg["water"] == {"w": "I"}


def test_a_merge_that_does_not_add_up_asks_for_everything() -> None:
    old = {"air": {"a": [1, "#00E400", 0, 0]}, "traffic": {}, "water": {}}
    new = {"air": {"a": [1, "#00E400", 0, 0], "b": [3, "#00E400", 0, 0]}, "traffic": {}, "water": {}}
    msg = delta.message(new, LAYERS, 2, old, 1)
    assert delta.merge({"air": {}, "traffic": {}, "water": {}}, msg, LAYERS) is None  # held lost "a": resync
