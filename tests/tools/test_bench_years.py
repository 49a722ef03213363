"""bench/YEARS.md, the district years measured alone: the goals are judged from the years of the same run."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.district import Stage, YearFigures
from bench.results import SOURCE_AGAIN, Machine, Run, render_years


def run_with(*years: YearFigures) -> Run:
    machine = Machine(platform="Linux", cpu="a CPU", cores=2, memory_gib=24.0, python="3.12", versions={})
    return Run(started=datetime(2026, 11, 30, 19, 0, tzinfo=UTC), finished=datetime(2026, 11, 30, 19, 30, tzinfo=UTC),
               quick=False, machine=machine, settings={}, commands=["python -m bench.run --years-only --ten-times"],
               load_average={"at the start": "0.1 0.1 0.1"}, years=list(years))


def test_the_ten_times_year_is_judged_against_the_source_year_of_the_same_run() -> None:
    source = YearFigures("source", [Stage("seed", 10.0, 3_771), Stage("fair", 8.0, 238)])
    ten = YearFigures("ten times", [Stage("seed", 100.0, 37_710), Stage("fair", 62.0, 2_380)])

    text = render_years(run_with(source, ten))

    assert "The source's district year in ≤ 20 s of cycle time: **met** — **18.0 s** (4,009 intake events)" in text
    assert "The ten-times district in ≤ 10× the source's year: **met** — **162.0 s**, 9.0×." in text
    assert "| seed | 10.0 s | 3,771 | 377 |" in text and "| **the year** | **162.0 s** | 40,090 | 247 |" in text
    assert "python -m bench.run --years-only --ten-times" in text


def test_a_year_that_misses_its_goal_says_so_and_a_run_without_years_says_nothing_was_measured() -> None:
    slow = YearFigures("source", [Stage("seed", 27.1, 3_771), Stage("training", 36.2, 3_474)])
    ten = YearFigures("ten times", [Stage("seed", 700.0, 37_710)])

    text = render_years(run_with(slow, ten))

    assert "cycle time: **not met** — **63.3 s**" in text
    assert "the source's year: **not met** — **700.0 s**, 11.1×." in text
    assert "- no year was measured" in render_years(run_with())


def test_the_ten_times_year_is_judged_against_the_mean_of_the_source_years_on_either_side_of_it() -> None:
    before = YearFigures("source", [Stage("seed", 9.0, 3_771), Stage("fair", 9.0, 238)])
    ten = YearFigures("ten times", [Stage("seed", 150.0, 37_710), Stage("fair", 60.0, 2_380)])
    after = YearFigures(SOURCE_AGAIN, [Stage("seed", 13.0, 3_771), Stage("fair", 9.0, 238)])

    text = render_years(run_with(before, ten, after))

    assert ("The source's district year in ≤ 20 s of cycle time: **met** — **20.0 s** (4,009 intake events, the "
            "mean of 18.0 s and 22.0 s before and after the ten-times year)") in text
    assert "the source's year: **not met** — **210.0 s**, 10.5×." in text  # 210 / 20, not 210 / 18
    assert "### source district, again after the ten-times one" in text
