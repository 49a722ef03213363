"""`python -m services.matching`: run the matching service (HTTP health and the bus) until stopped."""

from services.matching.app import app
from services.matching.settings import MatchingSettings
from shared.service import run

settings = MatchingSettings()
run(app, settings.host, settings.port, settings.log_level)
