"""Model URIs and the registry's input rules."""

from __future__ import annotations

import pytest

from opsloop.errors import InvalidInputError
from opsloop.registry.uris import ModelRef, parse_model_uri
from opsloop.registry.validation import validate_alias, validate_files, validate_model_name


@pytest.mark.parametrize(
    ("uri", "ref"),
    [
        ("models:/fraud@champion", ModelRef("fraud", alias="champion")),
        ("models:/fraud/3", ModelRef("fraud", version=3)),
        ("models:/fraud/latest", ModelRef("fraud")),
        ("models:/my.model-v2@shadow_1", ModelRef("my.model-v2", alias="shadow_1")),
    ],
)
def test_parse_model_uri(uri: str, ref: ModelRef) -> None:
    assert parse_model_uri(uri) == ref
    assert str(ref) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "models:/fraud",
        "models:fraud/1",
        "models:/fraud/0",
        "models:/fraud/-1",
        "models:/fraud@",
        "models:/fraud@latest",
        "models:/fraud/1/2",
        "models:/a b/1",
        None,
        "models:/fraud@Champion",
    ],
)
def test_malformed_uris_name_the_uri_field(uri: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_model_uri(uri)
    assert caught.value.details["field"] == "uri"
    assert "malformed model URI" in caught.value.message


def test_alias_rules() -> None:
    for good in ("champion", "challenger", "v2", "blue-green", "a_b", "2024q1"):
        assert validate_alias(good) == good
    for bad in ("latest", "123", "UPPER", "", "-x", "a.b"):
        with pytest.raises(InvalidInputError):
            validate_alias(bad)


def test_model_name_rules() -> None:
    assert validate_model_name("Fraud_v2.1-x") == "Fraud_v2.1-x"
    for bad in ("", ".hidden", "a/b", "a@b", "a b"):
        with pytest.raises(InvalidInputError):
            validate_model_name(bad)


def test_files_are_sorted_relative_paths_with_sha256() -> None:
    digest = "a" * 64
    assert list(validate_files({"z.bin": digest, "a/b.txt": digest})) == ["a/b.txt", "z.bin"]
    for bad in ({"a/../b": digest}, {"./a": digest}, {"a//b": digest}, {"a": "A" * 64}):
        with pytest.raises(InvalidInputError):
            validate_files(bad)
