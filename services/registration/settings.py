"""Registration's settings, read once at start-up: its port, the district's streets and the communities in each,
the census minimum, and the keys that hash citizens' ID numbers."""

from __future__ import annotations

from typing import Final

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.registration.domain.census import DEFAULT_COMMUNITY_MINIMUM
from services.registration.domain.identity import IdentityKey, IdentityKeys
from shared.contracts.common import DEFAULT_COMMUNITIES
from shared.settings import DistrictSettings, ServiceSettings

NAME: Final = "registration"
# Good only on a developer's machine: anyone who reads this file can recompute the hashes made with it.
LOCAL_DEVELOPMENT_KEY: Final = "local-development-only-key"
MIN_KEY_LENGTH: Final = 16
MAKE_A_KEY: Final = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class RegistrationSettings(ServiceSettings):
    """`IDENTITY_HASH_KEY` keys the HMAC under which ID numbers are kept. Outside development (`DISTRICT_ENV`) it
    must be the district's own: the development key is in the source, so anyone could recompute hashes made with
    it. To rotate it, set the new key and move the old one to `IDENTITY_HASH_PREVIOUS_KEYS` (a JSON list): new
    hashes use the new key, and people hashed under a previous key are still recognised."""

    # A rejected setting must not echo its value: the hashing key is a secret.
    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    port: int = Field(default=8082, ge=1, le=65535, validation_alias="REGISTRATION_PORT")
    district: DistrictSettings = Field(default_factory=DistrictSettings)
    census_minimum: int = Field(default=DEFAULT_COMMUNITY_MINIMUM, ge=0, le=10_000,
                                validation_alias="CENSUS_COMMUNITY_MINIMUM",
                                description="a community with fewer active organizations is listed as below it")
    communities: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_COMMUNITIES), validation_alias="DISTRICT_COMMUNITIES",
        description="JSON {street: [community, ...]}: the district's communities; an organization must name one in "
                    "its street, and the census lists each, even with no organization",
    )
    identity_hash_key: SecretStr = Field(default=SecretStr(LOCAL_DEVELOPMENT_KEY), validation_alias="IDENTITY_HASH_KEY")
    identity_hash_previous_keys: tuple[SecretStr, ...] = Field(
        default=(), validation_alias="IDENTITY_HASH_PREVIOUS_KEYS",
        description="JSON list of keys no longer used for new hashes, still used to recognise people hashed under "
                    "them")

    @field_validator("identity_hash_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_KEY_LENGTH:
            raise ValueError(f"IDENTITY_HASH_KEY must be at least {MIN_KEY_LENGTH} characters; make one with "
                             f"{MAKE_A_KEY}")
        return value

    @field_validator("identity_hash_previous_keys")
    @classmethod
    def _previous_long_enough(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if any(len(key.get_secret_value()) < MIN_KEY_LENGTH for key in value):
            raise ValueError(f"every key in IDENTITY_HASH_PREVIOUS_KEYS must be at least {MIN_KEY_LENGTH} characters")
        return value

    @model_validator(mode="after")
    def _own_key_outside_development(self) -> RegistrationSettings:
        if self.environment != "development" and self.uses_development_key:
            raise ValueError(
                f"IDENTITY_HASH_KEY must be set to this district's own secret outside development (DISTRICT_ENV="
                f"{self.environment}): the development key is published in the source, so ID numbers hashed with "
                f"it could be recovered. Make one with {MAKE_A_KEY}")
        current = self.identity_hash_key.get_secret_value()
        if any(key.get_secret_value() == current for key in self.identity_hash_previous_keys):
            raise ValueError("IDENTITY_HASH_PREVIOUS_KEYS must not hold the current IDENTITY_HASH_KEY")
        return self

    @model_validator(mode="after")
    def _communities_lie_in_the_district(self) -> RegistrationSettings:
        unknown = sorted(set(self.communities) - set(self.district.streets))
        if unknown:
            raise ValueError(f"DISTRICT_COMMUNITIES names streets not in DISTRICT_STREETS: {', '.join(unknown)}")
        without = [street for street in self.district.streets if not self.communities.get(street)]
        if without:
            raise ValueError(f"DISTRICT_COMMUNITIES must list the communities of every street; none for "
                             f"{', '.join(without)}")
        names = [name.strip() for names in self.communities.values() for name in names]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice or not all(names):
            raise ValueError("DISTRICT_COMMUNITIES must name each community once, in one street, never empty"
                             + (f": {', '.join(twice)} more than once" if twice else ""))
        return self

    @property
    def database(self) -> str:
        return self.store.database_name(NAME)

    @property
    def id_keys(self) -> IdentityKeys:
        return IdentityKeys(IdentityKey(self.identity_hash_key.get_secret_value().encode()),
                            tuple(IdentityKey(k.get_secret_value().encode()) for k in self.identity_hash_previous_keys))

    @property
    def uses_development_key(self) -> bool:
        return self.identity_hash_key.get_secret_value() == LOCAL_DEVELOPMENT_KEY
