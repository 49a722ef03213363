"""Past one machine: the suite on `make cluster`'s three RabbitMQ nodes, two replicas of every service, a stream
of intakes across all five services, and meanwhile (a) the node leading the most quorum queues killed with
`kill -9` and restarted, (b) one replica of each service killed with `kill -9` and left dead.

What must hold: every intake answered, none answered twice, every effect stored once (the same checks as the
process-fault drills), every quorum queue led by a live node again within seconds, every surviving replica ready.
(c) A network partition is not simulated: this machine runs in a sandbox without iptables or nftables, and the
three nodes share the loopback interface, so no node's distribution port can be cut from the others alone (see
RESULTS.md and deploy/README.md for what the configuration does on a partition: `pause_minority`).

It needs root (the nodes run as the rabbitmq user) and the Debian rabbitmq-server; it starts the cluster itself when
it does not run and stops it afterwards, and never touches the broker on 5672. Its own vhost on the cluster is
removed at the end. Long (a few minutes, most of it the three-way replication of every message on two cores):
`make test-faults` only. `FAULT_EVENTS` (default 2000) sets the stream's size, `CLUSTER_FAULT_RATE` (default 60)
its pace in intakes per second.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.faults.support import drill as drills
from tests.faults.support.drill import MODULES, SEED, drill
from tests.faults.support.ledger import Ledger
from tests.faults.support.results import record
from tests.faults.support.workload import Stream
from tests.support.processes import SERVICE_USERS, ServiceProcess
from tools import cluster

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.slow]

EVENTS = int(os.environ.get("FAULT_EVENTS", "2000"))
RATE = float(os.environ.get("CLUSTER_FAULT_RATE", "60"))
REPLICAS = 2
LEASE_SECONDS = 5.0


def cluster_ctl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """rabbitmqctl against a live node of the cluster (the drill helpers' queue depths and consumers)."""
    return subprocess.run(["rabbitmqctl", "-n", cluster.live_node().nodename, "-q", *args], capture_output=True,
                          text=True, timeout=120, check=check)


@pytest.fixture(scope="module")
def cluster_vhost() -> Iterator[str]:
    """A vhost of the module's own on the three-node cluster, provisioned; its administrator's URLs (all nodes)."""
    if os.geteuid() != 0 or shutil.which("rabbitmqctl") is None or not cluster.SERVER.exists():
        pytest.skip("the cluster drill needs root and the Debian rabbitmq-server (make cluster)")
    started_here = not cluster.running()
    if started_here and cluster.start() != 0:
        pytest.fail("make cluster could not start its three nodes")
    vhost = f"district-drill-{uuid.uuid4().hex[:8]}"
    seed = cluster.live_node()
    cluster.provision(seed, vhost)
    assert cluster.ctl(seed, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*").returncode == 0
    try:
        yield cluster.urls("guest", vhost=vhost, password="guest")
    finally:
        for node in cluster.NODES:  # any node that runs: a failed drill may have left one down
            if cluster.beam_pid(node) is None:
                cluster.start_node(node)
                cluster.await_node(node)
        cluster.ctl(cluster.live_node(), "delete_vhost", vhost)
        if started_here:
            cluster.stop()


@dataclass
class NodeKill:
    node: str = ""
    leaders_before: dict[str, int] = field(default_factory=dict)
    leaders_after: dict[str, int] = field(default_factory=dict)
    at: float = 0.0
    seconds_to_elect: float = 0.0
    seconds_all_ready: float = 0.0
    not_ready_polls: int = 0
    polls: int = 0
    seconds_to_restart: float = 0.0
    members_after_restart: int = 0


@dataclass
class ReplicaKills:
    at: float = 0.0
    killed: list[str] = field(default_factory=list)
    seconds_all_ready: float = 0.0


def replica_env(module: str, vhost_url: str, mongo_url: str, prefix: str, k: int) -> dict[str, str]:
    user = SERVICE_USERS[module]
    vhost = drills.vhost_of(vhost_url)
    return {"RABBITMQ_URL": cluster.urls(user, prefer=k % len(cluster.NODES), vhost=vhost), "MONGO_URL": mongo_url,
            "MONGO_DATABASE_PREFIX": prefix, "DELIVERY_LIMIT": "5", "TRANSIENT_RETRY_SECONDS": "60",
            "DISTRICT_CLOCK": "drill", "DISTRICT_ENV": "development", "RELAY_LEASE_SECONDS": str(LEASE_SECONDS)}


async def all_ready(processes: list[ServiceProcess], timeout: float) -> tuple[float, int, int]:
    """Seconds until every process answers /ready 200; (seconds, polls answered otherwise, polls)."""
    started = time.monotonic()
    polls = wrong = 0
    while True:
        found = await asyncio.gather(*(asyncio.to_thread(p.ready_status) for p in processes))
        polls += len(found)
        wrong += sum(1 for status in found if status != 200)
        if all(status == 200 for status in found):
            return time.monotonic() - started, wrong, polls
        if time.monotonic() - started > timeout:
            raise AssertionError(f"/ready not all 200 within {timeout:.0f}s: {found}")
        await asyncio.sleep(0.2)


async def until_sent(stream: Stream, share: float, planned: int) -> None:
    """Until `share` of the `planned` intakes went out (or the stream has nothing left to send)."""
    for _ in range(6000):
        if len(stream.intakes) >= share * planned or not any(stream.queues.values()):
            return
        await asyncio.sleep(0.1)


async def kill_leading_node(vhost: str, processes: list[ServiceProcess], started: float) -> NodeKill:
    """kill -9 the node leading the most quorum queues of `vhost`; wait for new leaders; restart it."""
    kill = NodeKill()
    before = await asyncio.to_thread(cluster.leaders, vhost)
    kill.leaders_before = dict(before)
    kill.node = before.most_common(1)[0][0]
    node = next(n for n in cluster.NODES if n.nodename == kill.node)
    began = time.monotonic()
    kill.at = round(began - started, 1)
    assert await asyncio.to_thread(cluster.kill_node, node) is not None
    while True:  # every queue it led has a leader on a live node again
        now = await asyncio.to_thread(cluster.leaders, vhost)
        if sum(now.values()) >= sum(before.values()) and kill.node not in now:
            break
        if time.monotonic() - began > 120:
            raise AssertionError(f"quorum queues still led by the killed node after 120s: {dict(now)}")
        await asyncio.sleep(0.2)
    kill.seconds_to_elect = round(time.monotonic() - began, 1)
    kill.leaders_after = dict(now)
    _, kill.not_ready_polls, kill.polls = await all_ready(processes, 120)
    kill.seconds_all_ready = round(time.monotonic() - began, 1)
    await asyncio.sleep(5.0)  # the cluster runs on two nodes for a while
    restarted = time.monotonic()
    await asyncio.to_thread(cluster.start_node, node)
    await asyncio.to_thread(cluster.await_node, node)
    kill.seconds_to_restart = round(time.monotonic() - restarted, 1)
    kill.members_after_restart = len(await asyncio.to_thread(cluster.members, node))
    return kill


async def kill_one_replica_each(replicas: dict[str, list[ServiceProcess]], started: float) -> ReplicaKills:
    kills = ReplicaKills(at=round(time.monotonic() - started, 1))
    for name, processes in replicas.items():
        await asyncio.to_thread(processes[0].kill9)
        kills.killed.append(f"{name} (preferring {cluster.NODES[0].nodename})")
    survivors = [p for processes in replicas.values() for p in processes[1:]]
    kills.seconds_all_ready = round((await all_ready(survivors, 60))[0], 1)
    return kills


def slowest_intake(ledger: Ledger, intakes: list[str], node: NodeKill, kills: ReplicaKills) -> str:
    """Which intake waited longest for its answer, and when, against the faults' moments (s after the stream began)."""
    waits = {i: ledger.answered_at[i] - ledger.sent[i][1] for i in intakes if i in ledger.answered_at}
    if not waits:
        return "none answered"
    worst = max(waits, key=waits.__getitem__)
    first = min(ledger.sent[i][1] for i in intakes)
    confirmed = ledger.sent[worst][1] - first
    return (f"{ledger.sent[worst][0]}, confirmed at {confirmed:.1f}s, answered {waits[worst]:.1f}s later "
            f"(node killed at {node.at}s, replicas at {kills.at}s)")


@pytest.mark.timeout(1500)
async def test_a_node_and_a_replica_of_each_service_killed_mid_stream_lose_and_double_nothing(
    cluster_vhost: str, mongo_url: str, db_prefix: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(drills, "rabbitmqctl", cluster_ctl)
    vhost = drills.vhost_of(cluster_vhost)
    rng = random.Random(SEED)
    replicas: dict[str, list[ServiceProcess]] = {}
    memory_idle = {n.nodename: round(cluster.memory_mb(n)) for n in cluster.NODES}
    try:
        for name, module in MODULES.items():
            replicas[name] = [ServiceProcess(module, replica_env(module, cluster_vhost, mongo_url, db_prefix, k))
                              .start() for k in range(REPLICAS)]
        everyone = [p for processes in replicas.values() for p in processes]
        for process in everyone:
            process.wait_ready(120)
        faults: dict[str, Any] = {}

        def fault(stream: Stream) -> drills.Fault:
            planned = stream.planned

            async def run(started: float) -> None:
                await until_sent(stream, 0.25, planned)
                faults["node"] = await kill_leading_node(vhost, everyone, started)
                await until_sent(stream, 0.6, planned)
                faults["replicas"] = await kill_one_replica_each(replicas, started)

            return run

        result = await drill(cluster_vhost, mongo_url, db_prefix, EVENTS, fault, rng, lambda _: RATE)
        memory_after = {n.nodename: round(cluster.memory_mb(n)) for n in cluster.NODES}
    except BaseException:
        for processes in replicas.values():
            for process in processes:
                print(f"--- {process.module} log ---\n{process.log(30)}")
        raise
    finally:
        for processes in replicas.values():
            for process in processes:
                process.stop()
    node: NodeKill = faults["node"]
    kills: ReplicaKills = faults["replicas"]
    stall = result.ledger.longest_wait(result.stream.intakes)
    slowest = slowest_intake(result.ledger, result.stream.intakes, node, kills)
    record("cluster drill: three RabbitMQ nodes, two replicas of each service", {
        **result.figures(),
        "nodes": ", ".join(f"{n.nodename} (:{n.port})" for n in cluster.NODES),
        "replicas per service": REPLICAS, "relay lease (RELAY_LEASE_SECONDS)": LEASE_SECONDS,
        "(a) node killed (kill -9): the one leading the most quorum queues": node.node,
        "(a) killed at s (after the stream began)": node.at,
        "(a) quorum queue leaders before, by node": node.leaders_before,
        "(a) leader elections seen (queues the killed node led, each given a new leader)":
            node.leaders_before.get(node.node, 0),
        "(a) s until every queue had a live leader": node.seconds_to_elect,
        "(a) s until every replica answered /ready 200": node.seconds_all_ready,
        "(a) /ready polls answered other than 200 meanwhile": f"{node.not_ready_polls} of {node.polls}",
        "(a) leaders after the elections, by node": node.leaders_after,
        "(a) s for the killed node to start again and rejoin": node.seconds_to_restart,
        "(a) cluster members after the restart": node.members_after_restart,
        "(b) replicas killed (kill -9, left dead)": ", ".join(kills.killed),
        "(b) killed at s": kills.at,
        "(b) s until the surviving replicas all answered /ready 200": kills.seconds_all_ready,
        "(c) network partition": "not simulated: no iptables/nftables in this sandbox and the nodes share the "
                                 "loopback interface; the nodes run cluster_partition_handling = pause_minority",
        "worst wait of an intake for its answer (s from the broker's confirm)": round(stall, 1),
        "the intake that waited longest": slowest,
        "node memory, MB resident (idle, before the replicas)": memory_idle,
        "node memory, MB resident (after the stream)": memory_after,
    })
    result.check()
    assert node.members_after_restart == len(cluster.NODES)
    assert node.leaders_before.get(node.node, 0) > 0 and node.node not in node.leaders_after
    assert sorted(k.split(" ")[0] for k in kills.killed) == sorted(MODULES)
