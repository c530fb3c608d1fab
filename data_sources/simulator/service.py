"""Simulated 12345 city-management cases (Open311 GeoReport v2 shape): Poisson arrivals, SLAs, closure, backlog."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from config.tuning import Tuning
from core.readings import Reading
from data_sources.simulator.geo import District, random_point

CST = timezone(timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991: a fixed offset is exact
HOUR_MS = 3_600_000.0
DAILY_CASES = 400.0  # per simulated day; with the SLAs below the open backlog settles at ~350–500
ON_TIME_SHARE = 0.88
BACKLOG_DAYS = 7.0  # simulated history generated at the first poll
CLOSED_LOOKBACK_H = 24.0  # closed cases of the last simulated day are emitted at the first poll
# Relative call volume by local hour (0–23), interpolated linearly.
HOURLY = (0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.7, 1.2, 1.6, 1.7, 1.5, 1.1, 1.2, 1.5, 1.6, 1.5, 1.3, 1.0, 1.0,
          1.0, 0.9, 0.7, 0.45)  # fmt: skip
HOURLY_MEAN = sum(HOURLY) / 24

CG = "{d}城市管理和综合执法局"


@dataclass(frozen=True, slots=True)
class Category:
    """One city-management case type with its SLA, owning agency and description templates."""

    code: str
    name: str
    sla_h: float
    weight: float
    agency: str
    templates: tuple[str, ...]
    busy_hours: tuple[int, ...] = ()  # local hours when reports of this type double


CATEGORIES: tuple[Category, ...] = (
    Category("manhole", "井盖破损", 4, 5, "{d}住房和建设局",
             ("{r}人行道井盖破损，存在安全隐患。", "{r}{n}号附近机动车道井盖松动缺失。")),
    Category("waterlogging", "道路积水", 4, 3, "{d}水务局",
             ("{r}{n}号附近路面积水严重，影响通行。", "{r}下穿通道积水。")),
    Category("illegal_parking", "违章停车", 8, 15, "广州市公安局交通警察支队{d}大队",
             ("{r}{n}号附近车辆乱停放，堵塞消防通道。", "{r}人行道上机动车违停。")),
    Category("garbage", "垃圾堆积", 24, 14, CG,
             ("{r}{n}号附近生活垃圾堆积未及时清运，有异味。", "{r}路边建筑垃圾乱堆放。")),
    Category("noise", "噪音扰民", 24, 10, "广州市生态环境局{d}分局",
             ("{r}{n}号附近夜间施工噪音扰民。", "{r}商铺高音喇叭噪音扰民。"), (20, 21, 22, 23, 0, 1)),
    Category("bike_parking", "共享单车乱停放", 24, 8, CG, ("{r}{n}号附近共享单车乱停放，占用盲道。",)),
    Category("dust", "施工扬尘", 24, 3, CG, ("{r}工地施工扬尘，未采取覆盖措施。",)),
    Category("streetlight", "路灯故障", 48, 7, CG,
             ("{r}{n}号附近路灯不亮。", "{r}路段多盏路灯故障。"), (18, 19, 20, 21, 22, 23)),
    Category("street_vending", "占道经营", 48, 14, CG,
             ("{r}{n}号附近流动商贩占道经营，影响通行。", "{r}商铺出店经营，占用人行道。"), (17, 18, 19, 20, 21)),
    Category("signboard", "广告招牌", 72, 4, CG,
             ("{r}{n}号附近广告招牌破损，有坠落风险。", "{r}违规设置户外广告。")),
    Category("greenery", "绿化损坏", 72, 4, "{d}林业和园林局",
             ("{r}绿化带树木倒伏。", "{r}{n}号附近绿地被占用、绿化损坏。")),
    Category("road_damage", "道路破损", 72, 5, "{d}住房和建设局",
             ("{r}{n}号附近路面坑洼破损。", "{r}人行道砖松动破损。")),
    Category("cooking_fumes", "油烟污染", 72, 3, CG, ("{r}{n}号附近餐饮店油烟扰民。",)),
    Category("illegal_building", "违章搭建", 168, 3, CG, ("{r}{n}号楼顶违章搭建。",)),
)  # fmt: skip


@dataclass(slots=True, order=True)
class Case:
    """A case skeleton; location and text are drawn from a per-case stream only when it is emitted."""

    close_sim: float
    seq: int
    sid: str = field(compare=False)
    cat: Category = field(compare=False)
    district: District = field(compare=False)
    req_sim: float = field(compare=False)
    details: dict[str, Any] | None = field(default=None, compare=False)


def iso(ms: int) -> str:
    """ISO 8601 with an explicit +00:00 offset, as Open311 asks (whole seconds, truncated)."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).isoformat()


def local_hour(sim_ms: float) -> float:
    """Hour of day (0–24) in Asia/Shanghai for a simulated instant."""
    return (sim_ms / HOUR_MS + 8.0) % 24.0


def call_shape(hour: float) -> float:
    """Relative arrival rate at a local hour (mean 1 over the day)."""
    i = int(hour) % 24
    f = hour - int(hour)
    return (HOURLY[i] * (1 - f) + HOURLY[(i + 1) % 24] * f) / HOURLY_MEAN


class ServiceDesk:
    """Generates cases in simulated time; `to_real` maps a simulated instant to real epoch ms."""

    def __init__(self, districts: list[District], seed: int, to_real: Callable[[float], int],
                 tune: Tuning | None = None, city_name: str = "") -> None:
        self._seed = seed
        self._rng = random.Random(f"onescreen-sim:{seed}:service")
        self._districts = districts
        self._tune = tune = tune or Tuning()
        self._city_name = city_name
        self._dweights = [tune.population.get(d.adcode, 1.0) for d in districts]  # where the cases arise
        self._to_real = to_real
        self._open: list[Case] = []  # heap by close time
        self._next_sim: float | None = None
        self._lmax = DAILY_CASES / 24.0 * max(HOURLY) / HOURLY_MEAN / HOUR_MS  # cases per simulated ms
        self._seq = 0
        self._day = ""
        self._day_count = 0

    @property
    def open_count(self) -> int:
        """Cases currently open (kept in memory until they close)."""
        return len(self._open)

    def poll(self, prev_sim: float | None, now_sim: float) -> list[Reading]:
        """Cases created or closed in (prev_sim, now_sim]; the first poll (or one after a long gap) emits a backlog."""
        history = BACKLOG_DAYS * 24 * HOUR_MS
        fresh = prev_sim is None or now_sim - prev_sim > history
        if fresh:  # regenerate only the recent history: bounded work and output however long the gap
            self._next_sim = now_sim - history + self._rng.expovariate(self._lmax)
        new = self._arrivals(now_sim)
        new_seqs = {c.seq for c in new}
        out: list[Reading] = []
        horizon = now_sim - CLOSED_LOOKBACK_H * HOUR_MS if fresh else -math.inf
        while self._open and self._open[0].close_sim <= now_sim:
            case = heapq.heappop(self._open)
            new_seqs.discard(case.seq)
            if case.details is not None or case.close_sim >= horizon:  # details set = it was emitted open before
                out.append(self._reading(case, closed=True))
        still_open = self._open if prev_sim is None else [c for c in new if c.seq in new_seqs]
        out.extend(self._reading(c, closed=False) for c in still_open)
        out.sort(key=lambda r: (r.ts, r.entity_id))
        return out

    def _arrivals(self, until_sim: float) -> list[Case]:
        """Thinned Poisson arrivals up to until_sim; the pending candidate carries over, so polling cadence is free."""
        assert self._next_sim is not None
        rng, new = self._rng, []
        while self._next_sim <= until_sim:
            t = self._next_sim
            self._next_sim = t + rng.expovariate(self._lmax)
            weekday = datetime.fromtimestamp(t / 1000, tz=CST).weekday()
            rate = call_shape(local_hour(t)) * (0.8 if weekday >= 5 else 1.0) * HOURLY_MEAN / max(HOURLY)
            if rng.random() >= rate:
                continue
            new.append(self._new_case(t))
        return new

    def _new_case(self, t: float) -> Case:
        """Draw category, district and resolution time; ~88 % close within SLA."""
        rng = self._rng
        hour = int(local_hour(t))
        cat = rng.choices(CATEGORIES, weights=[c.weight * (2 if hour in c.busy_hours else 1) for c in CATEGORIES])[0]
        district = rng.choices(self._districts, weights=self._dweights)[0]
        on_time = rng.random() < ON_TIME_SHARE
        frac = rng.triangular(0.08, 0.98, 0.45) if on_time else rng.uniform(1.05, 2.5)
        self._seq += 1
        day = datetime.fromtimestamp(self._to_real(t) / 1000, tz=CST).strftime("%Y%m%d")
        if day != self._day:
            self._day, self._day_count = day, 0
        self._day_count += 1
        case = Case(t + frac * cat.sla_h * HOUR_MS, self._seq, f"GZ{day}-{self._day_count:06d}", cat, district, t)
        heapq.heappush(self._open, case)
        return case

    def _details(self, case: Case) -> dict[str, Any]:
        """Location, address and description from the case's own stream (only drawn for emitted cases)."""
        if case.details is None:
            rng = random.Random(f"onescreen-sim:{self._seed}:case:{case.seq}")
            d = case.district
            lon, lat = random_point(d, rng, near_label=0.7, sigma=0.04)
            roads = [r for r, cls in self._tune.roads_of(d.adcode) if cls != "expressway"] or ["主干道"]
            road, num = rng.choice(roads), rng.randint(1, 399)
            case.details = {
                "description": rng.choice(case.cat.templates).format(r=road, n=num),
                "address": f"{self._city_name}{d.name}{road}{num}号附近",
                "lat": round(lat, 6),
                "long": round(lon, 6),
            }
        return case.details

    def _reading(self, case: Case, *, closed: bool) -> Reading:
        """The Open311 record of a case, timestamped with its last change in real time."""
        cat, d = case.cat, case.district
        req = self._to_real(case.req_sim)
        upd = self._to_real(case.close_sim) if closed else req
        values = {
            "status": "closed" if closed else "open",
            "service_code": cat.code,
            "service_name": cat.name,
            **self._details(case),
            "agency_responsible": cat.agency.format(d=d.name),
            "requested_datetime": iso(req),
            "updated_datetime": iso(upd),
            "expected_datetime": iso(self._to_real(case.req_sim + cat.sla_h * HOUR_MS)),
            "district_adcode": d.adcode,
        }
        return Reading("service", case.sid, upd, values, {"district_adcode": d.adcode, "simulated": True})
