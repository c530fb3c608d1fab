"""The server-side scripts, one .lua file each beside this module, read once per process.

Each script touches only the keys it is given (KEYS[...]), so a script and its keys stay in one cluster slot.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_DIR = Path(__file__).resolve().parent


@cache
def source(*names: str) -> str:
    """The text of one script, or of several joined in order (a shared prelude first)."""
    return "\n".join((_DIR / f"{name}.lua").read_text(encoding="utf-8") for name in names)
