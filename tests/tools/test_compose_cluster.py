"""The cluster's compose file (deploy/compose.cluster.yml), checked without a Docker engine: schema-valid, every
service under the `cluster` profile, three broker nodes clustered by classic-config peer discovery, a three-member
MongoDB replica set, and two replicas of each service, each preferring another broker node and naming all three."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
import yaml

from shared.settings import BusSettings
from tests.support.schemas import compose_schema
from tests.tools.test_compose import ROOT, environment_names, settings_class
from tools.suite import SUITE

CLUSTER_FILE = ROOT / "deploy" / "compose.cluster.yml"
CLUSTER: dict[str, Any] = yaml.safe_load(CLUSTER_FILE.read_text())
BROKERS = ["rabbitmq-1", "rabbitmq-2", "rabbitmq-3"]
MEMBERS = ["mongo-1", "mongo-2", "mongo-3"]


def replicas(name: str) -> list[dict[str, Any]]:
    return [CLUSTER["services"][f"{name}-{letter}"] for letter in "ab"]


def test_the_cluster_file_is_valid_against_the_compose_specification_and_a_project_of_its_own() -> None:
    jsonschema.validate(CLUSTER, compose_schema())
    assert CLUSTER["name"] == "district-cluster"
    assert all(spec.get("profiles") == ["cluster"] for spec in CLUSTER["services"].values())


def test_three_broker_nodes_find_each_other_by_classic_config_and_share_one_cookie() -> None:
    conf = (ROOT / "deploy/rabbitmq/cluster.conf").read_text()
    assert "cluster_formation.peer_discovery_backend = classic_config" in conf
    assert set(re.findall(r"classic_config\.nodes\.\d+ = rabbit@(\S+)", conf)) == set(BROKERS)
    assert "cluster_partition_handling = pause_minority" in conf
    start = (ROOT / "deploy/rabbitmq/cluster-start.sh").read_text()
    assert "RABBITMQ_CLUSTER_COOKIE" in start and "20-cluster.conf" in start
    assert start.rstrip().splitlines()[-1].startswith("exec bash /deploy/rabbitmq/start.sh")
    for name in BROKERS:
        node = CLUSTER["services"][name]
        assert node["hostname"] == name and node["image"].startswith("rabbitmq:4.")
        assert node["entrypoint"] == ["bash", "/deploy/rabbitmq/cluster-start.sh"]
        assert "provision.sh --check" in " ".join(node["healthcheck"]["test"])
        assert any(v.endswith(":/var/lib/rabbitmq") and v.startswith(f"{name}-data") for v in node["volumes"])


def test_the_database_is_a_three_member_replica_set_with_one_shared_key() -> None:
    initiate = (ROOT / "deploy/mongo/initiate-cluster.sh").read_text()
    assert set(re.findall(r'host: "(mongo-\d):27017"', initiate)) == set(MEMBERS)
    assert "service-users.js" in initiate and "healthy.js" in initiate
    assert "MONGO_REPLICA_KEY" in (ROOT / "deploy/mongo/cluster-start.sh").read_text()
    for name in MEMBERS:
        member = CLUSTER["services"][name]
        assert member["hostname"] == name and member["image"] == "mongo:7"
        assert "healthy.js" in " ".join(member["healthcheck"]["test"])
    init = CLUSTER["services"]["mongo-init"]
    assert {name: d["condition"] for name, d in init["depends_on"].items()} == dict.fromkeys(MEMBERS, "service_healthy")


@pytest.mark.parametrize("spec", SUITE, ids=lambda s: s.name)
def test_two_replicas_of_each_service_each_name_every_node_and_prefer_another(spec: Any) -> None:
    firsts = []
    for replica in replicas(spec.name):
        environment = replica["environment"]
        assert set(environment) <= environment_names(settings_class(spec.module))
        urls = BusSettings(RABBITMQ_URL=environment["RABBITMQ_URL"]).rabbitmq_urls
        hosts = [re.search(r"@([^:/]+):5672/$", url).group(1) for url in urls]  # type: ignore[union-attr]
        assert sorted(hosts) == BROKERS
        assert all(url.startswith(f"amqp://{spec.name}:") for url in urls)
        firsts.append(hosts[0])
        assert "mongo-1:27017,mongo-2:27017,mongo-3:27017" in environment["MONGO_URL"]
        assert "replicaSet=rs0" in environment["MONGO_URL"]
        assert {d: c["condition"] for d, c in replica["depends_on"].items()} == {
            **dict.fromkeys(BROKERS, "service_healthy"), "mongo-init": "service_completed_successfully"}
        assert replica["healthcheck"]["test"]
    assert len(set(firsts)) == 2


def test_every_secret_is_required_and_none_has_a_default() -> None:
    text = CLUSTER_FILE.read_text()
    secrets = [m for m in re.finditer(r"\$\{([A-Z0-9_]+)([^}]*)\}", text)
               if re.search(r"PASSWORD|KEY|SECRET|TOKEN|COOKIE", m.group(1))]
    assert {"RABBITMQ_CLUSTER_COOKIE", "MONGO_REPLICA_KEY"} <= {m.group(1) for m in secrets}
    assert [m.group(0) for m in secrets if not m.group(2).startswith(":?")] == []
    assert "local-dev" not in text and "guest" not in text


def test_each_replica_answers_on_a_host_port_of_its_own() -> None:
    ports = [p for spec in CLUSTER["services"].values() for p in spec.get("ports", [])]
    assert len(ports) == len(set(ports)) == len(BROKERS) + 2 * len(SUITE)
