"""Alert rules and their lifecycle: pure metrics and engine, persisted by store.alerts, called via alerts.actions."""
