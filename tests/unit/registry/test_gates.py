"""Promotion gates are pure data and a pure function: no store needed."""

from __future__ import annotations

import math

import pytest

from opsloop.errors import InvalidInputError
from opsloop.registry.entities import ModelVersion, VersionStatus
from opsloop.registry.gates import (
    BeatsChampion,
    MetricThreshold,
    RequireStatus,
    evaluate,
    rule_from_dict,
)


def version(number: int, status: VersionStatus = VersionStatus.READY, **metrics: float) -> ModelVersion:
    return ModelVersion(
        model_name="m",
        version=number,
        source_uri="runs:/r/model",
        storage_uri="file:///m",
        run_id=None,
        files={},
        flavor=None,
        signature=None,
        metrics=dict(metrics),
        lineage={},
        status=status,
        description=None,
        tags={},
        created_at=0,
        created_by=None,
        updated_at=0,
        workspace="default",
    )


@pytest.mark.parametrize(
    ("op", "value", "passed"),
    [
        (">=", 0.9, True),
        (">", 0.9, False),
        ("<=", 0.9, True),
        ("<", 0.95, True),
        ("==", 0.9, True),
        ("!=", 0.9, False),
    ],
)
def test_metric_threshold_operators(op: str, value: float, passed: bool) -> None:
    (result,) = evaluate([MetricThreshold("auc", op, value)], version(2, auc=0.9))
    assert result.passed is passed and result.observed == 0.9 and result.required == f"{op} {value:g}"


def test_missing_or_nan_metric_fails_a_threshold() -> None:
    rule = MetricThreshold("auc", ">=", 0.5)
    (missing,) = evaluate([rule], version(1))
    (nan,) = evaluate([rule], version(1, auc=math.nan))
    assert not missing.passed and "missing" in missing.detail
    assert not nan.passed


def test_unknown_operator_is_bad_input() -> None:
    with pytest.raises(InvalidInputError):
        MetricThreshold("auc", "=>", 0.9)


def test_beats_champion() -> None:
    champion = version(1, auc=0.90, latency=20.0)
    rule = BeatsChampion("auc", min_delta=0.01)
    assert evaluate([rule], version(2, auc=0.91), champion)[0].passed
    refused = evaluate([rule], version(2, auc=0.905), champion)[0]
    assert not refused.passed and refused.required == ">= 0.91" and refused.observed == 0.905
    lower = BeatsChampion("latency", higher_is_better=False)
    assert evaluate([lower], version(2, latency=20.0), champion)[0].passed  # a tie is not worse
    assert not evaluate([lower], version(2, latency=21.0), champion)[0].passed
    assert evaluate([rule], version(2, auc=0.1), None)[0].passed  # nobody to beat
    assert evaluate([rule], version(1, auc=0.90), champion)[0].passed  # already the champion
    assert not evaluate([rule], version(2), champion)[0].passed
    assert not evaluate([BeatsChampion("f1")], version(2, f1=0.5), champion)[0].passed


def test_beats_champion_reads_the_alias_it_names() -> None:
    incumbents = {"challenger": version(1, auc=0.99)}
    results = evaluate([BeatsChampion("auc", alias="challenger")], version(2, auc=0.95), by_alias=incumbents)
    assert not results[0].passed
    assert evaluate([BeatsChampion("auc")], version(2, auc=0.5), by_alias=incumbents)[0].passed


def test_require_status() -> None:
    assert evaluate([RequireStatus()], version(1))[0].passed
    failed = evaluate([RequireStatus()], version(1, VersionStatus.PENDING_VALIDATION))[0]
    assert not failed.passed and failed.observed == "PENDING_VALIDATION" and failed.required == "READY"


def test_rules_round_trip_through_dicts() -> None:
    rules = [MetricThreshold("auc", ">=", 0.9), BeatsChampion("loss", "shadow", False, 0.1), RequireStatus()]
    assert [rule_from_dict(rule.to_dict()) for rule in rules] == rules
    with pytest.raises(InvalidInputError):
        rule_from_dict({"kind": "vibes"})
    with pytest.raises(InvalidInputError):
        rule_from_dict({"kind": "metric_threshold", "metric": "auc"})
