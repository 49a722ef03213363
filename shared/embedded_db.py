"""Launcher for the embedded MongoDB-compatible server (SecantusDB) used where MONGO_URL is unset.

It runs as its own process (`secantusd-py`), which also keeps its GPL-2.0 code out of ours. Its URL carries
`retryWrites=false`: with retryable writes on, SecantusDB 0.7's single inserts slow down as its retry registry
grows (DESIGN.md); a real MongoDB keeps the driver's default.

It runs standalone (`--standalone`), not as the one-node replica set it advertises by default. Transactions, unique
indexes and sessions are the same either way; only a replica set keeps an oplog, which the services never read
(they use no change streams), and SecantusDB writes an oplog entry for every document a statement changes: a
catalog-like group commit cost its server 15-25 % more CPU per event with it (bench/PROFILE.md).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from shared.settings import embedded_mongo_url

# Where `free_port` looks first: below the range the system hands out for outgoing connections.
LISTENING_PORTS = range(20_000, 32_768)


def _outgoing_ports() -> range:
    """The ports the system gives outgoing connections (Linux's ip_local_port_range; its default elsewhere)."""
    try:
        low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        return range(32_768, 61_000)
    return range(low, high + 1)


def free_port() -> int:
    """A port nothing listens on now, for a server started next.

    Taken outside the range of outgoing connections' ports where it can be: a port of that range, free when
    asked, can become the local end of any process's next connection before the server given it has bound it
    (the district's year in a benchmark lost its matching service so: "address already in use"), while the
    ports below it are only ever taken by a server asking for one.
    """
    outgoing = _outgoing_ports()
    candidates = [p for p in LISTENING_PORTS if p not in outgoing]
    for port in random.sample(candidates, min(len(candidates), 200)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # none free there: any the system gives
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_command() -> list[str]:
    exe = Path(sys.executable).with_name("secantusd-py")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("secantusd-py")
    if found is None:
        raise RuntimeError("the embedded database server (secantusd-py) is not installed: run `make install`, or "
                           "`pip install -e '.[embedded]'`, or set MONGO_URL to a MongoDB server")
    return [found]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class EmbeddedServer:
    """A running SecantusDB process with its storage folder."""

    port: int
    storage: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return embedded_mongo_url(self.port)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(storage: Path, port: int | None = None, log: Path | None = None, timeout: float = 30.0) -> EmbeddedServer:
    """Start SecantusDB on `port` (a free one if None) over `storage`; return once it accepts connections."""
    port = port or free_port()
    if _answers(port):
        raise RuntimeError(f"port {port} is already taken; is another database running there?")
    storage.mkdir(parents=True, exist_ok=True)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - the child owns the handle
    cmd = [*_server_command(), "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(storage),
           "--log-level", "WARNING", "--standalone"]
    process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + timeout
    while not _answers(port):
        if process.poll() is not None:
            raise RuntimeError(f"secantusd-py exited with {process.returncode}; see {log or 'its output'}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"secantusd-py did not listen on {port} within {timeout:.0f}s")
        time.sleep(0.05)
    return EmbeddedServer(port=port, storage=storage, process=process)
