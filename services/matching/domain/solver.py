"""The exact solver behind awards and the fair schedule: a maximum-weight bipartite b-matching.

Left nodes (organizations) and right nodes (projects, or purchasers' tables) each have a capacity; each edge has
an integer weight >= 0. The chosen edges maximise the total weight and, among equal totals, their number; no node
is in more chosen edges than its capacity. Solved exactly as a min-cost flow in OR-Tools (C++):
source -> left (its capacity) -> right (1 per edge, cost -weight) -> sink (its capacity), plus a zero-cost
source -> sink bypass so that no edge is ever forced in.

Which of several equally good answers the flow lands on is the solver's own business, and may differ between
versions of it. `first_best_b_matching` settles that by a stated rule instead: taking the edges in the order
given, each is chosen if some best answer holds it together with the edges chosen before it and without those
passed over. It finds that answer from the solver's one without solving again: the flow's dual potentials (the
residual graph's shortest distances) say which arcs can carry flow in some best answer (reduced cost 0), and an
edge is swapped in along a cycle of such arcs that leaves the edges already decided untouched.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped, unused-ignore]

IntArray = NDArray[np.int64]
# OR-Tools scales costs by the node count inside; keep every cost far below int64's limit after that.
MAX_COST = 2**62


class Network:
    """The flow network of one instance: arcs (source->left, left->right edges, right->sink, bypass)."""

    def __init__(self, left_capacity: IntArray, right_capacity: IntArray, edge_left: IntArray, edge_right: IntArray,
                 edge_weight: IntArray) -> None:
        _check(left_capacity, right_capacity, edge_left, edge_right, edge_weight)
        self.n_left, self.n_right, self.n_edges = len(left_capacity), len(right_capacity), len(edge_weight)
        self.source, self.sink = self.n_left + self.n_right, self.n_left + self.n_right + 1
        self.flow = int(min(left_capacity.sum(), right_capacity.sum(), len(edge_weight)))
        # One more chosen edge is worth less than a single unit of weight: weight first, then count.
        scale = self.n_edges + 1
        if self.n_edges and int(edge_weight.max()) * scale * (self.source + 2) >= MAX_COST:
            raise ValueError("edge weights too large for an exact integer min-cost flow")
        self.tails = np.concatenate([np.full(self.n_left, self.source), edge_left,
                                     np.arange(self.n_right) + self.n_left, [self.source]]).astype(np.int64)
        self.heads = np.concatenate([np.arange(self.n_left), edge_right + self.n_left,
                                     np.full(self.n_right, self.sink), [self.sink]]).astype(np.int64)
        self.capacities = np.concatenate([left_capacity, np.ones(self.n_edges, np.int64), right_capacity,
                                          [self.flow]]).astype(np.int64)
        self.costs = np.concatenate([np.zeros(self.n_left, np.int64), -(edge_weight * scale + 1),
                                     np.zeros(self.n_right, np.int64), [0]]).astype(np.int64)

    @property
    def nodes(self) -> int:
        return self.n_left + self.n_right + 2

    def edge_arc(self, edge: int) -> int:
        return self.n_left + edge

    def solve(self) -> IntArray:
        """An optimal flow on every arc."""
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(self.tails.astype(np.int32), self.heads.astype(np.int32),
                                                    self.capacities, self.costs)
        solver.set_node_supply(self.source, self.flow)
        solver.set_node_supply(self.sink, -self.flow)
        status = solver.solve()
        if status != solver.OPTIMAL:
            raise RuntimeError(f"min-cost flow ended {status}")
        return np.asarray(solver.flows(np.arange(len(self.tails), dtype=np.int32)), np.int64)


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
    network = Network(left_capacity, right_capacity, edge_left, edge_right, edge_weight)
    if network.flow == 0:
        return np.zeros(network.n_edges, dtype=np.bool_)
    flows = network.solve()
    return flows[network.n_left:network.n_left + network.n_edges] > 0


def first_best_b_matching(
    left_capacity: IntArray, right_capacity: IntArray, edge_left: IntArray, edge_right: IntArray,
    edge_weight: IntArray,
) -> NDArray[np.bool_]:
    """The best choice `max_weight_b_matching` would make, and of several equally good ones always the first in
    edge order: each edge, in the order given, is chosen if some best choice holds it with those chosen before it
    and without those passed over. The same arrays give the same answer on every machine and solver version."""
    network = Network(left_capacity, right_capacity, edge_left, edge_right, edge_weight)
    if network.flow == 0:
        return np.zeros(network.n_edges, dtype=np.bool_)
    flows = network.solve()
    potentials = dual_potentials(network, flows)
    reduced = network.costs + potentials[network.tails] - potentials[network.heads]
    return _first_in_order(network, flows.tolist(), reduced == 0)


def dual_potentials(network: Network, flows: IntArray) -> IntArray:
    """Shortest distances in the residual graph of an optimal flow (from a root joined to every node at cost 0):
    with them every residual arc's reduced cost is >= 0, and an arc can carry flow in some optimal flow only where
    its reduced cost is 0 (complementary slackness holds between every optimal flow and these duals)."""
    forward, backward = flows < network.capacities, flows > 0
    tails = np.concatenate([network.tails[forward], network.heads[backward]])
    heads = np.concatenate([network.heads[forward], network.tails[backward]])
    costs = np.concatenate([network.costs[forward], -network.costs[backward]])
    order = np.argsort(heads, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    targets, starts = np.unique(heads, return_index=True)
    distance = np.zeros(network.nodes, np.int64)
    for _ in range(network.nodes + 1):  # Bellman-Ford, every arc relaxed at once
        best = np.minimum.reduceat(distance[tails] + costs, starts) if len(tails) else np.zeros(0, np.int64)
        improved = best < distance[targets]
        if not improved.any():
            return distance
        distance[targets[improved]] = best[improved]
    raise RuntimeError("the residual graph has a negative cycle: the flow was not optimal")


def _first_in_order(network: Network, flows: list[int], tight: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Walk the edges in order from one optimal flow, swapping each edge in where a cycle of tight arcs allows."""
    tails, heads, capacities = network.tails.tolist(), network.heads.tolist(), network.capacities.tolist()
    out_arcs: list[list[int]] = [[] for _ in range(network.nodes)]
    in_arcs: list[list[int]] = [[] for _ in range(network.nodes)]
    for arc in np.flatnonzero(tight).tolist():
        out_arcs[tails[arc]].append(arc)
        in_arcs[heads[arc]].append(arc)
    decided = [False] * len(tails)
    # A node's capacity is that of its arc from the source (left) or to the sink (right).
    room = capacities[:network.n_left] + [0] * network.n_right
    room[network.n_left:] = capacities[network.edge_arc(network.n_edges):network.edge_arc(network.n_edges)
                                       + network.n_right]
    held = [0] * (network.n_left + network.n_right)  # edges decided in, per left and right node
    first, last = network.edge_arc(0), network.edge_arc(network.n_edges)
    # Only an edge with flow or a tight arc can ever be in a best choice; the others are passed over as they are.
    for arc in (first + np.flatnonzero((np.asarray(flows[first:last]) > 0) | tight[first:last])).tolist():
        left, right = tails[arc], heads[arc]
        decided[arc] = True
        if flows[arc] == 0 and (held[left] >= room[left] or held[right] >= room[right] or not _swap_in(
                arc, out_arcs, in_arcs, tails, heads, capacities, flows, decided)):
            continue
        held[left] += 1
        held[right] += 1
    return np.asarray(flows[first:last], np.int64) > 0


def _swap_in(arc: int, out_arcs: list[list[int]], in_arcs: list[list[int]], tails: list[int], heads: list[int],
             capacities: list[int], flows: list[int], decided: list[bool]) -> bool:
    """Put flow on `arc` (tail -> head) along a cycle of undecided tight arcs back from its head to its tail."""
    start, goal = heads[arc], tails[arc]
    parent: dict[int, tuple[int, int, int]] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        steps = [(a, heads[a], 1) for a in out_arcs[node] if not decided[a] and flows[a] < capacities[a]]
        steps += [(a, tails[a], -1) for a in in_arcs[node] if not decided[a] and flows[a] > 0]
        for through, reached, direction in steps:
            if reached in seen or through == arc:
                continue
            seen.add(reached)
            parent[reached] = (node, through, direction)
            if reached == goal:
                flows[arc] += 1
                while reached != start:
                    previous, through, direction = parent[reached]
                    flows[through] += direction
                    reached = previous
                return True
            queue.append(reached)
    return False
