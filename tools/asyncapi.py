"""`make asyncapi`: each service's AsyncAPI document (channels, bindings, message schemas), from FastStream."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from tools.suite import present


@contextlib.contextmanager
def _development() -> Iterator[None]:
    # A document needs no district's secrets: the app is built with development settings (registration refuses its
    # development key anywhere else).
    before = os.environ.get("DISTRICT_ENV")
    os.environ["DISTRICT_ENV"] = "development"
    try:
        yield
    finally:
        if before is None:
            del os.environ["DISTRICT_ENV"]
        else:
            os.environ["DISTRICT_ENV"] = before


def document(module: str) -> dict[str, object]:
    with _development():
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
