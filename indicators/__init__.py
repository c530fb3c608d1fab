"""Pure, standards-exact indicator maths (AQI, water class, congestion, units): no I/O, so ingest and tests share it.

See ../shared/reference/standards.md for the normative tables each module follows.
"""

from indicators import aqi_cn, aqi_us, traffic, units, water
from indicators.results import AqiResult

__all__ = ["AqiResult", "aqi_cn", "aqi_us", "traffic", "units", "water"]
