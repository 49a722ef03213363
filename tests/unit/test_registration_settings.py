"""Registration's keys for ID numbers: its own outside development, never the development key published in the
source; previous keys kept for look-ups after a rotation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.registration.domain.identity import IdentityKey
from services.registration.settings import LOCAL_DEVELOPMENT_KEY, RegistrationSettings

OWN_KEY = "wuhou-district-own-key-7f3a9c"
OLD_KEY = "wuhou-district-old-key-0b12de"


@pytest.fixture(autouse=True)
def _no_keys_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IDENTITY_HASH_KEY", "IDENTITY_HASH_PREVIOUS_KEYS", "DISTRICT_ENV", "DISTRICT_CLOCK"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("given", [{}, {"IDENTITY_HASH_KEY": LOCAL_DEVELOPMENT_KEY}], ids=["unset", "set to it"])
def test_outside_development_the_development_key_is_refused_naming_the_setting(given: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as refused:
        RegistrationSettings(DISTRICT_ENV="production", **given)
    message = str(refused.value)
    assert "IDENTITY_HASH_KEY must be set to this district's own secret" in message
    assert "secrets.token_urlsafe" in message


def test_in_development_the_development_key_is_allowed() -> None:
    assert RegistrationSettings(DISTRICT_ENV="development").uses_development_key


def test_a_district_key_starts_anywhere_and_makes_the_current_hashes() -> None:
    settings = RegistrationSettings(DISTRICT_ENV="production", IDENTITY_HASH_KEY=OWN_KEY)
    assert settings.id_keys.current == IdentityKey(OWN_KEY.encode()) and settings.id_keys.previous == ()


def test_a_key_too_short_is_refused_without_repeating_it() -> None:
    with pytest.raises(ValidationError) as refused:
        RegistrationSettings(DISTRICT_ENV="production", IDENTITY_HASH_KEY="short-secret")
    assert "at least 16 characters" in str(refused.value) and "short-secret" not in str(refused.value)


def test_a_rotated_key_is_kept_among_the_previous_ones_for_look_ups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTITY_HASH_PREVIOUS_KEYS", f'["{OLD_KEY}"]')  # a JSON list, as .env.example shows
    settings = RegistrationSettings(DISTRICT_ENV="production", IDENTITY_HASH_KEY=OWN_KEY)
    assert settings.id_keys.previous == (IdentityKey(OLD_KEY.encode()),)


def test_the_current_key_among_the_previous_ones_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not hold the current"):
        RegistrationSettings(DISTRICT_ENV="production", IDENTITY_HASH_KEY=OWN_KEY,
                             IDENTITY_HASH_PREVIOUS_KEYS=[OWN_KEY])
