"""Evaluation (监测评估): contracts under delivery, milestone reports, resident satisfaction, performance scores,
ratings and payment recommendations."""
