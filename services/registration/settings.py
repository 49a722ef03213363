"""Registration's settings, read once at start-up: its port, the district's streets (and, optionally, the
communities known in each), the census minimum, and the key that hashes citizens' ID numbers."""

from __future__ import annotations

from typing import Final

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.registration.domain.census import DEFAULT_COMMUNITY_MINIMUM
from shared.settings import DistrictSettings, ServiceSettings

NAME: Final = "registration"
# Good only on a developer's machine: anyone who reads this file can recompute the hashes made with it.
LOCAL_DEVELOPMENT_KEY: Final = "local-development-only-key"
MIN_KEY_LENGTH: Final = 16


class RegistrationSettings(ServiceSettings):
    """`IDENTITY_HASH_KEY` keys the HMAC under which ID numbers are kept; changing it makes every stored hash
    unrecognisable (the same person could then be added twice), so set it once per district and keep it."""

    # A rejected setting must not echo its value: the hashing key is a secret.
    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    port: int = Field(default=8082, ge=1, le=65535, validation_alias="REGISTRATION_PORT")
    district: DistrictSettings = Field(default_factory=DistrictSettings)
    census_minimum: int = Field(default=DEFAULT_COMMUNITY_MINIMUM, ge=0, le=10_000,
                                validation_alias="CENSUS_COMMUNITY_MINIMUM",
                                description="a community with fewer active organizations is listed as below it")
    communities: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, validation_alias="DISTRICT_COMMUNITIES",
        description="JSON {street: [community, ...]}: communities the census lists even with no organization",
    )
    identity_hash_key: SecretStr = Field(default=SecretStr(LOCAL_DEVELOPMENT_KEY), validation_alias="IDENTITY_HASH_KEY")

    @field_validator("identity_hash_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_KEY_LENGTH:
            raise ValueError(f"IDENTITY_HASH_KEY must be at least {MIN_KEY_LENGTH} characters")
        return value

    @model_validator(mode="after")
    def _communities_lie_in_the_district(self) -> RegistrationSettings:
        unknown = sorted(set(self.communities) - set(self.district.streets))
        if unknown:
            raise ValueError(f"DISTRICT_COMMUNITIES names streets not in DISTRICT_STREETS: {', '.join(unknown)}")
        return self

    @property
    def database(self) -> str:
        return self.store.database_name(NAME)

    @property
    def id_key(self) -> bytes:
        return self.identity_hash_key.get_secret_value().encode()

    @property
    def uses_development_key(self) -> bool:
        return self.identity_hash_key.get_secret_value() == LOCAL_DEVELOPMENT_KEY
