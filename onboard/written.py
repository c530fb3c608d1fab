"""What an import writes: the profile's GeoJSON file and, beside it, the report of everything it found and did."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Written:
    """The GeoJSON file and the report file an import wrote (None until it writes), and the report's lines."""

    geojson: Path | None = None
    report: Path | None = None
    lines: list[str] = field(default_factory=list)

    def write(self, out_dir: Path, stem: str, feats: list[dict[str, Any]], summary: str) -> None:
        """out_dir/<stem>.geojson with these features, then the report with `summary` as its last line."""
        out_dir.mkdir(parents=True, exist_ok=True)
        self.geojson, self.report = out_dir / f"{stem}.geojson", out_dir / f"{stem}.report.md"
        self.geojson.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False,
                                           separators=(",", ":")) + "\n", encoding="utf-8")
        self.lines.append(summary)
        self.report.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
