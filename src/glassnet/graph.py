"""Periodic radius graphs of particle configurations (the input of the graph networks).

A particle is a node whose feature is its type; every pair closer than the cutoff is joined by two
directed edges (i->j and j->i), and each particle has a self-edge, as in Bapst et al. (2020). The edge
feature is the minimum-image displacement r_receiver - r_sender (sigma).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .core import GraphError, check_particles

__all__ = ["Graph", "GraphError", "build_graph", "periodic_pairs", "CUBE_SYMMETRIES"]


@dataclass(frozen=True)
class Graph:
    """A periodic radius graph.

    Attributes:
        nodes: (N,) int64 particle types (0 = A, 1 = B).
        senders: (E,) int64 sender index of each directed edge.
        receivers: (E,) int64 receiver index of each edge; edges are sorted by receiver.
        edges: (E, 3) float32 displacement r_receiver - r_sender by minimum image (sigma).
        box: (3,) float64 box lengths (sigma).
        r_cut: the cutoff (sigma).
    """

    nodes: np.ndarray
    senders: np.ndarray
    receivers: np.ndarray
    edges: np.ndarray
    box: np.ndarray
    r_cut: float

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        return len(self.senders)


def _validate(positions, types, box, r_cut):
    pos, typ, b = check_particles(positions, types, box, GraphError)
    if not r_cut > 0:
        raise GraphError(f"r_cut={r_cut}; expected > 0")
    if np.any(b < 2 * r_cut):
        raise GraphError(f"r_cut={r_cut} exceeds half the box length {b.min() / 2:g}: "
                         "the minimum image convention would not hold")
    return pos, typ, b


def build_graph(positions, types, box, r_cut: float = 2.0, self_edges: bool = True) -> Graph:
    """Build the periodic radius graph of a configuration.

    Args:
        positions: (N, 3) positions (sigma); any periodic image (unwrapped positions are fine).
        types: (N,) particle types, 0 (A) or 1 (B).
        box: scalar or (3,) box lengths (sigma), corner at the origin.
        r_cut: cutoff (sigma), default 2.0; pairs with distance < r_cut are joined.
        self_edges: add an edge i->i for every particle (the published model has them).

    Returns:
        :class:`Graph` with both directions of every pair, edges sorted by receiver.
    """
    pos, typ, b = _validate(positions, types, box, r_cut)
    i, j, _, _ = periodic_pairs(pos, b, r_cut)
    pairs = np.stack([i, j], axis=1)
    senders = [pairs[:, 0], pairs[:, 1]]
    receivers = [pairs[:, 1], pairs[:, 0]]
    if self_edges:
        idx = np.arange(len(pos))
        senders.append(idx)
        receivers.append(idx)
    senders = np.concatenate(senders).astype(np.int64)
    receivers = np.concatenate(receivers).astype(np.int64)
    order = np.lexsort((senders, receivers))
    senders, receivers = senders[order], receivers[order]
    wrapped = np.mod(pos, b)
    edges = wrapped[receivers] - wrapped[senders]
    edges -= b * np.round(edges / b)
    return Graph(typ, senders, receivers, edges.astype(np.float32), b, float(r_cut))


def periodic_pairs(positions, box, r_max: float):
    """Every pair i < j closer than r_max under the minimum image convention (cKDTree with boxsize).

    Args:
        positions: (N, 3) positions (sigma), any periodic image; box: (3,) lengths (sigma).

    Returns:
        (i (P,) int64, j (P,) int64, r_ij (P,) float64, d_ij = r_j - r_i (P, 3) float64).
    """
    box = np.asarray(box, dtype=np.float64)
    wrapped = np.mod(np.asarray(positions, dtype=np.float64), box)
    wrapped[wrapped >= box] = 0.0  # mod can round up to exactly L
    pairs = cKDTree(wrapped, boxsize=box).query_pairs(r_max, output_type="ndarray")
    d = wrapped[pairs[:, 1]] - wrapped[pairs[:, 0]]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=1)
    keep = r < r_max  # query_pairs includes r == r_max
    return pairs[keep, 0].astype(np.int64), pairs[keep, 1].astype(np.int64), r[keep], d[keep]


def _cube_symmetries() -> np.ndarray:
    from itertools import permutations, product
    mats = []
    for perm in permutations(range(3)):
        for signs in product((1.0, -1.0), repeat=3):
            m = np.zeros((3, 3))
            m[np.arange(3), perm] = signs
            mats.append(m)
    return np.array(mats)


#: (48, 3, 3) the symmetries of the cube: axis permutations times sign flips.
CUBE_SYMMETRIES = _cube_symmetries()
