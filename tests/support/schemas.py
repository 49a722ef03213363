"""The schemas the tests validate exports and deployment files against, kept in tests/schemas (see its README):
a fresh clone validates offline, and a missing schema fails the test instead of skipping it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
OCDS = SCHEMAS / "ocds-1.1.5"
COMPOSE = SCHEMAS / "compose-spec" / "compose-spec.json"
OCDS_BASE = "https://standard.open-contracting.org/schema/1__1__5/"


def _load(path: Path) -> Any:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the tests validate against it (tests/schemas/README.md)")
    return json.loads(path.read_text(encoding="utf-8"))


def ocds_errors(document: dict[str, Any]) -> list[str]:
    """Every way a release package breaks OCDS 1.1.5 (the schemas' `$ref`s resolved to the local copies)."""
    package = _load(OCDS / "release-package-schema.json")
    registry = Registry().with_resources(
        (OCDS_BASE + name, Resource(_load(OCDS / name), specification=DRAFT4))
        for name in ("release-schema.json", "release-package-schema.json"))
    return [f"{list(e.path)}: {e.message}" for e in Draft4Validator(package, registry=registry).iter_errors(document)]


def compose_schema() -> Any:
    return _load(COMPOSE)
