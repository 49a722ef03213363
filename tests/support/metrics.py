"""A service's delivery counts from its `/metrics`, for tests that wait on or compare how much a process handled."""

from __future__ import annotations

import urllib.request
from collections import Counter
from collections.abc import Collection

from prometheus_client.parser import text_string_to_metric_families

FINISHED = frozenset({"handled", "duplicate"})


def deliveries(service_url: str, outcomes: Collection[str] = FINISHED) -> Counter[str]:
    """A service's deliveries with the given outcomes since it started, by queue, from its /metrics."""
    with urllib.request.urlopen(f"{service_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    counts: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "district_deliveries_total" and sample.labels.get("outcome") in outcomes:
                counts[sample.labels["queue"]] += int(sample.value)
    return counts
