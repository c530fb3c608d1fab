"""The simulator's models of the city: air quality per station, traffic per segment, water per section, each a
seeded stochastic process in simulated hours (diurnal cycles, weather episodes, incidents, pollution events)."""

from __future__ import annotations

import math
import random
from collections import deque
from typing import Any

from data_sources.simulator.geo import Section, Segment

# Traffic exposure of each national station (roadside/urban core > suburban > forest); drives NO2/CO up, O3 down.
STATION_TRAFFIC = {"2846A": 1.25, "1352A": 1.15, "1345A": 1.1, "1347A": 1.1, "1346A": 1.05, "1348A": 1.0,
                   "1349A": 1.05, "1350A": 0.95, "1351A": 0.95, "1354A": 0.85, "1353A": 0.6, "1355A": 0.5}  # fmt: skip
POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")
PEAK_DEPTH = {"expressway": 0.62, "arterial": 0.58, "secondary": 0.48, "local": 0.38}  # central-district share lost
INCIDENTS_PER_DAY = {"expressway": 0.5, "arterial": 0.4, "secondary": 0.2, "local": 0.1}
# Water baselines by kind: (do, codmn, nh3n, tp, transparency_cm, orp_mv, ph) ranges; DO swing; events per day.
WATER_KINDS: dict[str, dict[str, Any]] = {
    "clean": {"base": ((7.0, 7.8), (2.2, 3.5), (0.2, 0.45), (0.05, 0.1), (80, 120), (250, 320), (7.2, 7.7)),
              "swing": 0.4, "events": 0.04, "hit": 0.5},
    "river": {"base": ((5.2, 6.6), (3.5, 5.5), (0.45, 1.2), (0.1, 0.25), (40, 80), (150, 250), (7.0, 7.6)),
              "swing": 0.6, "events": 0.08, "hit": 0.55},
    "stream": {"base": ((2.8, 4.2), (6.5, 10.0), (1.1, 1.85), (0.2, 0.35), (25, 40), (40, 140), (6.9, 7.3)),
               "swing": 1.0, "events": 0.25, "hit": 0.8},
}  # fmt: skip


def bell(hour: float, centre: float, width: float) -> float:
    """A Gaussian bump on the 24-hour clock (wraps at midnight)."""
    d = (hour - centre + 12.0) % 24.0 - 12.0
    return math.exp(-0.5 * (d / width) ** 2)


class Ar:
    """Mean-reverting noise in units of sigma (Ornstein–Uhlenbeck), stable for any poll interval."""

    __slots__ = ("tau_h", "x")

    def __init__(self, rng: random.Random, tau_h: float) -> None:
        self.tau_h, self.x = tau_h, rng.gauss(0.0, 1.0)

    def step(self, rng: random.Random, dt_h: float) -> float:
        """Advance by dt_h simulated hours; clamped to ±3 sigma so tails stay plausible."""
        a = math.exp(-dt_h / self.tau_h)
        self.x = max(-3.0, min(3.0, a * self.x + math.sqrt(1.0 - a * a) * rng.gauss(0.0, 1.0)))
        return self.x


def soft_cap(x: float, knee: float, cap: float) -> float:
    """Compress values above knee smoothly towards cap, so stacked random factors cannot reach absurd levels."""
    return x if x <= knee else knee + (cap - knee) * math.tanh((x - knee) / (cap - knee))


def lognorm(x: float, sigma: float) -> float:
    """A mean-one multiplicative factor from a standard-normal state."""
    return math.exp(sigma * x - 0.5 * sigma * sigma)


class Episode:
    """A Poisson-started event with a smooth sin envelope (pollution episodes, water events)."""

    __slots__ = ("dur_h", "end", "peak", "peak_range", "rate_per_day", "start")

    def __init__(self, rate_per_day: float, dur_h: tuple[float, float], peak: tuple[float, float]) -> None:
        self.rate_per_day, self.dur_h, self.peak_range = rate_per_day, dur_h, peak
        self.start = self.end = self.peak = 0.0

    def step(self, rng: random.Random, t_h: float, dt_h: float) -> float:
        """Maybe start an episode in the last dt_h hours; return its level (0 when none) at t_h."""
        if t_h >= self.end and rng.random() < 1.0 - math.exp(-self.rate_per_day * dt_h / 24.0):
            self.start = t_h - rng.random() * dt_h
            self.end = self.start + rng.uniform(*self.dur_h)
            self.peak = rng.uniform(*self.peak_range)
        if not self.start <= t_h < self.end:
            return 0.0
        return self.peak * math.sin(math.pi * (t_h - self.start) / (self.end - self.start))


class AirModel:
    """Hourly-mean-like concentrations: diurnal shapes x city-wide weather x station noise x episodes."""

    def __init__(self, stations: list[dict[str, Any]], seed: int) -> None:
        self.rng = rng = random.Random(f"onescreen-sim:{seed}:air")
        self.stations = stations
        self.static = {s["code"]: (STATION_TRAFFIC.get(s["code"], 1.0), rng.uniform(0.8, 1.3), rng.uniform(1.45, 1.75))
                       for s in stations}  # fmt: skip
        self.stag, self.photo = Ar(rng, 20.0), Ar(rng, 30.0)  # city-wide stagnation and photochemistry
        self.noise = {s["code"]: [Ar(rng, 3.0) for _ in POLLUTANTS] for s in stations}
        self.pm_ep, self.o3_ep = Episode(0.1, (24, 72), (1.0, 2.6)), Episode(0.12, (24, 72), (0.5, 1.1))
        self.hist: dict[str, deque[list[float]]] = {s["code"]: deque(maxlen=25) for s in stations}

    def step(self, t_h: float, dt_h: float, hour: float, doy: int) -> dict[str, dict[str, float]]:
        """Values for every station at simulated hour t_h, updating the rolling-mean history."""
        rng = self.rng
        stag = lognorm(self.stag.step(rng, dt_h), 0.32)
        photo = lognorm(self.photo.step(rng, dt_h), 0.22)
        pm_ep, o3_ep = self.pm_ep.step(rng, t_h, dt_h), self.o3_ep.step(rng, t_h, dt_h)
        season_pm = 1.0 + 0.25 * math.cos(2 * math.pi * (doy - 15) / 365)
        season_o3 = 1.0 + 0.2 * math.cos(2 * math.pi * (doy - 280) / 365)
        d_no2 = 0.75 + 0.5 * bell(hour, 8.5, 1.2) + 0.55 * bell(hour, 20.0, 2.5) - 0.25 * bell(hour, 14.0, 2.5)
        d_pm = 0.9 + 0.12 * bell(hour, 9.0, 2.0) + 0.15 * bell(hour, 22.0, 3.0) - 0.1 * bell(hour, 15.0, 2.5)
        out: dict[str, dict[str, float]] = {}
        key = math.floor(t_h)
        for s in self.stations:
            code = s["code"]
            tf, so2f, ratio = self.static[code]
            n = [lognorm(a.step(rng, dt_h), 0.12) for a in self.noise[code]]
            pm25 = soft_cap(30.0 * season_pm * (0.8 + 0.25 * tf) * d_pm * stag * (1.0 + pm_ep) * n[5], 130.0, 230.0)
            day_o3 = 95.0 * season_o3 * photo * (1.0 + o3_ep) * (1.15 - 0.2 * tf) * bell(hour, 15.0, 3.2)
            v = {
                "so2_1h": 8.0 * so2f * (0.9 + 0.25 * bell(hour, 11.0, 3.0)) * stag**0.4 * n[0],
                "no2_1h": soft_cap(36.0 * tf * d_no2 * stag**0.6 * (1.0 + 0.3 * pm_ep) * n[1], 120.0, 220.0),
                "co_1h": 0.72 * (0.8 + 0.25 * tf) * (0.7 + 0.3 * d_no2) * stag**0.5 * (1.0 + 0.2 * pm_ep) * n[2],
                "o3_1h": soft_cap((max(8.0, 12.0 + 30.0 * (1.25 - tf)) + day_o3) * n[3], 220.0, 320.0),
                "pm10_1h": soft_cap(pm25 * ratio * n[4], 220.0, 380.0),
                "pm25_1h": pm25,
            }
            hist = self.hist[code]
            if not hist or hist[-1][0] != key:
                hist.append([key, 0.0, 0.0, 0.0, 0])
            b = hist[-1]
            b[1] += v["o3_1h"]
            b[2] += v["pm25_1h"]
            b[3] += v["pm10_1h"]
            b[4] += 1
            v["o3_8h"] = _window_mean(hist, key, 8, 1)
            v["pm25_24h"] = _window_mean(hist, key, 24, 2)
            v["pm10_24h"] = _window_mean(hist, key, 24, 3)
            out[code] = {k: round(x, 2) if k == "co_1h" else round(x, 1) for k, x in v.items()}
        return out


def _window_mean(hist: deque[list[float]], key: int, hours: int, col: int) -> float:
    """Mean of the hourly means in the last `hours` simulated hours (the current partial hour included)."""
    means = [b[col] / b[4] for b in hist if b[0] > key - hours]
    return sum(means) / len(means)


class TrafficModel:
    """Speeds with morning and evening peaks (deeper in the central districts) and random incidents."""

    def __init__(self, segments: list[Segment], seed: int, central: frozenset[str] = frozenset()) -> None:
        self.rng = rng = random.Random(f"onescreen-sim:{seed}:traffic")
        self.segments = segments
        self.depth = [PEAK_DEPTH[s.road_class] * (1.0 if s.district_adcode in central else 0.55)
                      * rng.uniform(0.8, 1.15) for s in segments]  # fmt: skip
        self.noise = [Ar(rng, 0.25) for _ in segments]
        self.incident = [(0.0, 1.0) for _ in segments]  # (until simulated hour, speed ratio)

    def step(self, t_h: float, dt_h: float, hour: float, weekend: bool) -> list[tuple[float, bool]]:
        """(speed_kmh, incident) per segment."""
        rng = self.rng
        peak = max(bell(hour, 8.5, 0.7), bell(hour, 18.6, 0.8))
        mid = bell(hour, 13.5, 3.0)
        demand = min(1.0, (0.45 * peak + 0.45 * mid if weekend else peak + 0.35 * mid) + 0.03)
        out = []
        for i, seg in enumerate(self.segments):
            x = self.noise[i].step(rng, dt_h)
            until, ratio = self.incident[i]
            if t_h >= until and rng.random() < 1.0 - math.exp(-INCIDENTS_PER_DAY[seg.road_class] * dt_h / 24.0):
                start = t_h - rng.random() * dt_h
                until, ratio = start + rng.uniform(0.25, 1.5), rng.uniform(0.08, 0.22)
                self.incident[i] = (until, ratio)
            active = t_h < until
            flow = max(0.15, min(1.05, 1.0 - self.depth[i] * demand + 0.05 * x))
            r = min(0.25, ratio * (1.0 + 0.05 * x)) if active else flow
            out.append((round(seg.free_flow_kmh * r, 1), active))
        return out


class WaterModel:
    """Section chemistry around a class baseline with a diurnal DO swing and occasional pollution events."""

    def __init__(self, sections: list[Section], seed: int) -> None:
        self.rng = rng = random.Random(f"onescreen-sim:{seed}:water")
        self.sections = sections
        self.kind = [s.kind for s in sections]
        self.base = [[rng.uniform(*r) for r in WATER_KINDS[k]["base"]] for k in self.kind]
        self.noise = [[Ar(rng, 6.0) for _ in range(7)] for _ in sections]
        self.events = [Episode(WATER_KINDS[k]["events"], (6, 36), (WATER_KINDS[k]["hit"] * 0.6, WATER_KINDS[k]["hit"]))
                       for k in self.kind]  # fmt: skip

    def step(self, t_h: float, dt_h: float, hour: float, doy: int) -> list[dict[str, float]]:
        """do codmn nh3n tp ph transparency_cm orp_mv temp_c per section."""
        rng = self.rng
        temp = 24.0 - 6.5 * math.cos(2 * math.pi * (doy - 20) / 365) + 0.6 * math.cos(2 * math.pi * (hour - 16) / 24)
        out = []
        for i, kind in enumerate(self.kind):
            do0, cod0, nh0, tp0, tr0, orp0, ph0 = self.base[i]
            x = [a.step(rng, dt_h) for a in self.noise[i]]
            ev = self.events[i].step(rng, t_h, dt_h)
            s = kind == "stream"
            swing = WATER_KINDS[kind]["swing"] * math.cos(2 * math.pi * (hour - 15) / 24)
            do = (do0 * (1 - 0.015 * (temp - 24)) + swing + 0.35 * x[0]) * (1 - (0.85 if s else 0.5) * ev)
            out.append({
                "do": round(max(0.05, do), 2),
                "codmn": round(max(0.5, cod0 * lognorm(x[1], 0.12) + ev * (10 if s else 4)), 2),
                "nh3n": round(max(0.02, nh0 * lognorm(x[2], 0.12) + ev * (8 if s else 2)), 3),
                "tp": round(max(0.005, tp0 * lognorm(x[3], 0.12) + ev * (0.5 if s else 0.15)), 3),
                "ph": round(max(6.0, min(9.5, ph0 + 0.08 * x[6] + 0.1 * swing / 1.0 - 0.35 * ev)), 2),
                "transparency_cm": round(max(3.0, tr0 * lognorm(x[4], 0.12) * (1 - 0.65 * ev)), 1),
                "orp_mv": round(orp0 + 25 * x[5] - ev * (320 if s else 150), 1),
                "temp_c": round(temp + 0.2 * x[0], 1),
            })  # fmt: skip
        return out
