"""`make asyncapi`: each service's document lists its channels and the schemas of their messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import asyncapi
from tools.suite import present


def test_the_catalog_document_lists_its_channels_and_message_schemas(tmp_path: Path) -> None:
    asyncapi.main(str(tmp_path))
    doc = json.loads((tmp_path / "catalog.json").read_text())
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {"intake.project.proposed", "intake.project.withdrawn", "matching.contract.awarded",
            "evaluation.contract.evaluated", "catalog.project.published", "catalog.project.rejected",
            "catalog.project.status_changed"} <= addresses
    schemas = json.dumps(doc["components"], ensure_ascii=False)
    for field in ("project_ref", "budget_fen", "min_grade", "correlation_id", "errors", "previous"):
        assert f'"{field}"' in schemas


@pytest.mark.parametrize("spec", present(), ids=lambda s: s.name)
def test_every_service_documents_at_least_one_consumed_and_one_published_event(spec: object) -> None:
    doc = asyncapi.document(spec.module)  # type: ignore[attr-defined]
    actions = {op["action"] for op in doc["operations"].values()}
    assert actions == {"receive", "send"}
