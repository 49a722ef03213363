"""`make training-progress`: print how far the district is toward its training target (people who completed a
course, by audience and by street), read from training-and-grading's database without changing it.

The database is the one the service uses: `MONGO_URL` (unset: the embedded server `make dev` starts) and
`MONGO_DATABASE_PREFIX`; the target is `TRAINING_TARGET_PEOPLE`, the streets `DISTRICT_STREETS`.
"""

from __future__ import annotations

import asyncio
import sys

from pymongo.errors import PyMongoError

from services.training_grading.progress import TrainingProgress, progress, render_progress
from services.training_grading.settings import NAME, TrainingGradingSettings
from services.training_grading.store import TrainingGradingStore
from shared.mongo import make_client


async def read_progress(settings: TrainingGradingSettings) -> TrainingProgress:
    client = make_client(settings.store, f"{NAME}-progress-report")
    try:
        store = TrainingGradingStore(client[settings.database])
        completed = await store.completed_enrolments()
        organizations = await store.organizations_by_id(e.org_id for e in completed)
    finally:
        await client.close()
    return progress(completed, organizations, target=settings.training_target_people,
                    streets=settings.district.streets)


def main() -> int:
    settings = TrainingGradingSettings()
    try:
        report = asyncio.run(read_progress(settings))
    except PyMongoError as exc:
        print(f"training-progress: cannot read the {NAME} database: {type(exc).__name__}: {str(exc)[:300]}",
              file=sys.stderr)
        return 1
    sys.stdout.write(render_progress(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
