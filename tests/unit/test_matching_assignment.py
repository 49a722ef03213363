"""The exact b-matching solver behind awards and the schedule, against brute force on small graphs."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from services.matching.domain.solver import first_best_b_matching, max_weight_b_matching

Solver = Callable[..., NDArray[np.bool_]]


def solve(left: list[int], right: list[int], edges: list[tuple[int, int, int]],
          solver: Solver = max_weight_b_matching) -> list[bool]:
    chosen = solver(
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


# --- the tie rule: of several best choices, the first in edge order -------------------------------------------


def first(left: list[int], right: list[int], edges: list[tuple[int, int, int]]) -> list[bool]:
    return solve(left, right, edges, first_best_b_matching)


def brute_force_first(left: list[int], right: list[int], edges: list[tuple[int, int, int]]) -> list[bool]:
    """Every choice within capacity; the best total, then the most edges, then the first in edge order."""
    feasible = [list(s) for s in itertools.product((False, True), repeat=len(edges)) if within(left, right, edges,
                                                                                                 list(s))]
    return max(feasible, key=lambda s: (sum(e[2] for e, c in zip(edges, s, strict=True) if c), sum(s), s))


def test_when_every_edge_ties_each_right_node_takes_the_first_left_node_that_still_has_room() -> None:
    # Three projects, three organizations of capacity one, every pair worth the same: project 0 takes org 0,
    # project 1 org 1, project 2 org 2, whatever order the solver's flow happened to find.
    edges = [(org, project, 50) for project in range(3) for org in range(3)]
    assert first([1, 1, 1], [1, 1, 1], edges) == [
        True, False, False, False, True, False, False, False, True]


def test_the_tie_rule_never_costs_weight_or_a_chosen_edge() -> None:
    # The first edge (0, 0) is worth as much as (1, 0), but taking it would leave right node 1 empty.
    assert first([1, 1], [1, 1], [(0, 0, 5), (1, 0, 5), (0, 1, 5)]) == [False, True, True]


tied_graphs = graphs.map(lambda g: (g[0], g[1], [(a, b, w % 3) for a, b, w in g[2]]))  # weights 0..2: ties


@settings(max_examples=400, deadline=None)
@given(graph=st.one_of(tied_graphs, graphs))
def test_of_equally_good_choices_the_first_in_edge_order_is_chosen_as_brute_force_finds_it(
    graph: tuple[list[int], list[int], list[tuple[int, int, int]]],
) -> None:
    left, right, edges = graph
    assert first(left, right, edges) == brute_force_first(left, right, edges)
