"""The `RegistryStore` conformance suite, part 1: models, versions, aliases, URIs and input rules,
with the same assertions over every implementation (in-memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import math

import pytest
from tests.integration.registry.conftest import Registry, sha

from opsloop.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError
from opsloop.registry.entities import VersionStatus


# === registered models ============================================================================
def test_create_get_list_update_archive_models(registry: Registry) -> None:
    created = registry.model("fraud", description="card fraud", tags={"team": "risk"})
    assert created.name == "fraud" and created.workspace == registry.workspace
    assert created.description == "card fraud" and created.tags == {"team": "risk"}
    assert not created.archived and created.latest_version is None and created.aliases == {}
    assert registry.store.get_model("fraud", workspace=registry.workspace) == created
    registry.model("churn")
    assert [m.name for m in registry.store.list_models(workspace=registry.workspace)] == ["churn", "fraud"]

    updated = registry.store.update_model("fraud", workspace=registry.workspace, tags={"team": "ml"})
    assert updated.description == "card fraud" and updated.tags == {"team": "ml"}
    assert updated.updated_at >= created.updated_at
    assert registry.store.get_model("fraud", workspace=registry.workspace) == updated

    archived = registry.store.set_model_archived("churn", True, workspace=registry.workspace)
    assert archived.archived
    assert [m.name for m in registry.store.list_models(workspace=registry.workspace)] == ["fraud"]
    assert len(registry.store.list_models(workspace=registry.workspace, include_archived=True)) == 2
    with pytest.raises(ConflictError):
        registry.version("churn")
    registry.store.set_model_archived("churn", False, workspace=registry.workspace)
    assert registry.version("churn").version == 1


def test_model_names_are_unique_per_workspace(registry: Registry) -> None:
    registry.model("fraud")
    with pytest.raises(AlreadyExistsError) as caught:
        registry.model("fraud")
    assert caught.value.details["field"] == "name"
    other = registry.store.create_model("fraud", workspace=registry.workspace + "x")
    assert other.workspace == registry.workspace + "x"
    assert registry.store.get_or_create_model("fraud", workspace=registry.workspace).name == "fraud"
    assert registry.store.get_or_create_model("new", workspace=registry.workspace).name == "new"


def test_unknown_models_and_versions_are_not_found(registry: Registry) -> None:
    with pytest.raises(NotFoundError):
        registry.store.get_model("nope", workspace=registry.workspace)
    with pytest.raises(NotFoundError):
        registry.version("nope")
    registry.model()
    with pytest.raises(NotFoundError) as caught:
        registry.store.get_version("fraud", 7, workspace=registry.workspace)
    assert caught.value.details["field"] == "version"
    with pytest.raises(NotFoundError):
        registry.store.get_version_by_alias("fraud", "champion", workspace=registry.workspace)
    with pytest.raises(NotFoundError):
        registry.store.get_latest_version("fraud", workspace=registry.workspace)


# === versions =====================================================================================
def test_create_version_stores_every_field(registry: Registry) -> None:
    registry.model()
    lineage = {"run_id": "abc", "datasets": [{"name": "tx", "digest": "d1"}], "git_commit": "f00d"}
    created = registry.version(
        run_id="abc",
        metrics={"auc": 0.93, "loss": math.inf, "odd": math.nan},
        lineage=lineage,
        flavor="sklearn",
        signature={"inputs": [{"name": "amount", "dtype": "float64"}]},
        created_by="ana",
        description="first",
        tags={"stage": "exp"},
    )
    assert created.version == 1 and created.model_name == "fraud"
    assert created.source_uri == "runs:/0123/model" and created.storage_uri == "file:///registry/fraud/v"
    assert created.files == {"model.skops": sha("model"), "opsloop-model.yaml": sha("manifest")}
    assert created.metrics["auc"] == 0.93 and created.metrics["loss"] == math.inf
    assert math.isnan(created.metrics["odd"])
    assert created.lineage == lineage and created.flavor == "sklearn" and created.run_id == "abc"
    assert created.status is VersionStatus.READY and created.created_by == "ana"
    assert created.uri == "models:/fraud/1"

    fetched = registry.store.get_version("fraud", 1, workspace=registry.workspace)
    assert fetched.files == created.files and fetched.lineage == lineage
    assert fetched.signature == {"inputs": [{"name": "amount", "dtype": "float64"}]}
    assert fetched.tags == {"stage": "exp"} and fetched.description == "first"
    assert fetched.created_at == created.created_at and fetched.aliases == ()


def test_versions_number_from_one_and_list_in_order(registry: Registry) -> None:
    registry.model()
    registry.model("other")
    assert [registry.version().version for _ in range(3)] == [1, 2, 3]
    assert registry.version("other").version == 1
    registry.version(status=VersionStatus.PENDING_VALIDATION)
    listed = registry.store.list_versions("fraud", workspace=registry.workspace)
    assert [v.version for v in listed] == [1, 2, 3, 4]
    pending = registry.store.list_versions(
        "fraud", workspace=registry.workspace, status=VersionStatus.PENDING_VALIDATION
    )
    assert [v.version for v in pending] == [4]
    assert registry.store.get_model("fraud", workspace=registry.workspace).latest_version == 4
    latest = registry.store.get_latest_version("fraud", workspace=registry.workspace)
    assert latest.version == 3  # the newest READY one
    assert registry.store.get_latest_version("fraud", workspace=registry.workspace, status=None).version == 4


def test_versions_are_immutable_except_status_description_tags(registry: Registry) -> None:
    registry.model()
    created = registry.version(metrics={"auc": 0.9}, tags={"a": "1"})
    created.files["model.skops"] = sha("tampered")  # editing a returned copy changes nothing stored
    created.metrics["auc"] = 1.0
    updated = registry.store.update_version(
        "fraud", 1, workspace=registry.workspace, description="better words", tags={"b": "2"}
    )
    assert updated.description == "better words" and updated.tags == {"b": "2"}
    stored = registry.store.get_version("fraud", 1, workspace=registry.workspace)
    assert stored.files["model.skops"] == sha("model") and stored.metrics == {"auc": 0.9}
    assert stored.source_uri == "runs:/0123/model" and stored.created_at == updated.created_at
    with pytest.raises(TypeError):
        registry.store.update_version("fraud", 1, workspace=registry.workspace, files={})  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        stored.metrics = {}  # type: ignore[misc]


def test_set_status_and_archive_rules(registry: Registry) -> None:
    registry.model()
    registry.version(status=VersionStatus.PENDING_VALIDATION)
    ready = registry.store.set_status(
        "fraud", 1, VersionStatus.READY, actor="ci", reason="validated", workspace=registry.workspace
    )
    assert ready.status is VersionStatus.READY
    registry.store.set_alias("fraud", "champion", 1, actor="ana", workspace=registry.workspace)
    with pytest.raises(ConflictError) as caught:
        registry.store.set_status(
            "fraud", 1, VersionStatus.ARCHIVED, actor="ana", workspace=registry.workspace
        )
    assert caught.value.details["aliases"] == ["champion"]
    registry.version()
    registry.store.set_status("fraud", 2, VersionStatus.ARCHIVED, actor="ana", workspace=registry.workspace)
    with pytest.raises(ConflictError):
        registry.store.set_alias("fraud", "challenger", 2, actor="ana", workspace=registry.workspace)
    entries = registry.store.audit_log("fraud", workspace=registry.workspace)
    statuses = [(e.action.value, e.from_status, e.to_status, e.actor, e.reason) for e in entries]
    assert statuses[0] == (
        "status_changed",
        VersionStatus.PENDING_VALIDATION,
        VersionStatus.READY,
        "ci",
        "validated",
    )
    assert statuses[-1] == ("status_changed", VersionStatus.READY, VersionStatus.ARCHIVED, "ana", None)


# === aliases and URIs =============================================================================
def test_aliases_point_at_one_version_and_move(registry: Registry) -> None:
    registry.model()
    for _ in range(3):
        registry.version()
    moved = registry.store.set_alias("fraud", "champion", 1, actor="ana", workspace=registry.workspace)
    assert moved.version == 1 and moved.aliases == ("champion",)
    registry.store.set_alias("fraud", "challenger", 2, actor="bo", workspace=registry.workspace)
    registry.store.set_alias(
        "fraud", "champion", 3, actor="ana", reason="better auc", workspace=registry.workspace
    )
    assert registry.store.get_version_by_alias("fraud", "champion", workspace=registry.workspace).version == 3
    assert registry.store.get_model("fraud", workspace=registry.workspace).aliases == {
        "challenger": 2,
        "champion": 3,
    }
    assert registry.store.get_version("fraud", 1, workspace=registry.workspace).aliases == ()
    registry.store.delete_alias(
        "fraud", "challenger", actor="bo", reason="done", workspace=registry.workspace
    )
    with pytest.raises(NotFoundError):
        registry.store.get_version_by_alias("fraud", "challenger", workspace=registry.workspace)
    with pytest.raises(NotFoundError):
        registry.store.delete_alias("fraud", "challenger", actor="bo", workspace=registry.workspace)
    with pytest.raises(NotFoundError):
        registry.store.set_alias("fraud", "champion", 9, actor="ana", workspace=registry.workspace)


def test_resolve_model_uris(registry: Registry) -> None:
    registry.model()
    registry.version()
    registry.version()
    registry.version(status=VersionStatus.PENDING_VALIDATION)
    registry.store.set_alias("fraud", "champion", 1, actor="ana", workspace=registry.workspace)
    resolve = registry.store.resolve
    assert resolve("models:/fraud@champion", workspace=registry.workspace).version == 1
    assert resolve("models:/fraud/2", workspace=registry.workspace).version == 2
    assert resolve("models:/fraud/latest", workspace=registry.workspace).version == 2
    for unknown in ("models:/fraud/9", "models:/fraud@gone", "models:/ghost/1", "models:/ghost/latest"):
        with pytest.raises(NotFoundError):
            resolve(unknown, workspace=registry.workspace)
    for malformed in (
        "runs:/abc/model",
        "models:/fraud",
        "models:/fraud/",
        "models:/fraud/v2",
        "models:/@x",
        "",
    ):
        with pytest.raises(InvalidInputError) as caught:
            resolve(malformed, workspace=registry.workspace)
        assert caught.value.details["field"] == "uri"


# === input rules ==================================================================================
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"source_uri": ""}, "source_uri"),
        ({"storage_uri": ""}, "storage_uri"),
        ({"files": {"../escape": sha("x")}}, "files"),
        ({"files": {"/abs": sha("x")}}, "files"),
        ({"files": {"model.bin": "not-a-digest"}}, "files.model.bin"),
        ({"metrics": {"auc": "high"}}, "metrics.auc"),
        ({"lineage": {"bad": float("nan")}}, "lineage"),
        ({"status": VersionStatus.ARCHIVED}, "status"),
        ({"tags": {"k": 1}}, "tags.k"),
    ],
)
def test_bad_version_input_names_the_field(registry: Registry, kwargs: dict[str, object], field: str) -> None:
    registry.model()
    with pytest.raises(InvalidInputError) as caught:
        registry.version(**kwargs)
    assert caught.value.details["field"] == field
    assert registry.store.list_versions("fraud", workspace=registry.workspace) == []


@pytest.mark.parametrize("alias", ["Champion", "latest", "42", "", "with space", "a/b", "x" * 65, "-lead"])
def test_bad_aliases_are_refused(registry: Registry, alias: str) -> None:
    registry.model()
    registry.version()
    with pytest.raises(InvalidInputError) as caught:
        registry.store.set_alias("fraud", alias, 1, actor="ana", workspace=registry.workspace)
    assert caught.value.details["field"] == "alias"


def test_bad_names_actor_and_workspace_are_refused(registry: Registry) -> None:
    for name in ("", "has/slash", "at@sign", " lead", "x" * 300):
        with pytest.raises(InvalidInputError) as caught:
            registry.model(name)
        assert caught.value.details["field"] == "name"
    with pytest.raises(InvalidInputError) as caught:
        registry.store.create_model("ok", workspace="Bad Space")
    assert caught.value.details["field"] == "workspace"
    registry.model()
    registry.version()
    with pytest.raises(InvalidInputError) as caught:
        registry.store.set_alias("fraud", "champion", 1, actor="", workspace=registry.workspace)
    assert caught.value.details["field"] == "actor"
    with pytest.raises(InvalidInputError) as caught:
        registry.store.get_version("fraud", 0, workspace=registry.workspace)
    assert caught.value.details["field"] == "version"
