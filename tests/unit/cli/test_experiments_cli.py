"""`opsloop experiments list|create|archive|restore` on the embedded store."""

from __future__ import annotations

from typing import Any


def test_create_archive_restore_and_list(cli: Any, sdk: Any) -> None:
    sdk.store.create_experiment("baseline", workspace="default")

    created_result, duplicate, bad_tag, unknown = cli.many(
        [
            "experiments",
            "create",
            "churn",
            "--description",
            "churn model",
            "--tag",
            "team=ml",
            "-t",
            "k=a=b",
            "--json",
        ],
        ["experiments", "create", "baseline"],
        ["experiments", "create", "x", "--tag", "novalue"],
        ["experiments", "archive", "no-such-experiment"],
    )
    created = created_result.json()
    assert created["name"] == "churn"
    assert created["description"] == "churn model"
    assert created["tags"] == {"team": "ml", "k": "a=b"}
    assert created["lifecycle_stage"] == "active"
    assert len(created["id"]) == 32
    assert "already exists" in duplicate.assert_error()
    assert bad_tag.assert_error() == "error: bad --tag 'novalue': expected KEY=VALUE"
    assert "experiment 'no-such-experiment' not found" in unknown.assert_error()
    assert sdk.store.get_experiment_by_name("x", workspace="default") is None

    archived = cli("experiments", "archive", "churn")
    assert archived.code == 0, archived
    assert "archived experiment 'churn'" in archived.stdout

    active, everything = cli.many(["experiments", "list", "--json"], ["experiments", "list", "--all"])
    assert [item["name"] for item in active.json()] == ["baseline"]
    assert everything.code == 0, everything
    churn_row = next(line for line in everything.stdout.splitlines() if "churn" in line)
    assert "archived" in churn_row
    assert "team=ml" in churn_row
    assert created["id"] in churn_row

    restored = cli("experiments", "restore", created["id"])  # by id this time
    assert restored.code == 0, restored
    assert "restored experiment 'churn'" in restored.stdout
    assert not sdk.store.get_experiment(created["id"]).archived
