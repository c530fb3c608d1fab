"""The floors of OneScreen and the imports between its top-level packages: prints every package-to-package import
(counted, with where each one is written when -v is given) and every import that climbs to a higher floor.

    python scripts/floors.py          # the edges, then the climbing ones (none: exit 0)
    python scripts/floors.py -v       # with each import's file and line

Imports inside functions count the same as those at the top: hiding an import in a function does not change the
arrow. ARCHITECTURE.md explains the floors; tests/unit/test_floors.py keeps them.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Bottom to top. A package may import only packages on lower floors (and itself).
FLOORS: tuple[str, ...] = ("indicators", "core", "config", "store", "alerts", "cases", "data_sources", "onboard",
                           "auth", "views", "layouts", "callbacks", "api", "app", "bench")


def edges(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    """(importer, imported) -> ["file:line module", ...] for every import between two of the FLOORS."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in ("tests", "scripts", ".venv") or rel.parts[0].startswith("."):
            continue
        src = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        if src not in FLOORS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in FLOORS and top != src:
                    out[(src, top)].append(f"{rel}:{node.lineno} {name}")
    return dict(out)


def climbing(found: dict[tuple[str, str], list[str]]) -> dict[tuple[str, str], list[str]]:
    """The imports from a lower floor to a higher one."""
    return {(a, b): where for (a, b), where in found.items() if FLOORS.index(b) > FLOORS.index(a)}


def main(argv: list[str]) -> int:
    found = edges()
    verbose = "-v" in argv
    print("floors, bottom to top: " + " < ".join(FLOORS))
    for (a, b), where in sorted(found.items(), key=lambda kv: (FLOORS.index(kv[0][0]), kv[0][1])):
        print(f"{a} -> {b} ({len(where)})")
        if verbose:
            print("".join(f"    {w}\n" for w in where), end="")
    up = climbing(found)
    print(f"{len(found)} package edges, {len(up)} climbing")
    for (a, b), where in sorted(up.items()):
        print(f"CLIMBS {a} -> {b}: " + "; ".join(where))
    return 1 if up else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
