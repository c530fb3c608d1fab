"""The start page is the leader overview: importing this module (app.py does) registers its callbacks.

The feed table's helpers moved with it; they stay importable from here.
"""

from __future__ import annotations

from callbacks.overview import feed_health
from layouts.overview import health_cells, status_table

__all__ = ["feed_health", "health_cells", "status_table"]
