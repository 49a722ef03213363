"""`python -m services.registration`: run the registration service (HTTP health and the bus) until stopped."""

from services.registration.app import app
from services.registration.settings import RegistrationSettings
from shared.service import run

settings = RegistrationSettings()
run(app, settings.host, settings.port, settings.log_level)
