"""The seedable simulator, the product's default data source: `city` (the feeds), `geo` (its districts, roads and
river sections), `service` (12345 cases), `furniture` (city components)."""
