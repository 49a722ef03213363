"""The five services of the suite: module, HTTP port setting and default port (CONTRACT.md, "HTTP")."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port_var: str
    default_port: int

    @property
    def port(self) -> int:
        return int(os.environ.get(self.port_var, self.default_port))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def exists(self) -> bool:
        return importlib.util.find_spec(f"services.{self.module}.__main__") is not None


SUITE: tuple[ServiceSpec, ...] = (
    ServiceSpec("catalog", "catalog", "CATALOG_PORT", 8081),
    ServiceSpec("registration", "registration", "REGISTRATION_PORT", 8082),
    ServiceSpec("matching", "matching", "MATCHING_PORT", 8083),
    ServiceSpec("training-grading", "training_grading", "TRAINING_GRADING_PORT", 8084),
    ServiceSpec("evaluation", "evaluation", "EVALUATION_PORT", 8085),
)


def present() -> list[ServiceSpec]:
    """The services this checkout contains."""
    return [s for s in SUITE if s.exists()]
