"""The NOC's own alert thresholds: a YAML file of rules that replace or add to the defaults.

::

    rules:
      - name: high-utilisation      # same name as a default: replaces it
        metric: util_pct
        raise_at: 85
        clear_at: 75
        for_seconds: 600
      - name: low-optical-power
        metric: optical_dbm
        raise_at: -24               # used only where the transceiver reports no threshold
        clear_at: -22
        for_seconds: 120
        below: true

A wrong file names the file, the rule and the field, and the monitor does not start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from govnet.errors import InventoryError
from govnet.inventory.loader import problem_from_error
from govnet.inventory.problems import Problem
from govnet.inventory.yamlfile import LocatedDict, UnreadableFileError, YamlSyntaxError, load_yaml
from govnet.monitor.alerts import DEFAULT_RULES, Rule

Metric = Literal["util_pct", "error_ps", "optical_dbm", "optical_drop_db"]


class RuleSpec(BaseModel):
    """One rule as the file writes it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    metric: Metric
    raise_at: float
    clear_at: float
    for_seconds: float = Field(default=300.0, ge=0)
    below: bool = False

    @model_validator(mode="after")
    def _hysteresis(self) -> RuleSpec:
        if self.below and self.clear_at < self.raise_at:
            raise ValueError("a 'below' rule clears above where it fires: clear_at must be ≥ raise_at")
        if not self.below and self.clear_at > self.raise_at:
            raise ValueError("clear_at must be ≤ raise_at (it clears below where it fires)")
        return self


def load_rules(path: Path, base: tuple[Rule, ...] = DEFAULT_RULES) -> tuple[Rule, ...]:
    """``base`` with the file's rules replacing those of the same name and adding the others."""
    label = str(path)
    try:
        doc = load_yaml(path)
    except UnreadableFileError as exc:
        raise InventoryError(
            [Problem(label, None, None, None, f"cannot read the rules file: {exc.message}", exc.hint)],
            summary="the alert rules file could not be read",
        ) from exc
    except YamlSyntaxError as exc:
        problem = Problem(label, exc.line, None, None, exc.message, "correct the YAML syntax")
        raise InventoryError([problem], summary="the alert rules file is not valid YAML") from exc
    if not isinstance(doc, LocatedDict) or not isinstance(doc.get("rules"), list):
        problem = Problem(
            label, 1, None, "rules", "the file must hold a 'rules:' list", "start it with 'rules:'"
        )
        raise InventoryError([problem], summary="the alert rules file has no rules")
    problems: list[Problem] = []
    specs: list[RuleSpec] = []
    for i, raw in enumerate(doc["rules"]):
        if not isinstance(raw, LocatedDict):
            problems.append(Problem(label, doc.key_lines.get("rules"), f"rules[{i}]", None, "not a mapping"))
            continue
        entry = f"rules[{i}] '{raw.get('name', '?')}'"
        try:
            specs.append(RuleSpec.model_validate(dict(raw)))
        except ValidationError as exc:
            problems += [
                problem_from_error(RuleSpec, entry, label, raw, e) for e in exc.errors(include_url=False)
            ]
    names = [s.name for s in specs]
    problems += [
        Problem(label, None, f"rule '{n}'", "name", "the name is used twice", "give each rule its own name")
        for n in sorted({n for n in names if names.count(n) > 1})
    ]
    if problems:
        raise InventoryError(problems, summary=f"the alert rules file has {len(problems)} problem(s)")
    mine = {s.name: Rule(s.name, s.metric, s.raise_at, s.clear_at, s.for_seconds, s.below) for s in specs}
    return tuple(mine.pop(r.name, r) for r in base) + tuple(mine.values())
