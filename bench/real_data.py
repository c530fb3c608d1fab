"""Match rates on real data nobody here wrote (tests/fixtures/real/): `python -m bench.real_data`.

- China's published real-time station AQI (CNEMC, 2017-2022) through the pipeline, beside the HJ 633-2012 text's
  24-h-PM rule that the pipeline used before (the baseline);
- the FIWARE Smart Data Models' own examples accepted (beside how many the old pipeline would have rejected: every
  WaterQualityObserved one, for want of black-odorous items);
- real Open311 requests kept, whatever their status, and the statuses seen.
Counts, not timings: the same on every machine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from data_sources.pipeline import Rules, plausibility, process
from data_sources.providers import ngsi_ld
from data_sources.providers.open311 import Open311
from tests.fixtures import real_data


def _rate(n: int, total: int) -> str:
    return f"{n}/{total} ({100.0 * n / total:.1f} %)" if total else "0/0"


def cnemc() -> Iterator[str]:
    """Published AQI, level and primary pollutants reproduced, under the published rule and the 2012 text's."""
    rows = [row for row in real_data.cnemc_rows() if row["aqi"].strip()]
    readings = [real_data.cnemc_reading(row, f"{row['station']}@{row['date']}T{row['hour']}") for row in rows]
    table = plausibility({})
    results = {}
    for rule in ("published", "text-2012"):
        items = process(readings, Rules(aqi_rule=rule, plausible=table)).items
        aqi = sum(d["aqi"] == int(row["aqi"]) for row, (_, d) in zip(rows, items, strict=True))
        lv = [(row, d) for row, (_, d) in zip(rows, items, strict=True) if row["level"]]
        pp = [(row, d) for row, (_, d) in zip(rows, items, strict=True) if real_data.cnemc_primary(row) is not None]
        results[rule] = (aqi, sum(d["category_zh"] == row["level"] for row, d in lv), len(lv),
                         sum(sorted(d["primary"]) == real_data.cnemc_primary(row) for row, d in pp), len(pp))
    now, old = results["published"], results["text-2012"]
    years = sorted({row["date"][:4] for row in rows})
    yield (f"CNEMC published real-time AQI through the pipeline ({len(rows)} station-hours, {', '.join(years)}): "
           f"AQI {_rate(now[0], len(rows))}, level {_rate(now[1], now[2])}, primary {_rate(now[3], now[4])}; "
           f"baseline, the 2012 text's 24-h PM rule: AQI {_rate(old[0], len(rows))} "
           f"(ratio {now[0] / max(old[0], 1):.2f}x)")


def fiware() -> Iterator[str]:
    """Smart Data Models examples accepted (every representation), and the values dropped as implausible."""
    rules = Rules(plausible=plausibility({}))
    entities = list(real_data.fiware_entities())
    ok, dropped = 0, Counter()
    for _, entity in entities:
        try:
            batch = process([ngsi_ld.to_reading(entity)], rules)
        except ngsi_ld.NgsiError:
            continue
        ok += len(batch.items)
        dropped.update(r.reason.split(":")[0] for r in batch.rejected if r.kind == "value")
    water = sum(1 for _, e in entities if "WaterQuality" in str(e.get("type")) + str(e.get("properties") or {}))
    yield (f"FIWARE Smart Data Models examples accepted: {_rate(ok, len(entities))}; values dropped as implausible: "
           f"{dict(dropped) or 'none'}; baseline, the old pipeline: {len(entities) - water}/{len(entities)} "
           f"(every WaterQualityObserved example rejected)")


def open311() -> Iterator[str]:
    """Real GeoReport v2 requests kept, and the statuses they arrived with."""
    src = Open311(base_url="http://x")
    rows = list(real_data.open311_requests())
    kept, statuses, plain = 0, Counter(), 0
    for _, row in rows:
        try:
            rd = src.to_reading(row)
        except ValueError:
            continue
        kept += bool(process([rd], Rules()).items)
        statuses[str(row.get("status"))] += 1
        plain += str(row.get("status", "")).strip().lower() in ("open", "closed")
    yield (f"Open311 real requests kept: {_rate(kept, len(rows))} (statuses {dict(statuses)}); baseline, open/closed "
           f"only: {_rate(plain, len(rows))}")


def run() -> Iterator[str]:
    """Every match rate."""
    yield from cnemc()
    yield from fiware()
    yield from open311()


if __name__ == "__main__":
    for line in run():
        print(line)
