"""Runtime settings from the environment (prefix ONESCREEN_), validated once at start-up."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.tuning import tuning
from core import case_rules, grid

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"


class Settings(BaseSettings):
    """Every knob a deployment can turn; documented in README.md."""

    # hide_input_in_errors: a refused setting's error must not print the other settings (secrets among them)
    model_config = SettingsConfigDict(env_prefix="ONESCREEN_", extra="ignore", hide_input_in_errors=True)

    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "ONESCREEN_REDIS_URL"))
    host: str = "127.0.0.1"
    port: int = 8050
    city: str = "guangzhou"
    simulator: bool = True
    sim_seed: int = 42
    sim_time_factor: float = 60.0
    # days of history the simulator fills before its first start on an empty store (data_sources/simulator/backfill.py)
    sim_backfill_days: float = Field(default=7.0, ge=0, le=8)
    lang: str | None = None
    furniture_seed: int = 548
    basemap: str | None = None
    basemap_mbtiles: Path | None = None
    basemap_crs: str | None = None
    basemap_attribution: str | None = None
    tick_ms: int = 2000
    wall_red_takeover_s: float = 30.0
    wall_carousel_s: float = 20.0
    wall_reload_hour: int = 4
    retention: int = 100_000
    ingest_token: str | None = None
    ingest_max_batch: int = Field(default=5_000, ge=1)  # readings per request; more is 413
    # readings per minute per token; more is 429. 1,000,000: a Guangzhou-sized city (12,800 stations, segments and
    # sections) pushing every entity every second through one token is 768,000; the README says how it was sized
    ingest_rate_per_min: int = Field(default=1_000_000, ge=1)
    openaq_api_key: str | None = Field(default=None, validation_alias=AliasChoices(
        "openaq_api_key", "ONESCREEN_OPENAQ_API_KEY", "OPENAQ_API_KEY"))
    tomtom_api_key: str | None = Field(default=None, validation_alias=AliasChoices(
        "tomtom_api_key", "ONESCREEN_TOMTOM_API_KEY", "TOMTOM_API_KEY"))
    amap_key: str | None = Field(default=None, validation_alias=AliasChoices(
        "amap_key", "ONESCREEN_AMAP_KEY", "AMAP_KEY"))
    secret_key: str | None = None  # signs session cookies; required (make run generates one per start if unset)
    admin_password: str | None = None  # first start with no users: the admin's password (else a random one is printed)
    kiosk_tokens: str | None = None  # comma-separated read-only wall tokens (/wall?kiosk=<token>)
    api_token: str | None = None  # bearer token with the admin role, for automation
    cookie_secure: bool = False  # send the session cookie over HTTPS only (set it behind TLS)
    session_hours: float = Field(default=12.0, gt=0)  # a login lasts this long (kiosk sessions renew from their link)
    login_rate_per_5min: int = Field(default=10, ge=1)  # failed logins per client address and name per 5 minutes
    frame_ancestors: str | None = None  # space/comma-separated origins allowed to frame the app (video-wall hosts)
    oidc_issuer: str | None = None  # OpenID Connect issuer URL; set with client id/secret to enable SSO login
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_role_claim: str = "onescreen_role"  # claim holding the role (viewer/leader/analyst/operator/admin)
    oidc_district_claim: str = "onescreen_district"  # claim holding the district adcode (absent = whole city)
    oidc_default_role: str = "viewer"  # role when the claim is absent
    oidc_department_claim: str = "onescreen_department"  # claim naming a handler's department (the closed loop)
    data_dir: Path = Path("var")
    database_url: str | None = None  # the case records' SQL database (PostgreSQL); unset: SQLite in data_dir
    # Forward the cases OneScreen opens to the city hotline's Open311 GeoReport v2 endpoint (its base URL, ending
    # /open311/v2 or similar), with its API key and jurisdiction; unset: nothing is forwarded.
    open311_upstream: str | None = None
    open311_upstream_key: str | None = None
    open311_jurisdiction: str | None = None
    # Case photos in an S3-compatible object store instead of data_dir/photos: s3://host[:port]/bucket[/prefix]
    # (HTTPS) or s3+http://host:port/bucket[/prefix] (plain HTTP, inside a trusted network); the keys from the two
    # settings below (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), never in the URL. Checked by photo_place().
    photo_url: str | None = None
    photo_access_key: str | None = Field(default=None, validation_alias=AliasChoices(
        "photo_access_key", "ONESCREEN_PHOTO_ACCESS_KEY", "AWS_ACCESS_KEY_ID"))
    photo_secret_key: str | None = Field(default=None, validation_alias=AliasChoices(
        "photo_secret_key", "ONESCREEN_PHOTO_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"), repr=False)

    @property
    def kiosk_token_list(self) -> list[str]:
        """The environment's kiosk tokens, blanks dropped."""
        return [t.strip() for t in (self.kiosk_tokens or "").split(",") if t.strip()]

    @field_validator("simulator", "cookie_secure", mode="before")
    @classmethod
    def _on_off(cls, v: Any) -> Any:
        """Accept on/off as well as true/false, as the README documents."""
        if isinstance(v, str) and v.strip().lower() in {"on", "off"}:
            return v.strip().lower() == "on"
        return v

    @field_validator("photo_url")
    @classmethod
    def _photo_url(cls, v: str | None) -> str | None:
        """A photo store's URL must say where and which bucket, as photo_place() reads it."""
        if v is not None and v.strip():
            photo_place(v)
            return v.strip()
        return None

    @model_validator(mode="after")
    def _photo_keys(self) -> Settings:
        """An S3 store takes both keys; one without the other is a mistake, said at start and not at the first photo."""
        if self.photo_url and not (self.photo_access_key and self.photo_secret_key):
            raise ValueError("ONESCREEN_PHOTO_URL needs ONESCREEN_PHOTO_ACCESS_KEY and ONESCREEN_PHOTO_SECRET_KEY "
                             "(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
        return self

    @field_validator("tick_ms")
    @classmethod
    def _tick_sane(cls, v: int) -> int:
        """A tick under 250 ms would only burn CPU on every wall."""
        if v < 250:
            raise ValueError("ONESCREEN_TICK_MS must be at least 250")
        return v


# S3's bucket naming rules: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, no "..", ".-" or "-.",
# not an IP address
BUCKET = re.compile(r"^(?!\d+\.\d+\.\d+\.\d+$)(?!.*(?:\.\.|\.-|-\.))[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PREFIX = re.compile(r"^[A-Za-z0-9._/-]{0,200}$")


def photo_place(url: str) -> dict[str, Any]:
    """Where an S3 photo store is, from ONESCREEN_PHOTO_URL: {"endpoint": "host[:port]", "secure", "bucket",
    "prefix" ("" or ending in /), "region" (?region=, else None)}. ValueError saying what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"s3", "s3+http"}:
        raise ValueError(f"ONESCREEN_PHOTO_URL must start s3:// (HTTPS) or s3+http://, not {parts.scheme or 'nothing'}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("ONESCREEN_PHOTO_URL must not hold keys: set ONESCREEN_PHOTO_ACCESS_KEY and "
                         "ONESCREEN_PHOTO_SECRET_KEY")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("ONESCREEN_PHOTO_URL has a port that is not a number from 1 to 65535")
    if not parts.hostname:
        raise ValueError("ONESCREEN_PHOTO_URL names no host: s3://host[:port]/bucket[/prefix]")
    bucket, _, prefix = parts.path.lstrip("/").partition("/")
    if not BUCKET.match(bucket):
        raise ValueError(f"ONESCREEN_PHOTO_URL's bucket {bucket!r} is not an S3 bucket name (3-63 of a-z 0-9 . -)")
    prefix = prefix.strip("/")
    if not PREFIX.match(prefix) or (prefix and any(part in {"", ".", ".."} for part in prefix.split("/"))):
        raise ValueError("ONESCREEN_PHOTO_URL's prefix may hold only letters, digits and . _ - /")
    query = parse_qs(parts.query, keep_blank_values=True)
    if set(query) - {"region"} or parts.fragment:
        raise ValueError("ONESCREEN_PHOTO_URL takes only ?region=")
    region = (query.get("region") or [None])[-1] or None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return {"endpoint": host if port is None else f"{host}:{port}", "secure": parts.scheme == "s3",
            "bucket": bucket, "prefix": f"{prefix}/" if prefix else "", "region": region}


def load_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML config file, failing with the file name in the message."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read config file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"config file {path} must hold a mapping")
    return data


class GeoFiles(BaseModel):
    """A profile's geo files: names under geo/ (or beside a profile file elsewhere)."""

    model_config = ConfigDict(extra="forbid")

    districts: str  # polygons with adcode, name (name_en), label_lon/label_lat
    rivers: str | None = None
    air_stations: str | None = None
    river_points: str | None = None
    roads: str | None = None  # real road geometry, when the city has it (else the simulator's schematic roads)
    water_sections: str | None = None


class CityProfile(BaseModel):
    """What every part of OneScreen reads from a profile, checked when it is loaded; other keys (sources, basemap,
    simulator, air_monitors, ...) are checked by the parts that read them."""

    model_config = ConfigDict(extra="allow")

    slug: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,40}$")
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=60)
    timezone: str = "Asia/Shanghai"
    lang: Literal["zh", "en"] = "zh"
    center: tuple[float, float]  # lat, lon
    zoom: float = Field(default=10, ge=1, le=20)
    geo: GeoFiles
    # the wall's map frames these districts (the urban core) and shows the whole city in an inset; default: all
    wall_frame: list[str] | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (an IANA name, e.g. Asia/Shanghai)") from None
        return v

    @field_validator("center")
    @classmethod
    def _center(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not (-90 <= v[0] <= 90 and -180 <= v[1] <= 180):
            raise ValueError(f"center is [lat, lon] in degrees, not {list(v)} (latitude first)")
        return v


def check_city(city: dict[str, Any], path: Path, geo_dir: Path) -> dict[str, Any]:
    """A profile as loaded, checked: a mistake names the file, the key and what it should be; every geo file it
    names must exist."""
    try:
        CityProfile.model_validate(city)
    except ValidationError as e:
        where = "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors())
        raise ValueError(f"city profile {path}: {where}") from None
    for check in (tuning, grid.of_city):  # the simulator's tuning, then the unit grid (its box may come from it)
        try:
            check(city)
        except ValueError as e:
            raise ValueError(f"city profile {path}: {str(e).split(': ', 1)[-1]}") from None
    for key, name in city["geo"].items():
        if name and not (geo_dir / name).is_file():
            raise ValueError(f"city profile {path}: geo.{key}: no file {name!r} in {geo_dir} (or beside the profile)")
    frame = city.get("wall_frame")
    if frame:
        known = {str((f.get("properties") or {}).get("adcode")) for f in
                 json.loads((geo_dir / city["geo"]["districts"]).read_text(encoding="utf-8")).get("features", [])}
        unknown = [c for c in frame if c not in known]
        if unknown:
            raise ValueError(f"city profile {path}: wall_frame: {', '.join(unknown)} not among the adcodes of "
                             f"{city['geo']['districts']} (known: {', '.join(sorted(known))})")
    return city


def load_city(slug: str) -> dict[str, Any]:
    """The city profile: names, centre, time zone, geo files, standard, checked (check_city). `slug` names a
    shipped profile (config/cities/<slug>.yaml) or is the path of a profile file elsewhere (ending .yaml or .yml):
    its geo files are looked for beside it first, then among the shipped ones (geo/)."""
    geo_dir = ROOT / "geo"
    if slug.endswith((".yaml", ".yml")):
        path = Path(slug).expanduser().resolve()
        if not path.is_file():
            raise ValueError(f"city profile file {slug!r} does not exist")
        city = load_yaml(path)
        geo = city.get("geo")
        if isinstance(geo, dict):
            city["geo"] = {k: str(path.parent / v) if isinstance(v, str) and (path.parent / v).is_file() else v
                           for k, v in geo.items()}
        return check_city(city, path, geo_dir)
    path = CONFIG_DIR / "cities" / f"{slug}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in (CONFIG_DIR / "cities").glob("*.yaml"))
        raise ValueError(f"unknown city {slug!r}; known profiles: {', '.join(known)}")
    return check_city(load_yaml(path), path, geo_dir)


def load_case_rules(path: Path | None = None) -> case_rules.CaseRules:
    """The closed loop's dispatch table and time limits (config/case_rules.yaml), validated (core.case_rules)."""
    return case_rules.parse(load_yaml(path or CONFIG_DIR / "case_rules.yaml"))


def load_feeds() -> dict[str, dict[str, Any]]:
    """Per-feed expected interval and stale limits, keyed by feed slug."""
    return load_yaml(CONFIG_DIR / "feeds.yaml")["feeds"]


def basemap_config(settings: Settings, city: dict[str, Any]) -> dict[str, Any]:
    """The base map: the city profile's, overridden by ONESCREEN_BASEMAP* variables; validated with clear errors."""
    bm: dict[str, Any] = dict(city.get("basemap") or {"type": "none"})
    if settings.basemap:
        bm.update(type="xyz", url=settings.basemap)
    if settings.basemap_mbtiles:
        bm.update(type="mbtiles", file=str(settings.basemap_mbtiles))
    if settings.basemap_crs:
        bm["crs"] = settings.basemap_crs
    if settings.basemap_attribution:
        bm["attribution"] = settings.basemap_attribution
    if bm.get("type", "none") not in ("none", "xyz", "mbtiles"):
        raise ValueError(f"basemap type must be none, xyz or mbtiles, not {bm.get('type')!r}")
    if bm.get("crs", "wgs84") not in ("wgs84", "gcj02"):
        raise ValueError(f"basemap crs must be wgs84 or gcj02, not {bm.get('crs')!r}")
    if bm["type"] == "mbtiles":
        path = Path(bm.get("file") or "")
        if not path.is_file():
            raise ValueError(f"basemap MBTiles file not found: {path}")
        settings.basemap_mbtiles = path
    return bm
