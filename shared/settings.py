"""Typed settings every service reads once at start-up, from the environment (CONTRACT.md, "Operators")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.calendar import DEFAULT_EARLIEST_DATE, DistrictCalendar
from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS
from shared.failover import broker_urls
from shared.i18n import chosen_language, normalise

# Where `make dev` puts the embedded MongoDB-compatible server of each service when MONGO_URL is unset: one server
# per service. SecantusDB does its work in Python under one lock, so five services on one server queued behind each
# other while a core stayed idle; a server each made the district's year a fifth faster (bench/PROFILE.md).
EMBEDDED_MONGO_PORTS = {"catalog": 27028, "registration": 27029, "matching": 27030, "training_grading": 27031,
                        "evaluation": 27032}
# The single server of an earlier `make dev`, kept for all five while its data is there (tools/dev.py).
EMBEDDED_MONGO_PORT = 27027


def embedded_mongo_url(port: int, host: str = "127.0.0.1") -> str:
    """An embedded server's URL (`shared.embedded_db` says why without retryable writes)."""
    return f"mongodb://{host}:{port}/?directConnection=true&retryWrites=false"


EMBEDDED_MONGO_URL = embedded_mongo_url(EMBEDDED_MONGO_PORT)
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"


class BusSettings(BaseSettings):
    """How a service reaches RabbitMQ and how its queues behave."""

    model_config = SettingsConfigDict(extra="ignore")

    # One URL, or the nodes of one cluster comma-separated, the preferred first (`shared.failover`).
    rabbitmq_url: str = Field(default=DEFAULT_RABBITMQ_URL, validation_alias="RABBITMQ_URL")
    prefetch: int = Field(default=64, ge=1, le=10_000, validation_alias="PREFETCH")
    # Deliveries that wait while earlier ones are handled share one transaction, up to this many (1: each alone).
    transaction_batch: int = Field(default=32, ge=1, le=1000, validation_alias="TRANSACTION_BATCH")
    # How many of those transactions may run at once; a delivery arriving while they all run waits for a batch.
    # One, from bench/SWEEP.md: on the embedded server each service ran as fast or faster with one than with two
    # (catalog +9 %, registration +15 %, evaluation +9 %), with less CPU per event and no worse p99; a second
    # transaction only split the waiting deliveries into smaller batches. Measure again on a MongoDB deployment.
    transactions_in_flight: int = Field(default=1, ge=1, le=64, validation_alias="TRANSACTIONS_IN_FLIGHT")
    delivery_limit: int = Field(default=10, ge=2, le=1000, validation_alias="DELIVERY_LIMIT")
    transient_retry_seconds: float = Field(default=30.0, gt=0, le=3600, validation_alias="TRANSIENT_RETRY_SECONDS")
    # /ready turns 503 once the relay has published nothing for this long while events wait in the outbox.
    relay_stall_seconds: float = Field(default=60.0, gt=0, le=86_400, validation_alias="RELAY_STALL_SECONDS")
    # How long a relay holds the outbox rows it claimed before another replica's relay may publish them: a relay
    # that dies holding a lease delays its rows this long (never loses them).
    relay_lease_seconds: float = Field(default=30.0, gt=0, le=3600, validation_alias="RELAY_LEASE_SECONDS")
    # How often the backlog, dead-letter and lag gauges of /metrics are read again.
    metrics_refresh_seconds: float = Field(default=5.0, gt=0, le=3600, validation_alias="METRICS_REFRESH_SECONDS")

    @field_validator("rabbitmq_url")
    @classmethod
    def _amqp_scheme(cls, value: str) -> str:
        urls = broker_urls(value)
        if not urls or not all(url.startswith(("amqp://", "amqps://")) for url in urls):
            raise ValueError("RABBITMQ_URL must start with amqp:// or amqps:// (each URL, when it names several "
                             "nodes comma-separated)")
        return value

    @property
    def rabbitmq_urls(self) -> list[str]:
        """The broker's nodes, the preferred first: one unless RABBITMQ_URL names a cluster's nodes."""
        return broker_urls(self.rabbitmq_url)


class StoreSettings(BaseSettings):
    """How a service reaches its MongoDB database."""

    model_config = SettingsConfigDict(extra="ignore")

    mongo_url: str | None = Field(default=None, validation_alias="MONGO_URL")
    mongo_timeout_ms: int = Field(default=2000, ge=100, le=60_000, validation_alias="MONGO_TIMEOUT_MS")
    database_prefix: str = Field(default="district_", pattern=r"^[A-Za-z0-9_]{1,40}$",
                                 validation_alias="MONGO_DATABASE_PREFIX")
    # How long the database keeps what only guards against repeats (README, "Bounded growth"): sent outbox
    # events; inbox claims and receipt times. Days; fractions allowed.
    outbox_retention_days: float = Field(default=7.0, ge=0.001, le=3650, validation_alias="OUTBOX_RETENTION_DAYS")
    inbox_retention_days: float = Field(default=90.0, ge=0.001, le=3650, validation_alias="INBOX_RETENTION_DAYS")
    # A process of the service whose heartbeat is older than this is taken for dead: the transactions it left open
    # are aborted (`shared.sessions`). Each process beats three times as often.
    process_stale_seconds: float = Field(default=3.0, ge=0.5, le=600, validation_alias="PROCESS_STALE_SECONDS")

    @field_validator("mongo_url")
    @classmethod
    def _mongo_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("MONGO_URL must start with mongodb:// or mongodb+srv://")
        return value

    def url_for(self, service: str) -> str:
        """The configured URL, or, when MONGO_URL is unset, the embedded server `make dev` starts for `service`."""
        if self.mongo_url:
            return self.mongo_url
        port = EMBEDDED_MONGO_PORTS.get(service.replace("-", "_"))
        if port is None:
            raise ValueError(f"MONGO_URL is unset and {service!r} is not a service with an embedded server "
                             f"({', '.join(EMBEDDED_MONGO_PORTS)}): set MONGO_URL")
        return embedded_mongo_url(port)

    @property
    def outbox_retention_seconds(self) -> int:
        return max(1, round(self.outbox_retention_days * 86_400))

    @property
    def inbox_retention_seconds(self) -> int:
        return max(1, round(self.inbox_retention_days * 86_400))

    def database_name(self, service: str) -> str:
        """A service's own database: `district_catalog`, `district_training_grading`, ..."""
        return self.database_prefix + service.replace("-", "_")


class CalendarSettings(BaseSettings):
    """The district's calendar and clock: which day it is there, and which days are working days.

    `TODAY` (YYYY-MM-DD) pins the day the clock starts on, for drills and tests only: the clock then reads that
    day in the district, with the real time of day, so every decision and every event's `occurred_at` agree.
    `DISTRICT_EARLIEST_DATE` is the earliest date any input may name (a founding, an assessment): one before it is
    a typing error or a backdated record, refused naming the rule.
    `DISTRICT_CLOCK=drill` (development, the demo and the tests; never production) also lets `intake.clock.set`
    move the day forward in every service; the default, `system`, dead-letters that event as not allowed.
    """

    model_config = SettingsConfigDict(extra="ignore")

    timezone: str = Field(default="Asia/Shanghai", validation_alias="DISTRICT_TIMEZONE")
    today_override: date | None = Field(default=None, validation_alias="TODAY")
    clock: Literal["system", "drill"] = Field(default="system", validation_alias="DISTRICT_CLOCK")
    holidays: tuple[date, ...] = Field(default=(), validation_alias="DISTRICT_HOLIDAYS")
    working_weekends: tuple[date, ...] = Field(default=(), validation_alias="DISTRICT_WORKING_WEEKENDS")
    earliest: date = Field(default=DEFAULT_EARLIEST_DATE, validation_alias="DISTRICT_EARLIEST_DATE")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"DISTRICT_TIMEZONE {value!r} is not a known IANA time zone") from None
        return value

    @property
    def calendar(self) -> DistrictCalendar:
        return DistrictCalendar.of(self.timezone, self.holidays, self.working_weekends)

    def day_of(self, moment: datetime) -> date:
        """The district's date at the instant `moment`."""
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def now(self) -> datetime:
        """Now, in UTC; with `TODAY` set, moved by whole days so that it falls on that day in the district."""
        return shifted_to(datetime.now(UTC), self.today_override, self.calendar)


def shifted_to(moment: datetime, day: date | None, calendar: DistrictCalendar) -> datetime:
    """`moment` moved by whole days so that it falls on `day` in the district (unchanged when `day` is None)."""
    if day is None:
        return moment
    return moment + timedelta(days=(day - calendar.day_of(moment)).days)


class ServiceSettings(BaseSettings):
    """What every service needs; each service subclasses it with its own rules and port."""

    model_config = SettingsConfigDict(extra="ignore")

    bus: BusSettings = Field(default_factory=BusSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    environment: Literal["development", "production"] = Field(default="production", validation_alias="DISTRICT_ENV")
    # The language of every text meant for a person (rejection reasons, dead letters' reasons): zh_CN or en.
    language: str = Field(default_factory=chosen_language, validation_alias="DISTRICT_LANGUAGE")
    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL", pattern="^(DEBUG|INFO|WARNING|ERROR)$")

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return normalise(value)

    @model_validator(mode="after")
    def _drills_only_in_development(self) -> ServiceSettings:
        if self.calendar.clock == "drill" and self.environment != "development":
            raise ValueError("DISTRICT_CLOCK=drill lets any intake publisher move the district's date: it is allowed "
                             "only with DISTRICT_ENV=development")
        return self


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
