"""`make demo`: find or start the suite, run the district's year through the bus, print and write the report."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

from shared.i18n import _, number
from tools.broker import operator_url
from tools.demo.browser import BrowserMissing, check_page
from tools.demo.bus import DemoBus, Progress
from tools.demo.cycle import FULL, SMALL, CycleRecord, CycleScale, grade, hold_fair, new_record, seed, train
from tools.demo.delivery import deliver
from tools.demo.report import figures, html_report, summary
from tools.demo.suite import ensure_suite

ROOT = Path(__file__).resolve().parents[2]


async def run_cycle(url: str, scale: CycleScale, progress: Progress) -> CycleRecord:
    record = new_record(scale)
    rng = random.Random(2015)
    async with DemoBus(url, progress) as bus:
        stages = [("seed", seed(bus, record)), ("training", train(bus, record, scale)),
                  ("grading", grade(bus, record, scale, rng)), ("fair", hold_fair(bus, record, scale, rng)),
                  ("delivery", deliver(bus, record, rng))]
        for name, stage in stages:
            started = time.monotonic()
            await stage
            record.seconds[name] = time.monotonic() - started
    return record


def write_report(record: CycleRecord, scale: CycleScale, out: Path) -> Path:
    f = figures(record, FULL.trained_people if scale is FULL else scale.trained_people)
    print(summary(record, f))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "district-cycle.html"
    path.write_text(html_report(record, f), encoding="utf-8")
    print(_("report: {path}").format(path=path))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help=_("a small district (24 projects, 60 organizations)"))
    parser.add_argument("--out", default=str(ROOT / "reports"))
    args = parser.parse_args()
    scale = SMALL if args.small else FULL
    how = ensure_suite()
    print(_("demo: the suite is already running") if how == "running" else
          _("demo: the suite is started with {how}").format(how=how), file=sys.stderr)
    started = time.monotonic()
    record = asyncio.run(run_cycle(operator_url(), scale, Progress()))
    path = write_report(record, scale, Path(args.out))
    print(_("demo: the whole cycle took {seconds}s").format(seconds=number(time.monotonic() - started, 1)))
    try:
        checked = check_page(path)
    except BrowserMissing as exc:
        print(_("demo: the report was not opened in a browser: {why}").format(why=exc), file=sys.stderr)
        return 0
    print(_("report checked in headless Chromium: {summary}").format(summary=checked.summary()))
    for error in checked.errors:
        print("  " + _("console error: {error}").format(error=error), file=sys.stderr)
    return 1 if checked.errors or checked.undrawn else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
