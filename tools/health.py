"""`make health`: every service's `/ready` as a table; exit 1 if any is not ready."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

from tools.suite import ServiceSpec, present


def readiness(spec: ServiceSpec, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{spec.url}/ready", timeout=timeout) as response:
            body = json.loads(response.read())
            return response.status, ", ".join(f"{k} {v}" for k, v in body.get("checks", {}).items())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
        return exc.code, ", ".join(f"{k}: {v}" for k, v in body.get("checks", {}).items())
    except (OSError, ValueError) as exc:
        return 0, f"no answer ({getattr(exc, 'reason', exc)})"


def main() -> int:
    rows = [(spec, *readiness(spec)) for spec in present()]
    print(f"{'service':<18} {'url':<24} {'ready':<6} detail")
    for spec, status, detail in rows:
        print(f"{spec.name:<18} {spec.url:<24} {'yes' if status == 200 else 'NO':<6} {status or '-'} {detail}")
    return 0 if rows and all(status == 200 for _, status, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
