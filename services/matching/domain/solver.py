"""The exact solver behind awards and the fair schedule: a maximum-weight bipartite b-matching.

Left nodes (organizations) and right nodes (projects, or purchasers' tables) each have a capacity; each edge has
an integer weight >= 0. The chosen edges maximise the total weight and, among equal totals, their number; no node
is in more chosen edges than its capacity. Solved exactly as a min-cost flow in OR-Tools (C++):
source -> left (its capacity) -> right (1 per edge, cost -weight) -> sink (its capacity), plus a zero-cost
source -> sink bypass so that no edge is ever forced in. The same arrays always give the same answer.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped, unused-ignore]

IntArray = NDArray[np.int64]
# OR-Tools scales costs by the node count inside; keep every cost far below int64's limit after that.
MAX_COST = 2**62


def _arcs(
    left_capacity: IntArray, right_capacity: IntArray, edge_left: IntArray, edge_right: IntArray,
    edge_weight: IntArray, flow: int,
) -> tuple[NDArray[np.int32], NDArray[np.int32], IntArray, IntArray]:
    n_left, n_right, n_edges = len(left_capacity), len(right_capacity), len(edge_weight)
    source, sink = n_left + n_right, n_left + n_right + 1
    # One more chosen edge is worth less than a single unit of weight: weight first, then count.
    scale = n_edges + 1
    if int(edge_weight.max()) * scale * (source + 2) >= MAX_COST:
        raise ValueError("edge weights too large for an exact integer min-cost flow")
    tails = np.concatenate([np.full(n_left, source), edge_left, np.arange(n_right) + n_left, [source]])
    heads = np.concatenate([np.arange(n_left), edge_right + n_left, np.full(n_right, sink), [sink]])
    capacities = np.concatenate([left_capacity, np.ones(n_edges, np.int64), right_capacity, [flow]])
    costs = np.concatenate([np.zeros(n_left, np.int64), -(edge_weight * scale + 1), np.zeros(n_right, np.int64), [0]])
    return tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64), costs.astype(np.int64)


def _check(left_capacity: IntArray, right_capacity: IntArray, edge_left: IntArray, edge_right: IntArray,
           edge_weight: IntArray) -> None:
    if not len(edge_left) == len(edge_right) == len(edge_weight):
        raise ValueError("edge arrays differ in length")
    if (left_capacity < 0).any() or (right_capacity < 0).any() or (edge_weight < 0).any():
        raise ValueError("capacities and weights must be >= 0")
    if len(edge_left) and (edge_left.min() < 0 or edge_left.max() >= len(left_capacity)
                           or edge_right.min() < 0 or edge_right.max() >= len(right_capacity)):
        raise ValueError("an edge names a node that does not exist")


def max_weight_b_matching(
    left_capacity: IntArray, right_capacity: IntArray, edge_left: IntArray, edge_right: IntArray,
    edge_weight: IntArray,
) -> NDArray[np.bool_]:
    """Which edges to choose (a boolean per edge) for the greatest total weight within every node's capacity."""
    _check(left_capacity, right_capacity, edge_left, edge_right, edge_weight)
    flow = int(min(left_capacity.sum(), right_capacity.sum(), len(edge_weight)))
    if flow == 0:
        return np.zeros(len(edge_weight), dtype=np.bool_)
    tails, heads, capacities, costs = _arcs(left_capacity, right_capacity, edge_left, edge_right, edge_weight, flow)
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    source, sink = len(left_capacity) + len(right_capacity), len(left_capacity) + len(right_capacity) + 1
    solver.set_node_supply(source, flow)
    solver.set_node_supply(sink, -flow)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended {status}")
    edge_arcs = np.arange(len(left_capacity), len(left_capacity) + len(edge_weight), dtype=np.int32)
    return np.asarray(solver.flows(edge_arcs)) > 0
