"""The only code that talks to Redis: keys, writes, snapshot reads, events."""
