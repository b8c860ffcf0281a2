"""Model URIs: `models:/<name>@<alias>`, `models:/<name>/<version>` and `models:/<name>/latest`."""

from __future__ import annotations

from dataclasses import dataclass

from opsloop.errors import InvalidInputError
from opsloop.registry.validation import validate_alias, validate_model_name, validate_version

SCHEME = "models:/"


@dataclass(frozen=True, slots=True)
class ModelRef:
    """What a model URI points at: exactly one of `version`, `alias`, or `latest`."""

    name: str
    version: int | None = None
    alias: str | None = None

    @property
    def latest(self) -> bool:
        return self.version is None and self.alias is None

    def __str__(self) -> str:
        if self.alias is not None:
            return f"{SCHEME}{self.name}@{self.alias}"
        return f"{SCHEME}{self.name}/{'latest' if self.version is None else self.version}"


def parse_model_uri(uri: object) -> ModelRef:
    if not isinstance(uri, str) or not uri.startswith(SCHEME):
        raise _malformed(uri, "it must start with 'models:/'")
    rest = uri[len(SCHEME) :]
    try:
        if "@" in rest:
            name, alias = rest.split("@", 1)
            return ModelRef(validate_model_name(name, "uri"), alias=validate_alias(alias, "uri"))
        name, slash, selector = rest.partition("/")
        if not slash or not selector:
            raise _malformed(uri, "add '@<alias>', '/<version>' or '/latest' after the name")
        validate_model_name(name, "uri")
        if selector == "latest":
            return ModelRef(name)
        if not selector.isdigit():
            raise _malformed(uri, f"{selector!r} is neither a version number nor 'latest'")
        return ModelRef(name, version=validate_version(int(selector), "uri"))
    except InvalidInputError as exc:
        if exc.message.startswith("malformed model URI"):
            raise
        raise _malformed(uri, exc.message.removeprefix("uri: ")) from exc


def _malformed(uri: object, why: str) -> InvalidInputError:
    return InvalidInputError(
        f"malformed model URI {uri!r}: {why} (expected models:/<name>@<alias>, models:/<name>/<version> "
        "or models:/<name>/latest)",
        details={"field": "uri", "uri": str(uri)},
    )
