"""`make cluster` / `make cluster-stop`: a three-node RabbitMQ cluster of its own on this machine, without Docker.

Built from the Debian `rabbitmq-server`: three nodes `cluster1@localhost` .. `cluster3@localhost`, listening on
127.0.0.1:5682, 5683 and 5684 (distribution ports 25682-25684), each with its own configuration file, data and
logs under `.data/cluster/<node>`, run as the `rabbitmq` user (so they share its Erlang cookie) and joined with
`rabbitmqctl join_cluster`. The broker that serves everything else (rabbit@localhost on 5672, configured by
/etc/rabbitmq) is never reset, joined or stopped: every command here names one of the three nodes.

`start` starts the nodes (each once), joins the second and third to the first, and provisions the vhost
`district-dev` as `make dev` provisions its own (deploy/rabbitmq/provision.sh; a cluster shares its definitions).
Quorum queues declared on it have a replica on each of the three nodes. `stop` stops the three nodes; `status`
prints each node's state and which node leads how many quorum queues; `reset` also removes their data.

`make dev REPLICAS=2 CLUSTER=1` then runs two replicas of each service against it, each replica preferring another
node and reconnecting to a surviving one when its node goes (`shared.failover`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tools.broker import PROVISION, USERS, development_password, environment, password_variable

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / ".data" / "cluster"
RABBITMQ_HOME = Path("/var/lib/rabbitmq")  # the rabbitmq user's home: its Erlang cookie serves every node
SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
VHOST = "district-dev"


@dataclass(frozen=True)
class Node:
    name: str
    port: int

    @property
    def nodename(self) -> str:
        return f"{self.name}@localhost"

    @property
    def dist_port(self) -> int:
        return self.port + 20_000

    @property
    def home(self) -> Path:
        return BASE / self.name

    def url(self, user: str, password: str, vhost: str = VHOST) -> str:
        return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}/{quote(vhost, safe='')}"


NODES = (Node("cluster1", 5682), Node("cluster2", 5683), Node("cluster3", 5684))


def ctl(node: Node, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """rabbitmqctl against `node` only (the Debian wrapper runs it as the rabbitmq user, with its cookie)."""
    return subprocess.run(["rabbitmqctl", "-n", node.nodename, *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def answers(node: Node) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", node.port), timeout=1):
            return True
    except OSError:
        return False


def beam_pid(node: Node) -> int | None:
    """The node's Erlang VM, if it runs: the beam process whose environment names the node (the server does not
    write RABBITMQ_PID_FILE here, and the VM's command line does not name the node)."""
    wanted = f"RABBITMQ_NODENAME={node.nodename}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() != "beam.smp":
                continue
            if wanted in (proc / "environ").read_bytes().split(b"\0"):
                return int(proc.name)
        except OSError:
            continue
    return None


def _prepare(node: Node) -> None:
    for sub in ("mnesia", "log"):
        (node.home / sub).mkdir(parents=True, exist_ok=True)
    (node.home / "rabbitmq.conf").write_text(
        f"listeners.tcp.local = 127.0.0.1:{node.port}\n"
        "loopback_users = none\n"
        "disk_free_limit.absolute = 100MB\n"
        # Three nodes share one machine's memory: each takes at most 1/10 of it before blocking publishers.
        "vm_memory_high_watermark.relative = 0.1\n"
        "cluster_partition_handling = pause_minority\n"
        "log.file.level = info\n"
    )
    (node.home / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's, which names rabbit@localhost
    (node.home / "enabled_plugins").write_text("[].\n")
    shutil.chown(BASE, "rabbitmq", "rabbitmq")
    for path in [node.home, *node.home.rglob("*")]:
        shutil.chown(path, "rabbitmq", "rabbitmq")


def node_environment(node: Node) -> dict[str, str]:
    return {
        "HOME": str(RABBITMQ_HOME),
        "RABBITMQ_NODENAME": node.nodename,
        "RABBITMQ_NODE_PORT": str(node.port),
        "RABBITMQ_DIST_PORT": str(node.dist_port),
        "RABBITMQ_CONFIG_FILE": str(node.home / "rabbitmq.conf"),
        "RABBITMQ_CONF_ENV_FILE": str(node.home / "rabbitmq-env.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(node.home / "enabled_plugins"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(node.home / "advanced.config"),
        "RABBITMQ_MNESIA_BASE": str(node.home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(node.home / "log"),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
    }


def start_node(node: Node) -> bool:
    """Start `node` in the background unless it runs; True when it was started now."""
    if beam_pid(node) is not None:
        return False
    _prepare(node)
    assignments = " ".join(f"{k}={_shell(v)}" for k, v in node_environment(node).items())
    command = f"cd {RABBITMQ_HOME} && exec env {assignments} {SERVER}"
    with open(node.home / "log" / "console.log", "ab") as console:
        subprocess.Popen(["su", "rabbitmq", "-s", "/bin/bash", "-c", command], stdout=console,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    return True


def _shell(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def await_node(node: Node, timeout: float = 120) -> None:
    """Until `node` has booted (rabbitmqctl's await_startup fails at once while the VM is not reachable yet)."""
    began = time.monotonic()
    while True:
        done = ctl(node, "await_startup", "--timeout", "30", timeout=45)
        if done.returncode == 0:
            return
        waited = time.monotonic() - began
        if waited > timeout or (waited > 10 and beam_pid(node) is None):  # past the limit, or the VM has exited
            raise RuntimeError(f"{node.nodename} did not start: {done.stderr.strip()[:300]}; see {node.home / 'log'}")
        time.sleep(0.5)


def members(node: Node) -> set[str]:
    """The running members of `node`'s cluster, as it sees them."""
    done = ctl(node, "eval", "rabbit_nodes:all_running().")
    return {part.strip(" []'\n") for part in done.stdout.split(",") if "@" in part} if done.returncode == 0 else set()


def join(node: Node, seed: Node) -> None:
    if seed.nodename in members(node):
        return
    for args in (("stop_app",), ("reset",), ("join_cluster", seed.nodename), ("start_app",)):
        done = ctl(node, *args)
        if done.returncode != 0:
            raise RuntimeError(f"{node.nodename} {' '.join(args)}: {done.stderr.strip()[:400]}")


def provision(seed: Node, vhost: str = VHOST) -> None:
    env = environment()
    passwords = {password_variable(user): development_password(user, env) for user in USERS}
    done = subprocess.run(["bash", str(PROVISION), vhost], env={**env, **passwords, "PROVISION_NODE": seed.nodename},
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"provisioning {vhost} on the cluster failed: {done.stderr.strip()[:400]}")


def urls(user: str, prefer: int = 0, vhost: str = VHOST, password: str | None = None) -> str:
    """`user`'s RABBITMQ_URL on the cluster: all three nodes, node `prefer` (0-2) first."""
    secret = password if password is not None else development_password(user, environment())
    order = [NODES[(prefer + i) % len(NODES)] for i in range(len(NODES))]
    return ",".join(node.url(user, secret, vhost) for node in order)


def running() -> bool:
    """Whether the three nodes run and form one cluster."""
    return all(beam_pid(node) is not None for node in NODES) and len(members(NODES[0])) == len(NODES)


def live_node() -> Node:
    """A node of the cluster that runs (the first that does)."""
    for node in NODES:
        if beam_pid(node) is not None and answers(node):
            return node
    raise RuntimeError("no node of the cluster runs")


def start() -> int:
    began = time.monotonic()
    started = [node for node in NODES if start_node(node)]
    for node in NODES:
        await_node(node)
    booted = time.monotonic() - began
    for node in NODES[1:]:
        join(node, NODES[0])
    provision(NODES[0])
    running = members(NODES[0])
    print(f"cluster: {len(running)} nodes running ({', '.join(sorted(running))}); "
          f"{len(started)} started in {booted:.1f}s, joined and provisioned in {time.monotonic() - began:.1f}s")
    for node in NODES:
        print(f"  {node.nodename:<20} amqp://127.0.0.1:{node.port}/{VHOST}  pid {beam_pid(node)}  "
              f"{memory_mb(node):.0f} MB resident  data {node.home}")
    print("cluster: `make dev REPLICAS=2 CLUSTER=1` runs the suite on it; `make cluster-stop` stops it")
    return 0 if len(running) == len(NODES) else 1


def memory_mb(node: Node) -> float:
    pid = beam_pid(node)
    if pid is None:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def kill_node(node: Node) -> int | None:
    """kill -9 the node's VM (a crash, for the drills); its pid, if it ran."""
    pid = beam_pid(node)
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
    return pid


def stop_node(node: Node) -> None:
    pid = beam_pid(node)
    if pid is None:
        return
    if ctl(node, "stop", timeout=90).returncode != 0:
        os.kill(pid, signal.SIGTERM)
    for _ in range(300):
        if beam_pid(node) is None:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def leaders(vhost: str = VHOST) -> Counter[str]:
    """How many quorum queues of `vhost` each node leads, asked of the first node that answers."""
    for node in NODES:
        if beam_pid(node) is None:
            continue
        done = ctl(node, "list_queues", "-p", vhost, "--no-table-headers", "-q", "name", "type", "leader")
        if done.returncode == 0:
            rows = [line.split("\t") for line in done.stdout.splitlines() if line.strip()]
            return Counter(row[2] for row in rows if len(row) >= 3 and row[1] == "quorum")
    return Counter()


def status() -> int:
    for node in NODES:
        pid = beam_pid(node)
        print(f"{node.nodename:<20} {'running' if pid else 'stopped':<8} pid {pid}  port {node.port}  "
              f"{memory_mb(node):.0f} MB")
    for name, count in sorted(leaders().items()):
        print(f"  {name} leads {count} quorum queues of {VHOST}")
    return 0


def stop(remove: bool = False) -> int:
    for node in reversed(NODES):
        if beam_pid(node) is not None:
            stop_node(node)
            print(f"cluster: stopped {node.nodename}")
    if remove and BASE.exists():
        shutil.rmtree(BASE)
        print(f"cluster: removed {BASE}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop", "status", "reset"])
    args = parser.parse_args()
    if args.action in ("start", "reset") and os.geteuid() != 0:
        print("cluster: the nodes run as the rabbitmq user, so this needs root (su rabbitmq)", file=sys.stderr)
        return 2
    try:
        if args.action == "start":
            return start()
        if args.action == "status":
            return status()
        return stop(remove=args.action == "reset")
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
