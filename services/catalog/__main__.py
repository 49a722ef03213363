"""`python -m services.catalog`: run the catalog service (HTTP health and the bus) until stopped."""

from services.catalog.app import app
from services.catalog.settings import CatalogSettings
from shared.service import run

settings = CatalogSettings()
run(app, settings.host, settings.port, settings.log_level)
