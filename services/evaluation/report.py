"""`make evaluation-report` (`python -m services.evaluation.report`): the operator's view of evaluation, printed.

Reads the evaluation service's own database (MONGO_URL, or the embedded server `make dev` starts) read-only:
contracts under monitoring, overdue milestones, and ratings by category and by street.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from urllib.parse import urlsplit

from pymongo.errors import PyMongoError

from services.evaluation.monitoring_view import operator_report
from services.evaluation.settings import EvaluationSettings
from services.evaluation.store import ContractStore
from shared.mongo import make_client

SERVICE = "evaluation"


def database_name(settings: EvaluationSettings) -> str:
    return settings.store.database_prefix + SERVICE


def where(settings: EvaluationSettings) -> str:
    """The database's host and name, without any credentials the URL carries."""
    parts = urlsplit(settings.store.url)
    return f"{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}/{database_name(settings)}"


async def evaluation_report(settings: EvaluationSettings, today: date) -> str:
    """The whole view as text, read from the service's database as it is now."""
    client = make_client(settings.store, f"{SERVICE}-report")
    try:
        contracts = await ContractStore(client[database_name(settings)]).all()
    finally:
        await client.close()
    heading = f"Evaluation on {today.isoformat()}: {len(contracts)} contracts in {where(settings)}"
    return f"{heading}\n\n{operator_report(contracts, today)}"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evaluation-report",
                                     description="The operator's view of evaluation, read from its database.")
    parser.add_argument("--today", type=_day, help="the day overdue milestones are counted to (default: today "
                                                   "in DISTRICT_TIMEZONE)")
    args = parser.parse_args(argv)
    settings = EvaluationSettings()
    today = args.today or settings.calendar.day_of(settings.calendar.now())
    try:
        print(asyncio.run(evaluation_report(settings, today)))
    except PyMongoError as exc:
        print(f"evaluation-report: cannot read {where(settings)} ({type(exc).__name__}: {str(exc)[:200]}); "
              "is the database running (`make dev`) or MONGO_URL set?", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
