"""The demo's compose overlay (deploy/compose.drill.yml): every service in drill mode, and nothing else changed."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import yaml

from shared.settings import ServiceSettings
from tests.support.schemas import compose_schema
from tests.tools.test_compose import ROOT
from tools.demo.suite import DRILL_OVERLAY
from tools.suite import SUITE

OVERLAY: dict[str, Any] = yaml.safe_load(DRILL_OVERLAY.read_text())


def test_the_drill_overlay_is_valid_against_the_compose_specification() -> None:
    jsonschema.validate(OVERLAY, compose_schema())


def test_the_drill_overlay_puts_every_service_in_drill_mode_and_changes_nothing_else() -> None:
    assert DRILL_OVERLAY.parent == ROOT / "deploy"
    assert set(OVERLAY["services"]) == {spec.name for spec in SUITE}
    for service in OVERLAY["services"].values():
        assert service == {"environment": {"DISTRICT_CLOCK": "drill", "DISTRICT_ENV": "development"}}


def test_the_settings_take_the_overlays_pair_and_refuse_drills_outside_development() -> None:
    environment = OVERLAY["services"]["matching"]["environment"]
    settings = ServiceSettings.model_validate({"calendar": {"DISTRICT_CLOCK": environment["DISTRICT_CLOCK"]},
                                               "DISTRICT_ENV": environment["DISTRICT_ENV"]})
    assert settings.calendar.clock == "drill"
    with pytest.raises(ValueError, match="only with DISTRICT_ENV=development"):
        ServiceSettings.model_validate({"calendar": {"DISTRICT_CLOCK": "drill"}, "DISTRICT_ENV": "production"})
