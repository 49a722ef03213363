"""A bench script's vhost leaves no user behind: its users exist for the run and are removed after it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.endpoints import _is_local, rabbitmqctl

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import sys
    from tests.support.endpoints import SESSION_PREFIX, rabbitmqctl, script_vhost

    def mine() -> int:
        return sum(line.startswith(SESSION_PREFIX) for line in rabbitmqctl("list_users").stdout.splitlines())

    with script_vhost(sys.argv[1]):
        print(SESSION_PREFIX, mine(), flush=True)
""")


def test_a_script_vhost_removes_the_users_it_provisioned(rabbit_base_url: str) -> None:
    if not (_is_local(rabbit_base_url) and shutil.which("rabbitmqctl")):
        pytest.skip("users are provisioned only on a local broker that rabbitmqctl reaches")
    done = subprocess.run([sys.executable, "-c", SCRIPT, rabbit_base_url], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=True)
    prefix, during = done.stdout.split()
    assert int(during) == 8  # the five services, the kernel's test service, the operator, the external publisher
    left = [line for line in rabbitmqctl("list_users").stdout.splitlines() if line.startswith(prefix)]
    assert left == []


PARTS = textwrap.dedent("""
    import asyncio, sys
    import aio_pika
    from bench.run import part_vhost

    async def left(url: str) -> None:
        connection = await aio_pika.connect(url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue("catalog.contract-awarded-left", durable=True)
            await channel.default_exchange.publish(aio_pika.Message(b"an award"), routing_key=queue.name)

    async def found(url: str) -> bool:
        connection = await aio_pika.connect(url)
        async with connection:
            channel = await connection.channel()
            try:
                await channel.declare_queue("catalog.contract-awarded-left", passive=True)
            except aio_pika.exceptions.ChannelClosed:
                return False
            return True

    commands = []
    with part_vhost(commands) as first:
        asyncio.run(left(first))
        assert asyncio.run(found(first))
    with part_vhost(commands) as second:
        print(first != second, asyncio.run(found(second)), len(commands), flush=True)
    print(first.rsplit("/", 1)[-1], second.rsplit("/", 1)[-1], flush=True)
""")


def test_each_bench_part_runs_in_a_vhost_of_its_own(rabbit_base_url: str) -> None:
    """A service's queues outlive its process: what one part left waiting must not reach the next part."""
    if not (_is_local(rabbit_base_url) and shutil.which("rabbitmqctl")):
        pytest.skip("a vhost of its own is made only on a local broker that rabbitmqctl reaches")
    done = subprocess.run([sys.executable, "-c", PARTS], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=True, env={**os.environ, "RABBITMQ_URL": rabbit_base_url})
    separate, found_again, commands, *names = done.stdout.split()
    assert (separate, found_again, commands) == ("True", "False", "2")
    vhosts = rabbitmqctl("list_vhosts").stdout.splitlines()
    assert len(names) == 2 and not set(names) & set(vhosts)  # both deleted after their parts
