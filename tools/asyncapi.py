"""`make asyncapi`: each service's AsyncAPI document (channels, bindings, message schemas), from FastStream."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from tools.suite import present


def document(module: str) -> dict[str, object]:
    app = importlib.import_module(f"services.{module}.app").app
    spec: dict[str, object] = app.schema.to_specification().to_jsonable()
    return spec


def main(out: str = "docs/asyncapi") -> int:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for spec in present():
        path = folder / f"{spec.name}.json"
        doc = document(spec.module)
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        channels = doc.get("channels", {})
        print(f"{path}: {len(channels) if isinstance(channels, dict) else 0} channels")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
