"""The app plus a naive wall callback (go.Figure per tile and for the map, rebuilt every request), for comparison."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import Input, Output, State

from app import create_app
from store import context

NAIVE_TILES = ("air", "traffic", "service", "water")


def naive_figures(summary: dict[str, Any]) -> list[go.Figure]:
    """What a typical big-screen Dash app does each tick: a gauge per KPI and a scatter map, as figure objects."""
    values = {"air": summary["air"]["city"].get("aqi") or 0, "traffic": summary["traffic"]["tpi"] or 0,
              "service": summary["service"]["open"], "water": summary["water"]["good"]}
    figs = [go.Figure(go.Indicator(mode="gauge+number", value=values[k], title={"text": k})) for k in NAIVE_TILES]
    stations = summary["air"]["stations"]
    figs.append(go.Figure(go.Scattermap(lat=[0.0] * len(stations), lon=[0.0] * len(stations), mode="markers",
                                        marker={"color": [s["color"] or "#888" for s in stations.values()]},
                                        text=[str(s["aqi"]) for s in stations.values()])))
    return figs


app = create_app()


@app.callback(*[Output(f"naive-{k}", "figure") for k in (*NAIVE_TILES, "map")],
              Input("naive-tick", "n_intervals"), State("wall-lang", "data"))
def naive_tick(_n: int | None, _lang: str | None) -> list[go.Figure]:
    """Reads the same cached summary, but builds figure objects every request."""
    return naive_figures(context.get().summary(context.now_ms()) or {})


server = app.server
