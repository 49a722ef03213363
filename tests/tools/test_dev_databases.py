"""`make dev`'s databases: one embedded server per service where MONGO_URL is unset, the single server of an
earlier `make dev` kept where its data is, none where MONGO_URL is set (tools/dev.py, `start_databases`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from shared.embedded_db import free_port
from shared.settings import EMBEDDED_MONGO_PORTS, StoreSettings, embedded_mongo_url
from tools import dev
from tools.suite import SUITE


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tools/dev.py's folders under a temporary one and its ports free ones; whatever it started, stopped after."""
    monkeypatch.delenv("MONGO_URL", raising=False)
    monkeypatch.setattr(dev, "PIDS", tmp_path / "pids")
    monkeypatch.setattr(dev, "LOGS", tmp_path / "logs")
    monkeypatch.setattr(dev, "DATABASES", tmp_path / "databases")
    monkeypatch.setattr(dev, "SINGLE", tmp_path / "mongo")
    monkeypatch.setattr(dev, "EMBEDDED_MONGO_PORTS", {spec.module: free_port() for spec in SUITE})
    single = free_port()
    monkeypatch.setattr(dev, "EMBEDDED_MONGO_PORT", single)
    monkeypatch.setattr(dev, "EMBEDDED_MONGO_URL", embedded_mongo_url(single))
    try:
        yield tmp_path
    finally:
        dev.stop()


def answers(url: str) -> bool:
    with MongoClient(url, serverSelectionTimeoutMS=2000) as client:
        return client.admin.command("ping")["ok"] == 1


def test_each_service_finds_its_own_embedded_server_when_mongo_url_is_unset(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONGO_URL", raising=False)
    settings = StoreSettings()
    urls = {spec.name: settings.url_for(spec.name) for spec in SUITE}
    assert len(set(urls.values())) == len(SUITE)
    assert urls["training-grading"] == embedded_mongo_url(EMBEDDED_MONGO_PORTS["training_grading"])
    assert StoreSettings(MONGO_URL="mongodb://db:27017/?replicaSet=rs0").url_for("catalog") == (
        "mongodb://db:27017/?replicaSet=rs0")
    with pytest.raises(ValueError, match="MONGO_URL is unset and 'bench' is not a service"):
        settings.url_for("bench")


def test_make_dev_starts_a_database_per_service_and_stops_them(local: Path) -> None:
    assert dev.start_databases(list(SUITE)) == {}
    for spec in SUITE:
        assert (local / "databases" / spec.module).is_dir()
        assert answers(embedded_mongo_url(dev.EMBEDDED_MONGO_PORTS[spec.module]))
    pids = {name: dev._recorded(name) for name in dev.recorded_names()}
    assert sorted(pids) == sorted(f"database-{spec.name}" for spec in SUITE)
    assert dev.start_databases(list(SUITE)) == {}  # started once: a second start finds them running
    assert {name: dev._recorded(name) for name in dev.recorded_names()} == pids
    dev.stop()
    assert dev.recorded_names() == []
    assert not any(dev._alive(pid, "secantusd-py") for pid in pids.values() if pid is not None)


def test_the_single_server_of_an_earlier_make_dev_keeps_serving_all_five_with_its_data(local: Path) -> None:
    earlier = dev.embedded_db.start(local / "mongo", port=dev.EMBEDDED_MONGO_PORT)
    try:
        with MongoClient(earlier.url) as client:
            client["district_catalog"]["projects"].insert_one({"_id": "p-1", "title": "elderly day care"})
    finally:
        earlier.stop()
    assert dev.start_databases(list(SUITE)) == {"MONGO_URL": dev.EMBEDDED_MONGO_URL}
    assert dev.recorded_names() == ["database"]
    assert not (local / "databases").exists()
    with MongoClient(dev.EMBEDDED_MONGO_URL) as client:
        assert client["district_catalog"]["projects"].find_one({"_id": "p-1"}) == {
            "_id": "p-1", "title": "elderly day care"}


def test_with_mongo_url_set_no_database_is_started(local: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGO_URL", "mongodb://db:27017/?replicaSet=rs0")
    assert dev.start_databases(list(SUITE)) == {}
    assert dev.recorded_names() == []
    assert os.environ["MONGO_URL"] == "mongodb://db:27017/?replicaSet=rs0"
