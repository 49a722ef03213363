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
    lines = [f"{pad(_('service'), 18)} {pad(_('url'), 24)} {pad(_('ready'), 6)} {_('detail')}"]
    lines += [f"{spec.name:<18} {spec.url:<24} {pad(_('yes') if status == 200 else _('NO'), 6)} {status or '-'} "
              f"{detail}" for spec, status, detail in rows]
    return "\n".join(lines)


def main() -> int:
    rows = [(spec, *readiness(spec)) for spec in present()]
    print(health_table(rows))
    return 0 if rows and all(status == 200 for _, status, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
