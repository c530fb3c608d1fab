"""Feed sources: each yields normalized Readings (WGS-84, SI units, UTC epoch ms)."""
