"""The `RegistryStore` conformance suite, part 2: audit history, promotion gates, the events
outbox, subscribers and concurrent writers, over every implementation."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from tests.integration.registry.conftest import Registry

from opsloop.errors import ConflictError, NotFoundError
from opsloop.registry.entities import AuditAction, EventKind, RegistryEvent, VersionStatus
from opsloop.registry.errors import GateFailedError
from opsloop.registry.gates import BeatsChampion, MetricThreshold, RequireStatus


def _three_versions(registry: Registry) -> None:
    registry.model()
    for auc in (0.90, 0.93, 0.91):
        registry.version(metrics={"auc": auc, "latency_ms": 12.0})


# === audit ========================================================================================
def test_every_alias_move_is_audited_with_who_when_from_to_why(registry: Registry) -> None:
    _three_versions(registry)
    before = int(time.time() * 1000)
    store, ws = registry.store, registry.workspace
    store.set_alias("fraud", "champion", 1, actor="ana", reason="first model", workspace=ws)
    store.set_alias("fraud", "champion", 2, actor="bo", reason="auc +0.03", workspace=ws)
    store.set_alias("fraud", "champion", 2, actor="bo", reason="again", workspace=ws)  # no move, no entry
    store.delete_alias("fraud", "champion", actor="cy", reason="incident 42", workspace=ws)
    entries = store.audit_log("fraud", workspace=ws)
    assert [(e.action, e.alias, e.from_version, e.to_version, e.actor, e.reason) for e in entries] == [
        (AuditAction.ALIAS_SET, "champion", None, 1, "ana", "first model"),
        (AuditAction.ALIAS_SET, "champion", 1, 2, "bo", "auc +0.03"),
        (AuditAction.ALIAS_DELETED, "champion", 2, None, "cy", "incident 42"),
    ]
    assert all(entry.model_name == "fraud" and entry.created_at >= before - 5 for entry in entries)
    assert [entry.id for entry in entries] == sorted(entry.id for entry in entries)


# === promotion gates ==============================================================================
def test_promotion_through_passing_gates_moves_the_alias(registry: Registry) -> None:
    _three_versions(registry)
    store, ws = registry.store, registry.workspace
    rules = [MetricThreshold("auc", ">=", 0.9), BeatsChampion("auc"), RequireStatus()]
    assert store.promote("fraud", "champion", 1, rules, actor="ana", workspace=ws).aliases == ("champion",)
    store.promote("fraud", "champion", 2, rules, actor="ana", reason="beats v1", workspace=ws)
    assert store.get_version_by_alias("fraud", "champion", workspace=ws).version == 2


def test_threshold_refusal_lists_observed_and_required_and_changes_nothing(registry: Registry) -> None:
    _three_versions(registry)
    store, ws = registry.store, registry.workspace
    store.set_alias("fraud", "champion", 1, actor="ana", workspace=ws)
    events_before = store.list_events(workspace=ws)
    rules = [
        MetricThreshold("auc", ">=", 0.95),
        MetricThreshold("latency_ms", "<", 10),
        MetricThreshold("f1", ">", 0),
    ]
    with pytest.raises(GateFailedError) as caught:
        store.promote("fraud", "champion", 2, rules, actor="bo", reason="try", workspace=ws)
    error = caught.value
    assert isinstance(error, ConflictError) and error.code == "gate_failed"
    failed = error.details["failed"]
    assert [item["rule"]["metric"] for item in failed] == ["auc", "latency_ms", "f1"]
    assert failed[0]["observed"] == 0.93 and failed[0]["required"] == ">= 0.95"
    assert failed[1]["observed"] == 12.0 and failed[1]["required"] == "< 10"
    assert failed[2]["observed"] is None and "missing" in failed[2]["detail"]
    assert "auc = 0.93, needs >= 0.95" in error.message and "latency_ms = 12" in error.message

    assert store.get_version_by_alias("fraud", "champion", workspace=ws).version == 1
    assert store.list_events(workspace=ws) == events_before
    refusal = store.audit_log("fraud", workspace=ws)[-1]
    assert (
        refusal.action is AuditAction.PROMOTION_REFUSED and refusal.actor == "bo" and refusal.reason == "try"
    )
    assert (refusal.alias, refusal.from_version, refusal.to_version) == ("champion", 1, 2)
    assert [item["rule"]["metric"] for item in refusal.details["failed"]] == ["auc", "latency_ms", "f1"]


def test_beats_champion_compares_with_the_current_champion(registry: Registry) -> None:
    _three_versions(registry)
    store, ws = registry.store, registry.workspace
    store.set_alias("fraud", "champion", 2, actor="ana", workspace=ws)
    with pytest.raises(GateFailedError) as caught:
        store.promote("fraud", "champion", 3, [BeatsChampion("auc")], actor="bo", workspace=ws)
    (failed,) = caught.value.details["failed"]
    assert failed["observed"] == 0.91 and failed["required"] == ">= 0.93"
    assert "champion (version 2) 0.93" in failed["detail"]
    lower = BeatsChampion("latency_ms", higher_is_better=False, min_delta=1.0)
    with pytest.raises(GateFailedError):
        store.promote("fraud", "champion", 3, [lower], actor="bo", workspace=ws)
    store.promote(
        "fraud", "challenger", 3, [BeatsChampion("auc", alias="challenger")], actor="bo", workspace=ws
    )
    assert store.get_version_by_alias("fraud", "champion", workspace=ws).version == 2


def test_require_status_gate(registry: Registry) -> None:
    registry.model()
    registry.version(status=VersionStatus.PENDING_VALIDATION)
    with pytest.raises(GateFailedError) as caught:
        registry.store.promote(
            "fraud", "champion", 1, [RequireStatus()], actor="ci", workspace=registry.workspace
        )
    assert caught.value.details["failed"][0]["observed"] == "PENDING_VALIDATION"


# === events outbox and subscribers ================================================================
def test_events_outbox_keeps_commit_order_and_pages_with_after_id(registry: Registry) -> None:
    _three_versions(registry)
    store, ws = registry.store, registry.workspace
    store.set_alias("fraud", "champion", 1, actor="ana", workspace=ws)
    store.set_alias("fraud", "champion", 2, actor="ana", reason="r", workspace=ws)
    store.set_status("fraud", 3, VersionStatus.ARCHIVED, actor="ana", workspace=ws)
    store.delete_alias("fraud", "champion", actor="ana", workspace=ws)
    events = store.list_events(workspace=ws)
    assert [event.kind for event in events] == [
        EventKind.VERSION_CREATED,
        EventKind.VERSION_CREATED,
        EventKind.VERSION_CREATED,
        EventKind.ALIAS_MOVED,
        EventKind.ALIAS_MOVED,
        EventKind.STATUS_CHANGED,
        EventKind.ALIAS_REMOVED,
    ]
    assert [event.id for event in events] == sorted({event.id for event in events})
    assert all(event.model_name == "fraud" and event.workspace == ws for event in events)
    assert [event.payload["version"] for event in events[:3]] == [1, 2, 3]
    assert events[4].payload == {
        "alias": "champion",
        "from_version": 1,
        "to_version": 2,
        "actor": "ana",
        "reason": "r",
    }
    assert events[5].payload["from_status"] == "READY" and events[5].payload["to_status"] == "ARCHIVED"

    paged: list[RegistryEvent] = []
    after = 0
    while page := store.list_events(after, 3, workspace=ws):
        paged.extend(page)
        after = page[-1].id
    assert paged == events
    assert store.list_events(events[3].id, workspace=ws) == events[4:]
    everywhere = store.list_events(events[0].id - 1, 1000, workspace=None)
    assert [event for event in everywhere if event.workspace == ws] == events


def test_subscribers_hear_each_committed_change_once_and_never_a_rollback(registry: Registry) -> None:
    store, ws = registry.store, registry.workspace
    heard: list[RegistryEvent] = []
    unsubscribe = store.subscribe(lambda event: heard.append(event) if event.workspace == ws else None)
    unsubscribe_failing = store.subscribe(_failing_subscriber)  # a faulty one does not stop the others
    try:
        registry.model()
        registry.version(metrics={"auc": 0.8})
        store.set_alias("fraud", "champion", 1, actor="ana", workspace=ws)
        with pytest.raises(GateFailedError):
            store.promote(
                "fraud", "challenger", 1, [MetricThreshold("auc", ">", 0.9)], actor="ana", workspace=ws
            )
        with pytest.raises(ConflictError):  # fails inside the transaction: rolled back
            store.set_status("fraud", 1, VersionStatus.ARCHIVED, actor="ana", workspace=ws)
        with pytest.raises(NotFoundError):
            store.delete_alias("fraud", "challenger", actor="ana", workspace=ws)
        assert [event.kind for event in heard] == [EventKind.VERSION_CREATED, EventKind.ALIAS_MOVED]
        assert heard == store.list_events(workspace=ws)
    finally:
        unsubscribe()
        unsubscribe_failing()
    registry.version()
    assert len(heard) == 2


def _failing_subscriber(event: RegistryEvent) -> None:
    raise RuntimeError("listener bug")


# === concurrency ==================================================================================
def test_concurrent_creators_never_share_a_version_number(registry: Registry) -> None:
    registry.model()
    threads, per_thread = 8, 4
    numbers: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def create() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                numbers.append(registry.version().version)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    workers = [threading.Thread(target=create) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, threads * per_thread + 1))
    stored = registry.store.list_versions("fraud", workspace=registry.workspace)
    assert [version.version for version in stored] == list(range(1, threads * per_thread + 1))
    events = registry.store.list_events(0, 1000, workspace=registry.workspace)
    assert len(events) == threads * per_thread


def test_concurrent_alias_moves_leave_a_consistent_audit_trail(registry: Registry) -> None:
    registry.model()
    for _ in range(8):
        registry.version()
    store, ws = registry.store, registry.workspace

    def move(version: int) -> None:
        store.set_alias("fraud", "champion", version, actor=f"user{version}", workspace=ws)

    workers = [threading.Thread(target=move, args=(version,)) for version in range(1, 9)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    entries = store.audit_log("fraud", workspace=ws)
    assert len(entries) == 8
    # Each move starts from where the previous one left the alias: a single unbroken chain.
    assert entries[0].from_version is None
    assert all(later.from_version == earlier.to_version for earlier, later in itertools.pairwise(entries))
    assert store.get_version_by_alias("fraud", "champion", workspace=ws).version == entries[-1].to_version
