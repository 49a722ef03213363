"""The compose file, checked without a Docker engine: schema-valid, complete, in step with the settings, every
long-running service healthchecked and every secret required; its monitoring profile scraping every service, with a
dashboard and alert rules that name only metrics the services export."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic_settings import BaseSettings

from shared.service import Service
from shared.settings import ServiceSettings
from tests.support.schemas import compose_schema
from tools.suite import SUITE, present

ROOT = Path(__file__).resolve().parents[2]
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


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    jsonschema.validate(COMPOSE, compose_schema())


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


LONG_RUNNING = [name for name, spec in COMPOSE["services"].items() if spec.get("restart") != "no"]
MONITORING = ROOT / "deploy" / "monitoring"
PROMQL_WORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
                "offset"}


def test_every_long_running_service_has_a_healthcheck_and_the_one_shot_initialisation_none_is_needed() -> None:
    assert set(COMPOSE["services"]) - set(LONG_RUNNING) == {"mongo-init"}
    for name in LONG_RUNNING:
        assert COMPOSE["services"][name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_every_secret_is_required_and_none_has_a_default() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    secrets = [m for m in re.finditer(r"\$\{([A-Z0-9_]+)([^}]*)\}", text)
               if re.search(r"PASSWORD|KEY|SECRET|TOKEN", m.group(1))]
    assert secrets
    assert [m.group(0) for m in secrets if not m.group(2).startswith(":?")] == []
    assert "local-dev" not in text and "guest" not in text


def test_the_broker_loads_its_provisioning_at_every_boot_and_hands_its_process_to_the_images_entrypoint() -> None:
    start = (ROOT / "deploy/rabbitmq/start.sh").read_text()
    assert "load_definitions" in start and "provision.sh --definitions" in start
    assert start.rstrip().splitlines()[-1].startswith("exec docker-entrypoint.sh")
    health = " ".join(COMPOSE["services"]["rabbitmq"]["healthcheck"]["test"])
    assert "provision.sh --check" in health and "/tmp/" not in health


def test_the_databases_healthcheck_passes_only_for_the_replica_set_never_the_initdb_server() -> None:
    assert "healthy.js" in " ".join(COMPOSE["services"]["mongo"]["healthcheck"]["test"])
    assert "replSet" in (ROOT / "deploy/mongo/healthy.js").read_text()
    initiate = (ROOT / "deploy/mongo/initiate.sh").read_text()
    assert "healthy.js" in initiate and "service-users.js" in initiate
    assert "transactionLifetimeLimitSeconds" in (ROOT / "deploy/mongo/start.sh").read_text()
    assert "/docker-entrypoint-initdb.d" not in (ROOT / "docker-compose.yml").read_text()


def test_the_build_context_leaves_out_secrets_and_the_development_environment() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".env", ".venv", ".data", ".git"} <= set(ignored)


def test_the_monitoring_profile_adds_prometheus_and_grafana_only_under_that_profile() -> None:
    profiled = {name for name, spec in COMPOSE["services"].items() if spec.get("profiles")}
    assert profiled == {"prometheus", "grafana"}
    assert all(COMPOSE["services"][name]["profiles"] == ["monitoring"] for name in profiled)


def test_prometheus_scrapes_every_service_of_the_suite() -> None:
    config = yaml.safe_load((MONITORING / "prometheus/prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"{spec.name}:8000" for spec in SUITE}


def exported_metrics() -> set[str]:
    """Every sample name a service's /metrics holds (the kernel's and FastStream's families)."""
    registry = Service("catalog", ServiceSettings()).registry
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    return {family.name + suffix for family in registry.collect() for suffix in suffixes[family.type]} | {"up"}


def metric_names(expr: str) -> set[str]:
    """The metrics a PromQL expression reads: every name left once label matchers, ranges and groupings are gone,
    other than functions and keywords."""
    bare = re.sub(r"\b(by|without)\s*\([^)]*\)", "", re.sub(r"\[[^\]]*\]", "", re.sub(r"\{[^}]*\}", "", expr)))
    return {m.group(1) for m in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", bare)
            if not m.group(2) and m.group(1) not in PROMQL_WORDS}


def test_the_dashboard_parses_shows_what_the_issue_asks_and_names_only_metrics_the_services_export() -> None:
    dashboard = json.loads((MONITORING / "grafana/dashboards/district.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    used = set().union(*(metric_names(e) for e in exprs))
    assert used - exported_metrics() == set()
    assert {"district_deliveries_total", "district_handler_seconds_bucket", "district_outbox_unsent",
            "district_dead_letters", "district_ready", "district_queue_messages"} <= used
    provider = yaml.safe_load((MONITORING / "grafana/provisioning/dashboards/district.yml").read_text())
    assert provider["providers"][0]["options"]["path"] in {
        v.split(":")[1] for v in COMPOSE["services"]["grafana"]["volumes"]}


def test_the_alert_rules_cover_dead_letters_a_growing_backlog_and_readiness_with_exported_metrics() -> None:
    rules = yaml.safe_load((MONITORING / "prometheus/alerts.yml").read_text())["groups"][0]["rules"]
    by_name = {rule["alert"]: rule["expr"] for rule in rules}
    assert {"DeadLettersPresent", "OutboxBacklogGrowing", "ServiceNotReady"} <= set(by_name)
    assert set().union(*(metric_names(e) for e in by_name.values())) - exported_metrics() == set()
    assert "district_dead_letters" in by_name["DeadLettersPresent"]
    assert "district_ready" in by_name["ServiceNotReady"]
