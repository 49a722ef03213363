"""The exact b-matching solver behind awards and the schedule, against brute force on small graphs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.solver import max_weight_b_matching


def solve(left: list[int], right: list[int], edges: list[tuple[int, int, int]]) -> list[bool]:
    chosen = max_weight_b_matching(
        np.array(left, np.int64), np.array(right, np.int64), np.array([e[0] for e in edges], np.int64),
        np.array([e[1] for e in edges], np.int64), np.array([e[2] for e in edges], np.int64))
    return [bool(c) for c in chosen]


def within(left: list[int], right: list[int], edges: list[tuple[int, int, int]], chosen: list[bool]) -> bool:
    kept = [e for e, c in zip(edges, chosen, strict=True) if c]
    return all(sum(1 for e in kept if e[0] == n) <= cap for n, cap in enumerate(left)) and all(
        sum(1 for e in kept if e[1] == n) <= cap for n, cap in enumerate(right))


def test_the_best_total_is_chosen_over_the_single_best_edge() -> None:
    # Greedy takes the 10 and is left with 10; the optimum takes the two 9s.
    assert solve([1, 1], [1, 1], [(0, 0, 10), (0, 1, 9), (1, 0, 9)]) == [False, True, True]


def test_among_equal_totals_more_edges_win() -> None:
    assert solve([2], [1, 1], [(0, 0, 5), (0, 1, 0)]) == [True, True]


def test_nothing_to_choose_when_a_side_has_no_capacity() -> None:
    assert solve([0, 0], [1], [(0, 0, 5), (1, 0, 7)]) == [False, False]


def test_an_edge_to_a_missing_node_is_an_error() -> None:
    with pytest.raises(ValueError, match="does not exist"):
        solve([1], [1], [(0, 3, 5)])


# Small, crowded graphs with close weights: where a greedy choice most often misses the optimum.
graphs = st.tuples(
    st.lists(st.sampled_from([0, 1, 1, 2]), min_size=2, max_size=4),
    st.lists(st.sampled_from([1, 1, 2]), min_size=2, max_size=4),
).flatmap(lambda caps: st.tuples(
    st.just(caps[0]), st.just(caps[1]),
    st.lists(st.tuples(st.integers(0, len(caps[0]) - 1), st.integers(0, len(caps[1]) - 1), st.integers(0, 20)),
             min_size=1, max_size=11),
))


@settings(max_examples=200, deadline=None)
@given(graph=graphs)
def test_the_chosen_edges_fit_every_capacity_and_reach_the_brute_force_optimum(
    graph: tuple[list[int], list[int], list[tuple[int, int, int]]],
) -> None:
    left, right, edges = graph
    chosen = solve(left, right, edges)
    assert within(left, right, edges, chosen)
    best = max(
        sum(e[2] for e, c in zip(edges, subset, strict=True) if c)
        for subset in itertools.product((False, True), repeat=len(edges)) if within(left, right, edges, list(subset))
    )
    assert sum(e[2] for e, c in zip(edges, chosen, strict=True) if c) == best
