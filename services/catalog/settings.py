"""The catalog's settings, read once at start-up."""

from __future__ import annotations

from pydantic import Field

from shared.settings import DistrictSettings, ServiceSettings

NAME = "catalog"


class CatalogSettings(ServiceSettings):
    port: int = Field(default=8081, ge=1, le=65535, validation_alias="CATALOG_PORT")
    district: DistrictSettings = Field(default_factory=DistrictSettings)
