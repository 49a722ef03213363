"""Where the replicas of `make dev REPLICAS=2 CLUSTER=1` connect: every node of `make cluster`, each replica
preferring another, and the services reading a comma-separated RABBITMQ_URL as that list of nodes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.settings import BusSettings
from tools import broker, cluster, dev
from tools.suite import SUITE


@pytest.fixture
def no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(broker, "ROOT", tmp_path)
    monkeypatch.delenv("CATALOG_AMQP_PASSWORD", raising=False)


def test_each_replica_names_all_three_nodes_its_own_first(no_env_file: None) -> None:
    first, second = cluster.urls("catalog", prefer=0), cluster.urls("catalog", prefer=1)
    assert first.split(",") == [f"amqp://catalog:catalog-local-dev@127.0.0.1:{port}/district-dev"
                                for port in (5682, 5683, 5684)]
    assert second.split(",") == first.split(",")[1:] + first.split(",")[:1]
    assert BusSettings(RABBITMQ_URL=second).rabbitmq_urls == second.split(",")


def test_the_cluster_has_ports_of_its_own_and_never_the_local_brokers() -> None:
    ports = {node.port for node in cluster.NODES} | {node.dist_port for node in cluster.NODES}
    assert len(ports) == 6 and not ports & {5672, 25672}
    assert all(node.nodename != "rabbit@localhost" and node.home.is_relative_to(cluster.BASE)
               for node in cluster.NODES)


def test_a_further_replica_answers_on_a_port_of_its_own_under_a_name_of_its_own() -> None:
    catalog = SUITE[0]
    assert dev.replica(catalog, 1) is catalog
    second = dev.replica(catalog, 2)
    assert (second.name, second.module, second.port) == ("catalog-2", "catalog", catalog.port + 100)
    assert len({dev.replica(spec, k).port for spec in SUITE for k in (1, 2, 3)}) == 3 * len(SUITE)


def test_one_url_is_a_list_of_one_and_every_url_of_a_list_must_be_amqp() -> None:
    assert BusSettings(RABBITMQ_URL="amqp://a:b@h:5672/").rabbitmq_urls == ["amqp://a:b@h:5672/"]
    assert BusSettings(RABBITMQ_URL=" amqp://h1/ , amqps://h2/ ").rabbitmq_urls == ["amqp://h1/", "amqps://h2/"]
    with pytest.raises(ValidationError, match="amqp://"):
        BusSettings(RABBITMQ_URL="amqp://h1/,http://h2/")
    with pytest.raises(ValidationError, match="amqp://"):
        BusSettings(RABBITMQ_URL=",")
