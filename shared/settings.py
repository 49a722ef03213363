"""Typed settings every service reads once at start-up, from the environment (CONTRACT.md, "Operators")."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS

# Where `make dev` and the tests put the embedded MongoDB-compatible server when MONGO_URL is unset.
EMBEDDED_MONGO_PORT = 27027
EMBEDDED_MONGO_URL = f"mongodb://127.0.0.1:{EMBEDDED_MONGO_PORT}/?directConnection=true&retryWrites=false"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"


class BusSettings(BaseSettings):
    """How a service reaches RabbitMQ and how its queues behave."""

    model_config = SettingsConfigDict(extra="ignore")

    rabbitmq_url: str = Field(default=DEFAULT_RABBITMQ_URL, validation_alias="RABBITMQ_URL")
    prefetch: int = Field(default=64, ge=1, le=10_000, validation_alias="PREFETCH")
    delivery_limit: int = Field(default=10, ge=2, le=1000, validation_alias="DELIVERY_LIMIT")
    transient_retry_seconds: float = Field(default=30.0, gt=0, le=3600, validation_alias="TRANSIENT_RETRY_SECONDS")

    @field_validator("rabbitmq_url")
    @classmethod
    def _amqp_scheme(cls, value: str) -> str:
        if not value.startswith(("amqp://", "amqps://")):
            raise ValueError("RABBITMQ_URL must start with amqp:// or amqps://")
        return value


class StoreSettings(BaseSettings):
    """How a service reaches its MongoDB database."""

    model_config = SettingsConfigDict(extra="ignore")

    mongo_url: str | None = Field(default=None, validation_alias="MONGO_URL")
    mongo_timeout_ms: int = Field(default=2000, ge=100, le=60_000, validation_alias="MONGO_TIMEOUT_MS")
    database_prefix: str = Field(default="district_", pattern=r"^[A-Za-z0-9_]{1,40}$",
                                 validation_alias="MONGO_DATABASE_PREFIX")

    @field_validator("mongo_url")
    @classmethod
    def _mongo_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("MONGO_URL must start with mongodb:// or mongodb+srv://")
        return value

    @property
    def url(self) -> str:
        """The configured URL, or the embedded server `make dev` starts when MONGO_URL is unset."""
        return self.mongo_url or EMBEDDED_MONGO_URL


class ServiceSettings(BaseSettings):
    """What every service needs; each service subclasses it with its own rules and port."""

    model_config = SettingsConfigDict(extra="ignore")

    bus: BusSettings = Field(default_factory=BusSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL", pattern="^(DEBUG|INFO|WARNING|ERROR)$")


class DistrictSettings(BaseSettings):
    """The district's purchasers: its sub-districts (streets) and departments; JSON lists in the environment."""

    model_config = SettingsConfigDict(extra="ignore")

    streets: tuple[str, ...] = Field(default=DEFAULT_STREETS, validation_alias="DISTRICT_STREETS", min_length=1)
    departments: tuple[str, ...] = Field(
        default=DEFAULT_DEPARTMENTS, validation_alias="DISTRICT_DEPARTMENTS", min_length=1
    )

    @field_validator("streets", "departments")
    @classmethod
    def _distinct_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(v.strip() for v in value)
        if any(not n for n in names):
            raise ValueError("names must not be empty")
        if len(set(names)) != len(names):
            raise ValueError("names must be distinct")
        return names
