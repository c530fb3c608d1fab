"""Every value key a feed accepts, with its unit and plausible range: the contract of sources and the ingest API.

The keys follow the indicators (indicators/, core/derive.py): what derive reads is what sources write.
README.md "Ingest API" lists the same table; tests check the two agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from indicators.aqi_periods import POLLUTANTS
from indicators.traffic import ROAD_CLASSES

WATERBODIES = ("river", "lake", "reservoir")


@dataclass(frozen=True, slots=True)
class Metric:
    """One value key: unit, kind (number/int/bool/str/enum/list/datetime/coord) and bounds where they make sense."""

    key: str
    unit: str
    kind: str = "number"
    lo: float = -math.inf
    hi: float = math.inf
    choices: tuple[str, ...] = ()
    doc: str = ""


def _conc(key: str, doc: str, unit: str = "µg/m³", hi: float = 50_000.0) -> Metric:
    return Metric(key, unit, "number", 0.0, hi, doc=doc)


AIR = (
    _conc("so2_1h", "SO2 1-hour mean"), _conc("no2_1h", "NO2 1-hour mean"),
    _conc("co_1h", "CO 1-hour mean", "mg/m³", 1_000.0), _conc("o3_1h", "O3 1-hour mean"),
    _conc("pm10_1h", "PM10 1-hour mean"), _conc("pm25_1h", "PM2.5 1-hour mean"),
    _conc("so2_24h", "SO2 24-hour mean"), _conc("no2_24h", "NO2 24-hour mean"),
    _conc("co_24h", "CO 24-hour mean", "mg/m³", 1_000.0), _conc("co_8h", "CO 8-hour mean (US scale)", "mg/m³", 1_000.0),
    _conc("o3_8h", "O3 8-hour moving mean"), _conc("pm10_24h", "PM10 24-hour mean"),
    _conc("pm25_24h", "PM2.5 24-hour mean"),
)  # fmt: skip

WATER = (
    Metric("do", "mg/L", "number", 0.0, 50.0, doc="dissolved oxygen"),
    Metric("codmn", "mg/L", "number", 0.0, 10_000.0, doc="permanganate index (CODMn)"),
    Metric("cod", "mg/L", "number", 0.0, 10_000.0, doc="chemical oxygen demand (CODCr)"),
    Metric("bod5", "mg/L", "number", 0.0, 10_000.0, doc="5-day biochemical oxygen demand"),
    Metric("nh3n", "mg/L", "number", 0.0, 1_000.0, doc="ammonia nitrogen"),
    Metric("tp", "mg/L", "number", 0.0, 1_000.0, doc="total phosphorus"),
    Metric("tn", "mg/L", "number", 0.0, 1_000.0, doc="total nitrogen"),
    Metric("ph", "pH", "number", 0.0, 14.0, doc="pH"),
    Metric("transparency_cm", "cm", "number", 0.0, 10_000.0, doc="transparency (Secchi depth)"),
    Metric("orp_mv", "mV", "number", -2_000.0, 2_000.0, doc="oxidation-reduction potential"),
    Metric("temp_c", "°C", "number", -5.0, 60.0, doc="water temperature"),
    Metric("turbidity_ntu", "NTU", "number", 0.0, 100_000.0, doc="turbidity"),
    Metric("conductivity_us_cm", "µS/cm", "number", 0.0, 1_000_000.0, doc="electrical conductivity"),
)

TRAFFIC = (
    Metric("speed_kmh", "km/h", "number", 0.0, 300.0, doc="current segment speed"),
    Metric("free_flow_kmh", "km/h", "number", 0.0, 300.0, doc="free-flow speed"),
    Metric("travel_time_s", "s", "number", 0.0, 86_400.0, doc="current travel time"),
    Metric("free_flow_travel_time_s", "s", "number", 0.0, 86_400.0, doc="free-flow travel time"),
    Metric("confidence", "0–1", "number", 0.0, 1.0, doc="provider confidence"),
    Metric("closure", "", "bool", doc="road closed"),
    Metric("incident", "", "bool", doc="incident on the segment"),
    Metric("congested", "", "bool", doc="provider flags congestion"),
    Metric("status_amap", "0–3", "int", 0, 3, doc="AMap status: 0 unknown, 1 smooth, 2 slow, 3 congested"),
    Metric("intensity", "vehicles", "number", 0.0, 1_000_000.0, doc="vehicles counted in the observation period"),
    Metric("occupancy", "0–1", "number", 0.0, 1.0, doc="lane occupancy"),
)

SERVICE = (
    Metric("service_request_id", "", "str", doc="must equal entity_id when given"),
    Metric("status", "", "str", doc="open or closed, or a server's own status (core/case_status.py maps it)"),
    Metric("status_raw", "", "str", doc="the server's status when it was not open/closed (set by OneScreen)"),
    Metric("status_notes", "", "str"), Metric("service_name", "", "str"), Metric("service_code", "", "str"),
    Metric("description", "", "str"), Metric("agency_responsible", "", "str"), Metric("service_notice", "", "str"),
    Metric("requested_datetime", "", "datetime"), Metric("updated_datetime", "", "datetime"),
    Metric("expected_datetime", "", "datetime", doc="the SLA due time"),
    Metric("address", "", "str"), Metric("address_id", "", "str"), Metric("zipcode", "", "str"),
    Metric("lat", "°", "coord", -90.0, 90.0), Metric("long", "°", "coord", -180.0, 180.0),
    Metric("media_url", "", "str"), Metric("district_adcode", "", "str"),
)  # fmt: skip

FURNITURE = (Metric("status", "", "enum", choices=("normal", "damaged", "missing")),)

METRICS: dict[str, dict[str, Metric]] = {
    "air": {m.key: m for m in AIR},
    "traffic": {m.key: m for m in TRAFFIC},
    "service": {m.key: m for m in SERVICE},
    "water": {m.key: m for m in WATER},
    "furniture": {m.key: m for m in FURNITURE},
}

# Optional per-reading metadata the ingest API accepts (anything else is rejected, like unknown value keys).
META: dict[str, Metric] = {m.key: m for m in (
    Metric("name", "", "str"), Metric("name_en", "", "str", doc="the English name English pages show (else: Pinyin)"),
    Metric("district_adcode", "", "str"), Metric("category", "", "str"),
    Metric("river", "", "str"), Metric("road_class", "", "enum", choices=ROAD_CLASSES),
    Metric("length_m", "m", "number", 0.0, 1_000_000.0),
    Metric("waterbody", "", "enum", choices=WATERBODIES), Metric("depth_cm", "cm", "number", 0.0, 100_000.0),
    Metric("monitors", "", "list", choices=POLLUTANTS,
           doc="air: the pollutants the station monitors (HJ 633-2026 §5.3: missing versus not monitored)"),
)}  # fmt: skip


def units(feed: str, keys: tuple[str, ...] | None = None) -> dict[str, str]:
    """key -> unit for a feed (or a subset of its keys): what a source declares it provides."""
    table = METRICS[feed]
    return {k: table[k].unit for k in (keys or tuple(table))}
