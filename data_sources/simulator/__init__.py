"""The seedable simulator, the product's default data source: `city` (the feeds), `geo` (its districts, roads and
river sections), `models` (the air, traffic and water processes), `service` (12345 cases), `furniture` (city
components)."""
