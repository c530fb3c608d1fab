"""Surface-water class (GB 3838-2002 Table 1) and black-odorous grade (2015 guideline), standards.md §3."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators import water

NAMES = ("I", "II", "III", "IV", "V")
# GB 3838-2002 Table 1 / standards.md §3, typed again here: limits for classes I..V.
AT_MOST = {
    "codmn": (2, 4, 6, 10, 15),
    "cod": (15, 15, 20, 30, 40),
    "bod5": (3, 3, 4, 6, 10),
    "nh3n": (0.15, 0.5, 1.0, 1.5, 2.0),
}
TP = {"river": (0.02, 0.1, 0.2, 0.3, 0.4), "lake": (0.01, 0.025, 0.05, 0.1, 0.2)}
TN_LAKE = (0.2, 0.5, 1.0, 1.5, 2.0)
DO = (7.5, 6, 5, 3, 2)


def best_class_at(limits: tuple[float, ...], i: int) -> str:
    """A limit value belongs to the class; a limit shared with a better class gives the better class (§3)."""
    return NAMES[limits.index(limits[i])]


CASES = [
    (body, key, limits, i)
    for body in ("river", "lake")
    for key, limits in {**AT_MOST, "tp": TP[body], **({"tn": TN_LAKE} if body == "lake" else {})}.items()
    for i in range(5)
]


@pytest.mark.parametrize(("body", "key", "limits", "i"), CASES)
def test_at_most_limits_belong_to_their_class(body: str, key: str, limits: tuple[float, ...], i: int) -> None:
    # GB 3838-2002 Table 1 / standards.md §3: "A limit value belongs to the class ... shared limit: the better".
    at = water.classify({key: limits[i]}, waterbody=body)
    assert at.klass == best_class_at(limits, i) and at.per_item == {key: at.klass}
    value = limits[i] * 1.001
    above = water.classify({key: value}, waterbody=body)
    assert above.klass == next((NAMES[j] for j in range(5) if value <= limits[j]), "劣V")
    assert above.klass != at.klass


@pytest.mark.parametrize("i", range(5))
def test_do_is_at_least(i: int) -> None:
    # standards.md §3: DO "≥" 7.5 / 6 / 5 / 3 / 2.
    assert water.classify({"do": DO[i]}).klass == NAMES[i]
    assert water.classify({"do": DO[i] - 0.01}).klass == (NAMES[i + 1] if i < 4 else "劣V")


def test_shared_limits_give_the_better_class() -> None:
    # standards.md §3: COD I and II share 15; BOD5 I and II share 3.
    assert water.classify({"cod": 15}).klass == "I"
    assert water.classify({"cod": 15.01}).klass == "III"
    assert water.classify({"bod5": 3}).klass == "I"
    assert water.classify({"bod5": 3.5}).klass == "III"


def test_ph_range_and_tn_only_for_lakes() -> None:
    # standards.md §3: pH 6-9 for every class; rivers classed without TN.
    assert water.classify({"ph": 6}).klass == "I" and water.classify({"ph": 9}).klass == "I"
    assert water.classify({"ph": 5.99}).klass == "劣V" and water.classify({"ph": 9.01}).klass == "劣V"
    river = water.classify({"nh3n": 0.1, "tn": 5.0}, waterbody="river")
    assert river.klass == "I" and "tn" not in river.per_item
    lake = water.classify({"nh3n": 0.1, "tn": 5.0}, waterbody="lake")
    assert lake.klass == "劣V" and lake.worst == ["tn"]
    assert water.classify({"tp": 0.1}, waterbody="river").klass == "II"
    assert water.classify({"tp": 0.1}, waterbody="lake").klass == "IV"
    assert water.classify({"tp": 0.1}, waterbody="reservoir").klass == "IV"


def test_single_factor_worst_class_labels_and_colours() -> None:
    # standards.md §3: a section's class is the worst of its items; labels Ⅲ 良好, Ⅳ 轻度污染 ...
    result = water.classify({"do": 8, "codmn": 7, "nh3n": 1.2, "tp": 0.05, "ph": 7.2})
    assert result.klass == "IV"
    assert result.per_item == {"do": "I", "codmn": "IV", "nh3n": "IV", "tp": "II", "ph": "I"}
    assert result.worst == ["codmn", "nh3n"]
    assert (result.label_zh, result.label_en) == ("轻度污染", "Lightly polluted")
    assert result.color == next(c["color"] for c in water.CLASSES if c["klass"] == "IV")
    assert json.loads(json.dumps(result.to_dict(), ensure_ascii=False))["klass"] == "IV"


@pytest.mark.parametrize(
    ("klass", "zh"),
    [("I", "优"), ("II", "优"), ("III", "良好"), ("IV", "轻度污染"), ("V", "中度污染"), ("劣V", "重度污染")],
)
def test_class_labels(klass: str, zh: str) -> None:
    # standards.md §3 labels; colours are one documented [UNVERIFIED] scale, one per class, all distinct.
    row = next(c for c in water.CLASSES if c["klass"] == klass)
    assert row["zh"] == zh and row["color"].startswith("#") and len(row["color"]) == 7
    assert len({c["color"] for c in water.CLASSES}) == 6


def test_float_noise_does_not_move_a_class() -> None:
    assert water.classify({"nh3n": 0.15}).klass == "I"
    assert water.classify({"nh3n": 0.1 + 0.05}).klass == "II"  # 0.15000000000000002 really is above 0.15


def test_missing_and_invalid_items() -> None:
    result = water.classify({"do": None, "nh3n": float("nan"), "cod": -1, "tp": 0.15})
    assert result.klass == "III" and result.missing == ["do", "nh3n", "cod"]
    empty = water.classify({})
    assert (empty.klass, empty.label_zh, empty.color, empty.worst) == (None, None, None, [])
    with pytest.raises(ValueError, match="unknown water-quality key"):
        water.classify({"temp": 20})
    with pytest.raises(ValueError, match="unknown waterbody"):
        water.classify({"do": 8}, waterbody="sea")


@given(key=st.sampled_from(["codmn", "cod", "bod5", "nh3n", "tp", "tn"]), body=st.sampled_from(["river", "lake"]),
       a=st.floats(0, 100), b=st.floats(0, 100))
def test_class_never_improves_as_pollutant_rises(key: str, body: str, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    order = [c["klass"] for c in water.CLASSES]
    r_lo, r_hi = water.classify({key: lo}, waterbody=body), water.classify({key: hi}, waterbody=body)
    if r_lo.klass is not None:
        assert order.index(r_lo.klass) <= order.index(r_hi.klass)  # type: ignore[arg-type]


@given(a=st.floats(0, 20), b=st.floats(0, 20))
def test_class_never_worsens_as_do_rises(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    order = [c["klass"] for c in water.CLASSES]
    assert order.index(water.classify({"do": hi}).klass) <= order.index(water.classify({"do": lo}).klass)


# --- black-odorous water, 2015 guideline (standards.md §3) --------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ({"transparency_cm": 30}, "none"),
        ({"transparency_cm": 25}, "light"),  # 10-25 cm light (closed range, as printed)
        ({"transparency_cm": 10}, "light"),
        ({"transparency_cm": 9.9}, "heavy"),  # < 10 heavy
        ({"do": 2.01}, "none"),
        ({"do": 2.0}, "light"),
        ({"do": 0.2}, "light"),
        ({"do": 0.19}, "heavy"),
        ({"orp_mv": 51}, "none"),
        ({"orp_mv": 50}, "light"),
        ({"orp_mv": -200}, "light"),
        ({"orp_mv": -201}, "heavy"),
        ({"nh3n": 7.9}, "none"),
        ({"nh3n": 8.0}, "light"),
        ({"nh3n": 15}, "light"),
        ({"nh3n": 15.1}, "heavy"),
        ({"transparency_cm": 40, "do": 5, "orp_mv": 100, "nh3n": 16}, "heavy"),  # the worst indicator decides
        ({"transparency_cm": 40, "do": 1.5, "orp_mv": 100, "nh3n": None}, "light"),
    ],
)
def test_black_odorous_thresholds(sample: dict[str, float], expected: str) -> None:
    # 城市黑臭水体整治工作指南 (2015) table / standards.md §3.
    assert water.black_odorous(sample) == expected


@pytest.mark.parametrize(
    ("depth", "transparency", "expected"),
    [  # standards.md §3: depth < 25 cm -> transparency threshold 40 % of depth (20 cm -> 8 cm)
        (20, 7.9, "heavy"),
        (20, 8, "light"),
        (20, 19.9, "light"),
        (20, 20, "none"),  # seen to the bottom
        (15, 5.9, "heavy"),
        (15, 6, "light"),  # 0.4 * 15 = 6 exactly (no float noise)
        (25, 9.9, "heavy"),  # at 25 cm the ordinary bounds apply
        (25, 25, "light"),
        (100, 9.9, "heavy"),
    ],
)
def test_black_odorous_shallow_water(depth: float, transparency: float, expected: str) -> None:
    assert water.black_odorous({"transparency_cm": transparency}, depth_cm=depth) == expected


def test_black_odorous_errors() -> None:
    with pytest.raises(ValueError):
        water.black_odorous({})
    with pytest.raises(ValueError):
        water.black_odorous({"do": None})
    with pytest.raises(ValueError):
        water.black_odorous({"do": 1}, depth_cm=0)
    with pytest.raises(ValueError):
        water.black_odorous({"ph": 7})


def test_black_odorous_series_rule() -> None:
    # standards.md §3: heavy if one indicator is heavy in >= 60 % of samples, or two indicators in >= 30 %.
    heavy_do = [{"do": 0.1}] * 3 + [{"do": 1.0}] * 2  # 60 %
    assert water.black_odorous_series(heavy_do) == "heavy"
    light_do = [{"do": 0.1}] * 2 + [{"do": 1.0}] * 3  # 40 % heavy, one indicator
    assert water.black_odorous_series(light_do) == "light"
    two = [{"do": 0.1, "nh3n": 16}] * 3 + [{"do": 1.0, "nh3n": 9}] * 7  # 30 % each, two indicators
    assert water.black_odorous_series(two) == "heavy"
    assert water.black_odorous_series([{"do": 5.0}] * 4) == "none"
    assert [lv["level"] for lv in water.BLACK_ODOROUS_LEVELS] == ["none", "light", "heavy"]
