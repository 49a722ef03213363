"""The Open Contracting Data Standard 1.1.5 schemas the district's export is validated against, offline.

They are kept beside the project, at `../shared/ocds-1.1.5` from its root (a checkout nested deeper, such as a
worktree, finds them at the nearest ancestor that has `shared/ocds-1.1.5`), or where `OCDS_SCHEMA_DIR` says. A
test that needs them fails, never skips, when they are not there: an export nobody validates is not published.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.support.processes import ROOT

SCHEMA_BASE = "https://standard.open-contracting.org/schema/1__1__5/"
SCHEMAS = ("release-schema.json", "release-package-schema.json")


def schema_dir() -> Path:
    """Where the 1.1.5 schemas are; AssertionError naming every place looked at when they are nowhere."""
    configured = os.environ.get("OCDS_SCHEMA_DIR")
    places = [Path(configured)] if configured else [base / "shared" / "ocds-1.1.5" for base in ROOT.parents]
    for place in places:
        if all((place / name).is_file() for name in SCHEMAS):
            return place
    raise AssertionError("the OCDS 1.1.5 schemas (release-schema.json, release-package-schema.json) are not in "
                         f"{', '.join(str(p) for p in places)}; put them at ../shared/ocds-1.1.5 beside the project "
                         "or set OCDS_SCHEMA_DIR")


def ocds_errors(document: dict[str, Any]) -> list[str]:
    """Every way a release package breaks the OCDS 1.1.5 schemas."""
    place = schema_dir()
    package = json.loads((place / "release-package-schema.json").read_text())
    registry = Registry().with_resources(
        (SCHEMA_BASE + name, Resource(json.loads((place / name).read_text()), specification=DRAFT4))
        for name in SCHEMAS)
    return [f"{list(e.path)}: {e.message}" for e in Draft4Validator(package, registry=registry).iter_errors(document)]
