"""`python -m services.training_grading`: run the training-and-grading service (HTTP health and the bus)."""

from services.training_grading.app import app
from services.training_grading.settings import TrainingGradingSettings
from shared.service import run

settings = TrainingGradingSettings()
run(app, settings.host, settings.port, settings.log_level)
