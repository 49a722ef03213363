"""`make licences`: the licence of every package the suite needs at run time, read from the installed packages'
metadata (never typed by hand), written into the README's "Licences" section.

The runtime set is the project's `[project].dependencies` and everything they require, with the extras they name;
the optional extras (`dev`, `embedded`) are not part of it: the production image installs none of them.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- licences:start -->", "<!-- licences:end -->"
_CLASSIFIER = re.compile(r"^License :: (?:OSI Approved :: )?(.+)$")


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    licence: str
    required_by: tuple[str, ...]


def project_requirements(pyproject: Path = ROOT / "pyproject.toml", extra: str | None = None) -> list[Requirement]:
    """The project's own requirements: its runtime dependencies, or those of one optional extra."""
    project = tomllib.loads(pyproject.read_text())["project"]
    names = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(r) for r in names]


def licence_of(dist: metadata.Distribution) -> str:
    """The licence as the package declares it: its SPDX expression, a short License field, or its classifiers."""
    meta = dist.metadata
    expression = meta["License-Expression"]
    if expression:
        return str(expression)
    declared = (meta["License"] or "").strip()
    if declared and "\n" not in declared and len(declared) <= 40:
        return declared
    found = [m.group(1) for c in (meta.get_all("Classifier") or []) if (m := _CLASSIFIER.match(c))]
    return "; ".join(found) if found else "not declared in its metadata"


def runtime_packages(requirements: list[Requirement]) -> list[Package]:
    """Every installed package the requirements need, transitively, with who needs it."""
    needed_by: dict[str, set[str]] = {}
    name: str
    pending = [(r, "district-services") for r in requirements]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement, parent = pending.pop()
        name = canonicalize_name(requirement.name)
        needed_by.setdefault(name, set()).add(parent)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        requires = metadata.distribution(name).requires or []
        for text in requires:
            inner = Requirement(text)
            environments = [{"extra": e} for e in requirement.extras] or [{"extra": ""}]
            if inner.marker is None or any(inner.marker.evaluate(env) for env in environments):
                pending.append((inner, name))
    packages = []
    for needed, parents in needed_by.items():
        dist = metadata.distribution(needed)
        packages.append(Package(needed, dist.version, licence_of(dist), tuple(sorted(parents))))
    return sorted(packages, key=lambda p: p.name)


def section(packages: list[Package]) -> str:
    lines = [START, "", "| package | licence | needed by |", "|---|---|---|"]
    lines += [f"| {p.name} | {p.licence} | {', '.join(p.required_by)} |" for p in packages]
    return "\n".join([*lines, "", END])


def write_into(readme: Path, text: str) -> None:
    current = readme.read_text()
    if START not in current or END not in current:
        raise SystemExit(f"{readme} has no {START} ... {END} markers for the licences table")
    before, rest = current.split(START, 1)
    after = rest.split(END, 1)[1]
    readme.write_text(before + text + after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="licences", description=__doc__)
    parser.add_argument("--write", type=Path, help="replace the licences section of this file (the README)")
    args = parser.parse_args(argv)
    text = section(runtime_packages(project_requirements()))
    if args.write:
        write_into(args.write, text)
        print(f"licences of {text.count(chr(10)) - 4} runtime packages written into {args.write}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
