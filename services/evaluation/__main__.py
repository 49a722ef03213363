"""`python -m services.evaluation`: run the evaluation service (HTTP health and the bus) until stopped."""

from services.evaluation.app import app
from services.evaluation.settings import EvaluationSettings
from shared.service import run

settings = EvaluationSettings()
run(app, settings.host, settings.port, settings.log_level)
