"""Real feeds, one module per provider: each polls or parses its provider's format and yields Readings (WGS-84,
stored units, UTC epoch ms); `http` is the one place they do network I/O, `units` converts provider units."""
