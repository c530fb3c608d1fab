"""config/alerts.yaml -> frozen, validated rules; a bad file fails at start-up naming the file, rule and field."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.alerts import AGE_METRIC, SEVERITY
from core.event_catalog import EVENT_CODES

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "alerts.yaml"
ORDERED = (">", ">=", "<", "<=")
Threshold = float | str | tuple[float | str, ...]


class _Frozen(BaseModel):
    """Immutable and strict about unknown keys, so a typo in the YAML is an error, not a silent default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class LevelSpec(_Frozen):
    """One rung of a rule's ladder: the colour and the value that reaches it."""

    level: Literal["blue", "yellow", "orange", "red"]
    threshold: Threshold

    @field_validator("threshold", mode="before")
    @classmethod
    def _no_bool(cls, v: Any) -> Any:
        """YAML's yes/no would otherwise become 1.0/0.0."""
        if isinstance(v, bool) or (isinstance(v, float) and not math.isfinite(v)):
            raise ValueError(f"threshold must be a finite number, a string or a list, got {v!r}")
        return v


class Clear(_Frozen):
    """Hysteresis: clear only past `threshold` (default: the first level's) and only after `for_s` there."""

    threshold: float | None = None
    for_s: float = Field(default=0.0, ge=0)


class OpenCase(_Frozen):
    """An alert that stays active `after_s` (at `level` or worse) opens a case of event category `event`
    (core/event_catalog.py) for the department the dispatch table names (cases/from_alerts.py)."""

    event: str
    after_s: float = Field(default=0.0, ge=0)
    level: Literal["blue", "yellow", "orange", "red"] | None = None

    @field_validator("event")
    @classmethod
    def _known_event(cls, v: str) -> str:
        if v not in EVENT_CODES:
            raise ValueError(f"{v!r} is not an event category of core/event_catalog.py (e.g. 0601)")
        return v


class Rule(_Frozen):
    """A threshold rule (levels on a metric) or a staleness rule (an entity or feed silent past its limit)."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,48}$")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    kind: Literal["threshold", "stale"] = "threshold"
    scope: Literal["feed", "station", "segment", "section", "district", "city"]
    metric: str = ""
    comparator: Literal[">", ">=", "<", "<=", "==", "in"] | None = None
    levels: tuple[LevelSpec, ...] = ()
    for_s: float = Field(default=0.0, ge=0)
    clear: Clear = Clear()
    escalate_after_s: float | None = Field(default=None, gt=0)
    entities: tuple[str, ...] | None = None
    districts: tuple[str, ...] | None = None
    enabled: bool = True
    case: OpenCase | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        """Levels ordered by severity with thresholds monotone in the comparator's direction; clear on the safe side."""
        if self.kind == "stale":
            if self.comparator is not None or self.levels or self.clear.threshold is not None:
                raise ValueError("kind: a stale rule takes no comparator, levels or clear.threshold")
            if self.case is not None:
                raise ValueError("case: a silent feed is the centre's to fix, not a department's case")
            if self.metric not in ("", AGE_METRIC):
                raise ValueError(f"metric: a stale rule watches {AGE_METRIC!r}, not {self.metric!r}")
            object.__setattr__(self, "metric", AGE_METRIC)
            return self
        if not self.metric or self.comparator is None or not self.levels:
            missing = [f for f in ("metric", "comparator", "levels") if not getattr(self, f)]
            raise ValueError(f"{missing[0]}: a threshold rule needs metric, comparator and at least one level")
        names = [lv.level for lv in self.levels]
        if self.case is not None and self.case.level is not None and self.case.level not in names:
            raise ValueError(f"case.level: {self.case.level} is not one of this rule's levels {names}")
        ranks = [SEVERITY.index(n) for n in names]
        if ranks != sorted(set(ranks)):
            raise ValueError(f"levels: must be distinct and ordered blue < yellow < orange < red, got {names}")
        values = [lv.threshold for lv in self.levels]
        if self.comparator in ORDERED:
            if not all(isinstance(v, int | float) for v in values):
                raise ValueError(f"levels: comparator {self.comparator!r} needs numeric thresholds, got {values}")
            up = self.comparator in (">", ">=")
            if not all((a < b) if up else (a > b) for a, b in zip(values, values[1:], strict=False)):
                way = "increase" if up else "decrease"
                raise ValueError(f"levels: thresholds must {way} with severity, got {values}")
            c = self.clear.threshold
            if c is not None and ((up and c > values[0]) or (not up and c < values[0])):
                raise ValueError(f"clear.threshold: {c} must be on the safe side of the first level ({values[0]})")
        else:
            if self.clear.threshold is not None:
                raise ValueError(f"clear.threshold: needs an ordered comparator, not {self.comparator!r}")
            want_list = self.comparator == "in"
            if not all(isinstance(v, tuple) == want_list for v in values):
                kind = "lists" if want_list else "single values"
                raise ValueError(f"levels: comparator {self.comparator!r} needs {kind}")
        return self


class RuleSet(_Frozen):
    """Every rule plus the engine settings that are not per rule."""

    rules: tuple[Rule, ...]
    timer_s: float = Field(default=1.0, gt=0)
    keep_resolved_s: float = Field(default=86_400.0, ge=0)
    log_maxlen: int = Field(default=100_000, gt=0)

    def by_id(self) -> dict[str, Rule]:
        """Rules by id (enabled or not)."""
        return {rule.id: rule for rule in self.rules}


def _describe(exc: ValidationError) -> str:
    """'levels.1.threshold: <message>' for the first error, which is the one to fix."""
    err = exc.errors()[0]
    msg = str(err["msg"]).removeprefix("Value error, ")
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {msg}" if where else msg  # rule-wide checks already start with the field they blame


def parse_rules(document: Any, source: str = "<rules>") -> RuleSet:
    """Validate a loaded YAML document; ValueError('<file>: rule <id>: <field>: <why>') on the first problem."""
    if not isinstance(document, dict):
        raise ValueError(f"{source}: expected a mapping with a 'rules' list")
    unknown = set(document) - {"defaults", "settings", "rules"}
    if unknown:
        raise ValueError(f"{source}: unknown top-level keys {sorted(unknown)}")
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - {"escalate_after_s", "for_s", "clear"}:
        raise ValueError(f"{source}: defaults may set escalate_after_s, for_s and clear only")
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ValueError(f"{source}: 'rules' must be a non-empty list")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        rid = raw.get("id") if isinstance(raw, dict) else None
        label = f"rule {rid!r}" if isinstance(rid, str) else f"rule #{i + 1}"
        if not isinstance(raw, dict):
            raise ValueError(f"{source}: {label}: must be a mapping")
        try:
            rule = Rule.model_validate({**defaults, **raw})
        except ValidationError as exc:
            raise ValueError(f"{source}: {label}: {_describe(exc)}") from exc
        if rule.id in seen:
            raise ValueError(f"{source}: {label}: id: duplicate rule id")
        seen.add(rule.id)
        rules.append(rule)
    try:
        return RuleSet.model_validate({**(document.get("settings") or {}), "rules": tuple(rules)})
    except ValidationError as exc:
        raise ValueError(f"{source}: settings: {_describe(exc)}") from exc


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read and validate config/alerts.yaml (or `path`); ValueError naming the file, rule id and field."""
    path = Path(path or DEFAULT_PATH)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read alert rules: {exc}") from exc
    return parse_rules(document, str(path))
