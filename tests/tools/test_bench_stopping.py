"""A bench run stopped from outside (SIGTERM: a `timeout`, a CI's stop) stops what it started before it exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RUN = textwrap.dedent("""
    import asyncio, subprocess, sys
    from bench import stopping

    async def main() -> None:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        try:
            print(child.pid, flush=True)
            await asyncio.sleep(600)
        finally:  # what a bench's `with` around a service or the database does
            child.terminate()
            child.wait()
            print("stopped", flush=True)

    stopping.run(main())
""")


def test_sigterm_cancels_the_run_so_what_it_started_is_stopped_before_it_exits() -> None:
    run = subprocess.Popen([sys.executable, "-c", RUN], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None
        child = int(run.stdout.readline())
        os.kill(child, 0)  # running
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=30) == 128 + signal.SIGTERM
        assert run.stdout.read().strip() == "stopped"
    finally:
        run.kill()
    try:
        os.kill(child, 0)
    except ProcessLookupError:
        return
    raise AssertionError(f"the run's child {child} outlived it")
