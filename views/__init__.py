"""Pure view models: snapshot dicts in, display values out (no Dash, no Redis), unit-tested with an injected now."""
