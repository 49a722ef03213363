"""The sweep's settings: the defaults first, each factor varied alone, then the combinations asked for."""

from __future__ import annotations

import argparse

import pytest

from bench.sweep import DEFAULTS, combination, settings


def test_the_defaults_come_first_then_each_factor_alone_without_repeating_the_defaults() -> None:
    chosen = settings()
    assert chosen[0] == DEFAULTS
    assert chosen.count(DEFAULTS) == 1
    for row in chosen[1:]:
        assert sum(row[name] != DEFAULTS[name] for name in DEFAULTS) == 1


def test_vary_keeps_only_the_factors_named_and_also_adds_combinations_last() -> None:
    chosen = settings([{"PREFETCH": "256", "TRANSACTIONS_IN_FLIGHT": "4"}], vary=["TRANSACTIONS_IN_FLIGHT"])
    assert chosen[0] == DEFAULTS
    varied = {row["TRANSACTIONS_IN_FLIGHT"] for row in chosen[1:-1]}
    assert varied == {"1", "2", "4"} - {DEFAULTS["TRANSACTIONS_IN_FLIGHT"]}
    assert all(row["PREFETCH"] == DEFAULTS["PREFETCH"] for row in chosen[:-1])
    assert chosen[-1] == {**DEFAULTS, "PREFETCH": "256", "TRANSACTIONS_IN_FLIGHT": "4"}


def test_a_combination_is_read_as_name_value_pairs() -> None:
    assert combination("PREFETCH=256,TRANSACTIONS_IN_FLIGHT=4") == {"PREFETCH": "256", "TRANSACTIONS_IN_FLIGHT": "4"}


@pytest.mark.parametrize("text", ["", "PREFETCH", "FOO=1", "PREFETCH=256,", "PREFETCH=256;TRANSACTION_BATCH=8",
                                  "PREFETCH=0", "PREFETCH=many"])
def test_a_combination_that_names_no_swept_setting_is_refused_with_the_names_it_may_use(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="NAME one of PREFETCH, TRANSACTION_BATCH"):
        combination(text)
