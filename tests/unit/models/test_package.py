"""The package folder: manifest contents, integrity checks, bad folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

from opsloop.errors import InvalidInputError
from opsloop.models import MANIFEST_FILE, ModelIntegrityError, load_model, read_manifest, save_model

Data = tuple[pd.DataFrame, np.ndarray]


@pytest.fixture()
def package(table: Data, tmp_path: Path) -> Path:
    X, y = table
    folder = tmp_path / "m"
    save_model(LogisticRegression().fit(X, y), folder, input_example=X.head(2), metrics={"auc": 0.8})
    return folder


def test_manifest_fields(package: Path) -> None:
    data = yaml.safe_load((package / MANIFEST_FILE).read_text())
    assert data["format_version"] == 1 and data["flavor"] == "sklearn"
    assert set(data["files"]) == {"model.skops"} and len(data["files"]["model.skops"]) == 64
    assert data["signature"]["inputs"][0] == {"name": "age", "type": "int64", "nullable": False}
    assert data["metrics"] == {"auc": 0.8} and data["source_run_id"] is None
    assert data["python_version"].startswith("3.") and data["created_at"]
    assert read_manifest(package).to_dict() == data


def test_tampered_file_is_refused(package: Path) -> None:
    with (package / "model.skops").open("ab") as model_file:
        model_file.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="does not match its manifest") as caught:
        load_model(package)
    assert caught.value.details["changed"] == ["model.skops"]


def test_added_or_missing_file_is_refused(package: Path) -> None:
    (package / "extra.pkl").write_bytes(b"x")
    with pytest.raises(ModelIntegrityError) as caught:
        load_model(package)
    assert caught.value.details["unexpected"] == ["extra.pkl"]
    (package / "extra.pkl").unlink()
    (package / "model.skops").unlink()
    with pytest.raises(ModelIntegrityError) as caught:
        load_model(package)
    assert caught.value.details["missing"] == ["model.skops"]


def test_missing_and_invalid_manifests(package: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not a model package"):
        load_model(tmp_path / "nowhere")
    (package / MANIFEST_FILE).write_text("format_version: 99\n")
    with pytest.raises(InvalidInputError, match="unsupported format_version"):
        load_model(package)
    (package / MANIFEST_FILE).write_text("[unclosed\n")
    with pytest.raises(InvalidInputError, match="not valid YAML"):
        load_model(package)


def test_save_refuses_a_non_empty_folder_and_unknown_flavor(package: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not an empty folder"):
        save_model(LogisticRegression(), package)
    with pytest.raises(InvalidInputError, match="unknown model flavor"):
        save_model(LogisticRegression(), tmp_path / "other", flavor="keras")
    with pytest.raises(InvalidInputError, match="cannot tell the flavor"):
        save_model(42, tmp_path / "other")
    assert not (tmp_path / "other").exists()
