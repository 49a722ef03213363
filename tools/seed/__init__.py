"""The seeded district (`make seed`): the source's 2015 first-batch catalog and Wuhou's 1,177 organizations.

`seed_events(size)` gives the intake events, deterministic to the event id; `python -m tools.seed` publishes them.
"""

from tools.seed.district import SAMPLE, WUHOU, District, DistrictSize, SeedEvent, build, seed_events

__all__ = ["SAMPLE", "WUHOU", "District", "DistrictSize", "SeedEvent", "build", "seed_events"]
