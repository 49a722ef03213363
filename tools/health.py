"""`make health`: every service's `/ready` as a table; exit 1 if any is not ready."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

from shared.i18n import _
from shared.tables import pad
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
        return 0, _("no answer ({reason})").format(reason=getattr(exc, "reason", exc))


def health_table(rows: list[tuple[ServiceSpec, int, str]]) -> str:
    """One line per service: its name, where it answers, whether it is ready, its status and checks."""
    service, url, ready, detail = _("service"), _("url"), _("ready"), _("detail")
    yes, no = _("yes"), _("NO")
    lines = [f"{pad(service, 18)} {pad(url, 24)} {pad(ready, 6)} {detail}"]
    lines += [f"{spec.name:<18} {spec.url:<24} {pad(yes if status == 200 else no, 6)} {status or '-'} {checks}"
              for spec, status, checks in rows]
    return "\n".join(lines)


def main() -> int:
    rows = [(spec, *readiness(spec)) for spec in present()]
    print(health_table(rows))
    return 0 if rows and all(status == 200 for _, status, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
