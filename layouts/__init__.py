"""Pure layout builders: component trees, no data access."""
