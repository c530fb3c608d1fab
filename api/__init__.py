"""The HTTP JSON API: Flask blueprints mounted on the Dash server. Each module in MODULES exposes `bp`."""

from __future__ import annotations

import importlib

from flask import Flask

# Append a module name here to mount its blueprint (one line per module).
MODULES: tuple[str, ...] = ("api.entities", "api.geo", "api.tiles", "api.alerts", "api.ingest", "api.ngsi")
MODULES += ("api.history", "api.cases", "api.open311")


def register(server: Flask) -> None:
    """Mount every API blueprint; handlers reach Redis and settings through store.context.get()."""
    for name in MODULES:
        server.register_blueprint(importlib.import_module(name).bp)
