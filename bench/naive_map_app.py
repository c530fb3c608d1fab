"""Baseline for the map bench: the naive way, all 548,000 components as a GeoJSON dict embedded in the layout."""

from __future__ import annotations

import os

import dash_leaflet as dl
from dash import Dash, html

from config.settings import load_city
from core.geo import components_box
from data_sources.simulator.furniture import COUNT, generate


def layout() -> html.Div:
    """One map, one clustered GeoJSON layer holding every point (what a hand-made 大屏 typically does)."""
    data = generate(int(os.environ.get("ONESCREEN_FURNITURE_SEED", "548")), components_box(load_city("guangzhou")),
                    int(os.environ.get("BENCH_NAIVE_COUNT", COUNT)))  # fewer only in the smoke run
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
                 "properties": {"c": int(c)}} for x, y, c in zip(data.lon.tolist(), data.lat.tolist(),
                                                                  data.cat.tolist(), strict=True)]
    return html.Div(dl.Map(center=[23.13, 113.305], zoom=13, style={"height": "100vh"}, children=[
        dl.GeoJSON(data={"type": "FeatureCollection", "features": features}, cluster=True,
                   superClusterOptions={"radius": 80})]))


app = Dash(__name__, serve_locally=True)
app.layout = layout()

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]), debug=False)
