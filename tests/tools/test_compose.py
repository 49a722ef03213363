"""The compose file, checked without a Docker engine: schema-valid, complete, and in step with the settings."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic_settings import BaseSettings

from shared.settings import ServiceSettings
from tools.suite import SUITE, present

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "compose-spec" / "compose-spec.json"
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_class(module: str) -> type[ServiceSettings]:
    settings_module = importlib.import_module(f"services.{module}.settings")
    classes = [c for _, c in inspect.getmembers(settings_module, inspect.isclass)
               if issubclass(c, ServiceSettings) and c is not ServiceSettings]
    assert len(classes) == 1, f"services.{module}.settings should define one ServiceSettings subclass"
    return classes[0]


def environment_names(settings: type[BaseSettings]) -> set[str]:
    """Every environment variable a settings class (and the settings nested in it) reads."""
    names: set[str] = set()
    for field in settings.model_fields.values():
        if isinstance(field.validation_alias, str):
            names.add(field.validation_alias)
        annotation = field.annotation
        if inspect.isclass(annotation) and issubclass(annotation, BaseSettings):
            names |= environment_names(annotation)
    return names


@pytest.mark.skipif(not SPEC.exists(), reason="the Compose JSON Schema is not beside the project")
def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    jsonschema.validate(COMPOSE, json.loads(SPEC.read_text()))


def test_the_compose_file_names_every_service_with_the_broker_and_the_database() -> None:
    assert {s.name for s in SUITE} | {"rabbitmq", "mongo", "mongo-init"} <= set(COMPOSE["services"])


def test_the_database_runs_as_a_replica_set_and_the_broker_is_a_current_4x() -> None:
    assert COMPOSE["services"]["mongo"]["image"] == "mongo:7"
    assert "--replSet" in (ROOT / "deploy/mongo/start.sh").read_text()
    assert COMPOSE["services"]["rabbitmq"]["image"].startswith("rabbitmq:4.")


def test_services_start_only_once_broker_and_database_are_healthy() -> None:
    for spec in SUITE:
        depends = COMPOSE["services"][spec.name]["depends_on"]
        assert depends["rabbitmq"]["condition"] == "service_healthy"
        assert depends["mongo-init"]["condition"] == "service_completed_successfully"
    assert "HEALTHCHECK" in (ROOT / "deploy/Dockerfile").read_text()


@pytest.mark.parametrize("spec", present(), ids=lambda s: s.name)
def test_each_services_environment_is_what_its_settings_read(spec: Any) -> None:
    environment = COMPOSE["services"][spec.name]["environment"]
    read = environment_names(settings_class(spec.module))
    assert set(environment) <= read, f"compose sets variables {spec.module} never reads"
    assert {spec.port_var, "RABBITMQ_URL", "MONGO_URL"} <= set(environment)
    assert environment[spec.port_var] == "8000"
    assert "@rabbitmq:5672/" in environment["RABBITMQ_URL"]
    assert f"authSource=district_{spec.module}" in environment["MONGO_URL"]


@pytest.mark.parametrize("spec", present(), ids=lambda s: s.name)
def test_each_service_connects_as_its_own_user(spec: Any) -> None:
    environment = COMPOSE["services"][spec.name]["environment"]
    assert environment["RABBITMQ_URL"].startswith(f"amqp://{spec.name}:")
    assert environment["MONGO_URL"].startswith(f"mongodb://{spec.module}:")
