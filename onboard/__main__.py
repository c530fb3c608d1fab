"""`python -m onboard import-geo FILE --level district|street|community|grid|rivers|lakes --out DIR [options]` and
`python -m onboard import-points FILE.csv|.xlsx --kind stations|components|cameras --out DIR [--city PROFILE]`.

Each reads the file, checks it and writes DIR/<name>.geojson and DIR/<name>.report.md (geo_import.py and
points_import.py say what is checked). Exit 0 when written, 2 with the reason when the input cannot be used as it
is (nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from onboard.geo_import import LEVELS, BadInput, import_geo
from onboard.points_import import KINDS, BadPoints, import_points


def points(args: argparse.Namespace) -> int:
    """The import-points command."""
    from config.settings import load_city

    try:
        columns = dict(c.split("=", 1) for c in args.column)
    except ValueError:
        print("error: --column takes FIELD=HEADER, e.g. --column lon=东经", file=sys.stderr)
        return 2
    try:
        city = load_city(args.city) if args.city else None
        result = import_points(args.file, args.kind, args.out, city=city, columns=columns, datum=args.datum,
                               skip_bad=args.skip_bad, out_name=args.out_name)
    except (BadPoints, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("\n".join(result.lines))
    print(f"report: {result.report}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m onboard", description=__doc__.split("\n\n")[1])
    sub = parser.add_subparsers(dest="command", required=True)
    geo = sub.add_parser("import-geo", help="boundaries (district → grid), rivers or lakes from a GIS file")
    geo.add_argument("file", type=Path, help="Shapefile (.shp), GeoPackage (.gpkg), GeoJSON or KML")
    geo.add_argument("--level", required=True, choices=list(LEVELS))
    geo.add_argument("--out", type=Path, required=True, help="the profile's folder (or where its geo files go)")
    geo.add_argument("--name", dest="out_name", help="the written file's name without .geojson (default: the level)")
    geo.add_argument("--crs", help="the file's coordinate system when it does not say, or to override it: "
                                   "EPSG:4490 (CGCS2000), EPSG:4326 (WGS-84), EPSG:3857, any EPSG code, gcj02, bd09")
    geo.add_argument("--encoding", help="the attributes' encoding (e.g. gbk) when the file does not say")
    geo.add_argument("--layer", help="a GeoPackage's layer (default: the first)")
    geo.add_argument("--swap-axes", action="store_true", help="the file has latitude first")
    geo.add_argument("--name-field", help="the field with each feature's name")
    geo.add_argument("--code-field", help="the field with each feature's code (adcode, street code, grid code)")
    geo.add_argument("--parent", type=Path, help="the level above (GeoJSON): every feature must lie in one of them")
    geo.add_argument("--simplify", type=float, help="tolerance in degrees (default by level; 0 keeps every vertex)")
    geo.add_argument("--force", action="store_true", help="write even with overlaps or features outside parents")
    pts = sub.add_parser("import-points", help="air stations, city components or cameras from a CSV or Excel sheet")
    pts.add_argument("file", type=Path, help=".csv (UTF-8 or GBK) or .xlsx (the first sheet)")
    pts.add_argument("--kind", required=True, choices=list(KINDS))
    pts.add_argument("--out", type=Path, required=True, help="the profile's folder (or where its geo files go)")
    pts.add_argument("--name", dest="out_name", help="the written file's name without .geojson (default: the kind)")
    pts.add_argument("--city", help="a profile (name or .yaml): every point must lie in one of its districts")
    pts.add_argument("--column", action="append", default=[], metavar="FIELD=HEADER",
                     help="which column holds a field (id, name, lon, lat, category, stream) when its header is "
                          "not recognised; repeatable")
    pts.add_argument("--datum", default="wgs84", help="the positions' datum: wgs84 (default), gcj02 or bd09")
    pts.add_argument("--skip-bad", action="store_true", help="leave bad rows out (listed in the report)")
    args = parser.parse_args(argv)
    if args.command == "import-points":
        return points(args)
    try:
        result = import_geo(args.file, args.level, args.out, crs=args.crs, encoding=args.encoding, layer=args.layer,
                            swap_axes=args.swap_axes, name_field=args.name_field, code_field=args.code_field,
                            parent=args.parent, simplify=args.simplify, out_name=args.out_name, force=args.force)
    except BadInput as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("\n".join(result.lines))
    print(f"report: {result.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
