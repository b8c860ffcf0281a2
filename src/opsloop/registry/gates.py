"""Promotion gates: rules as data, checked before an alias moves.

`evaluate` is pure: it takes the candidate version and the versions the rules compare against,
and returns one `GateResult` per rule. The stores call it inside the transaction that moves
the alias, so the champion a rule compares with is the one being replaced.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from opsloop.errors import InvalidInputError
from opsloop.registry.entities import ModelVersion, VersionStatus

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True, slots=True)
class MetricThreshold:
    """The candidate's `metric` compared with a fixed value, e.g. `MetricThreshold("auc", ">=", 0.9)`."""

    kind: ClassVar[str] = "metric_threshold"
    metric: str
    op: str
    value: float

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise InvalidInputError(
                f"gates: operator {self.op!r} is not one of {', '.join(_OPS)}", details={"field": "gates.op"}
            )

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "metric": self.metric, "op": self.op, "value": self.value}


@dataclass(frozen=True, slots=True)
class BeatsChampion:
    """The candidate's `metric` is at least `min_delta` better than the version at `alias`.

    Passes when nothing holds the alias yet (there is no champion to beat) or the candidate is
    the champion; fails when either side lacks the metric.
    """

    kind: ClassVar[str] = "beats_champion"
    metric: str
    alias: str = "champion"
    higher_is_better: bool = True
    min_delta: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "metric": self.metric,
            "alias": self.alias,
            "higher_is_better": self.higher_is_better,
            "min_delta": self.min_delta,
        }


@dataclass(frozen=True, slots=True)
class RequireStatus:
    kind: ClassVar[str] = "require_status"
    status: VersionStatus = VersionStatus.READY

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "status": self.status.value}


GateRule = MetricThreshold | BeatsChampion | RequireStatus


@dataclass(frozen=True, slots=True)
class GateResult:
    rule: GateRule
    passed: bool
    detail: str
    observed: Any = None
    required: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.to_dict(),
            "passed": self.passed,
            "detail": self.detail,
            "observed": self.observed,
            "required": self.required,
        }


def evaluate(
    rules: Sequence[GateRule],
    candidate: ModelVersion,
    current_champion: ModelVersion | None = None,
    *,
    by_alias: Mapping[str, ModelVersion] | None = None,
) -> list[GateResult]:
    """One result per rule. A `BeatsChampion` rule compares with `by_alias[rule.alias]` when
    `by_alias` is given, else with `current_champion`."""
    results: list[GateResult] = []
    for rule in rules:
        if isinstance(rule, MetricThreshold):
            results.append(_threshold(rule, candidate))
        elif isinstance(rule, BeatsChampion):
            incumbent = by_alias.get(rule.alias) if by_alias is not None else current_champion
            results.append(_beats(rule, candidate, incumbent))
        elif isinstance(rule, RequireStatus):
            passed = candidate.status is rule.status
            detail = f"status is {candidate.status.value}" + (
                "" if passed else f", needs {rule.status.value}"
            )
            results.append(GateResult(rule, passed, detail, candidate.status.value, rule.status.value))
        else:
            raise InvalidInputError(f"gates: unknown rule {rule!r}", details={"field": "gates"})
    return results


def aliases_compared(rules: Sequence[GateRule]) -> set[str]:
    return {rule.alias for rule in rules if isinstance(rule, BeatsChampion)}


def _threshold(rule: MetricThreshold, candidate: ModelVersion) -> GateResult:
    required = f"{rule.op} {rule.value:g}"
    observed = candidate.metrics.get(rule.metric)
    if observed is None or math.isnan(observed):
        return GateResult(rule, False, f"{rule.metric} is missing, needs {required}", observed, required)
    passed = _OPS[rule.op](observed, rule.value)
    detail = f"{rule.metric} = {observed:g}" + ("" if passed else f", needs {required}")
    return GateResult(rule, passed, detail, observed, required)


def _beats(rule: BeatsChampion, candidate: ModelVersion, incumbent: ModelVersion | None) -> GateResult:
    mine = candidate.metrics.get(rule.metric)
    if incumbent is None:
        return GateResult(rule, True, f"no version holds {rule.alias!r} yet", mine, None)
    if incumbent.version == candidate.version:
        return GateResult(rule, True, f"version {candidate.version} already holds {rule.alias!r}", mine, mine)
    theirs = incumbent.metrics.get(rule.metric)
    if mine is None or math.isnan(mine):
        return GateResult(rule, False, f"the candidate has no {rule.metric}", mine, theirs)
    if theirs is None or math.isnan(theirs):
        detail = f"{rule.alias} (version {incumbent.version}) has no {rule.metric} to compare with"
        return GateResult(rule, False, detail, mine, None)
    sign = 1.0 if rule.higher_is_better else -1.0
    required = theirs + sign * rule.min_delta
    passed = (mine - required) * sign >= 0
    word = ">=" if rule.higher_is_better else "<="
    detail = f"{rule.metric} = {mine:g} vs {rule.alias} (version {incumbent.version}) {theirs:g}" + (
        "" if passed else f", needs {word} {required:g}"
    )
    return GateResult(rule, passed, detail, mine, f"{word} {required:g}")


def rule_from_dict(data: Mapping[str, Any]) -> GateRule:
    """The inverse of `rule.to_dict()`, for rules that arrive as JSON (REST, CLI, config files)."""
    kind = data.get("kind")
    fields = {key: value for key, value in data.items() if key != "kind"}
    try:
        if kind == MetricThreshold.kind:
            return MetricThreshold(str(fields["metric"]), str(fields["op"]), float(fields["value"]))
        if kind == BeatsChampion.kind:
            return BeatsChampion(**fields)
        if kind == RequireStatus.kind:
            return RequireStatus(VersionStatus(fields.get("status", VersionStatus.READY)))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"gates: bad {kind} rule {dict(data)!r}: {exc}", details={"field": "gates"}
        ) from exc
    raise InvalidInputError(f"gates: unknown rule kind {kind!r}", details={"field": "gates"})
