"""Per-particle structural descriptors of a configuration (LJ units: lengths in sigma, energies in epsilon).

- :func:`radial_descriptors`, :func:`bond_order_descriptors`, :func:`coarse_grain`,
  :func:`structural_descriptors`: radial structure functions per neighbour species and Steinhardt bond order
  over the first shell, recursively averaged over neighbours (Boattini et al., PRL 127, 088007 (2021)): the
  inputs of the descriptor baselines.
- :func:`multiscale_descriptors`: inherent-state energy, density and local order coarse-grained over several
  lengths per neighbour species (the physics-inspired inputs of Jung, Biroli and Berthier's GlassMLP,
  PRL 130, 238202 (2023)): node inputs of glassnet's model and a baseline.

Pure functions of arrays; freud computes the Steinhardt order. Types are 0 (A) and 1 (B).
"""
from __future__ import annotations

import numpy as np

from .core import Configuration
from .graph import periodic_pairs as _pairs

__all__ = ["FIRST_SHELL", "RADIAL_SHELLS", "L_VALUES", "radial_descriptors", "bond_order_descriptors",
           "coarse_grain", "structural_descriptors", "MULTISCALE_LENGTHS", "multiscale_descriptors",
           "multiscale_names"]

#: First minimum of g_ab(r) of the KA mixture (sigma), the first-shell cutoffs.
FIRST_SHELL = {(0, 0): 1.40, (0, 1): 1.20, (1, 1): 1.07}

RADIAL_SHELLS = np.round(np.arange(0.8, 2.41, 0.1), 2)
RADIAL_WIDTH = 0.1
L_VALUES = (2, 3, 4, 5, 6, 7, 8)


def radial_descriptors(positions, types, box, shells=RADIAL_SHELLS, width: float = RADIAL_WIDTH):
    """Radial structure functions G_s(i; r) = sum_{j of species s} exp(-(r_ij - r)^2 / (2 width^2)).

    Returns:
        (N, 2 * len(shells)) float64: species A shells, then species B shells.
    """
    types = np.asarray(types)
    n, k = len(types), len(shells)
    i, j, r, _ = _pairs(positions, box, float(np.max(shells)) + 5 * width)
    g = np.exp(-((r[:, None] - np.asarray(shells)[None, :]) ** 2) / (2 * width ** 2))   # (P, K)
    out = np.zeros((n, 2, k))
    np.add.at(out, (i, types[j]), g)   # neighbour j seen from i
    np.add.at(out, (j, types[i]), g)   # and i seen from j
    return out.reshape(n, 2 * k)


def bond_order_descriptors(positions, types, box, l_values=L_VALUES):
    """Steinhardt q_l of each particle over its first shell (cutoffs :data:`FIRST_SHELL`), via freud.

    Returns:
        (N, len(l_values)) float64; particles without neighbours get 0.
    """
    import freud

    types = np.asarray(types)
    n = len(types)
    i, j, r, d = _pairs(positions, box, max(FIRST_SHELL.values()))
    ti, tj = types[i], types[j]
    cut = np.where(ti + tj == 0, FIRST_SHELL[(0, 0)], np.where(ti + tj == 1, FIRST_SHELL[(0, 1)],
                                                                FIRST_SHELL[(1, 1)]))
    keep = r < cut
    q_idx = np.concatenate([i[keep], j[keep]])
    p_idx = np.concatenate([j[keep], i[keep]])
    vec = np.concatenate([d[keep], -d[keep]])          # point - query_point, minimum image
    order = np.lexsort((p_idx, q_idx))
    box = np.asarray(box, float)
    pts = np.mod(positions, box) - box / 2
    nlist = freud.locality.NeighborList.from_arrays(n, n, q_idx[order], p_idx[order], vec[order])
    st = freud.order.Steinhardt(l=list(l_values))
    st.compute((freud.box.Box(*box), pts), neighbors=nlist)
    q = np.asarray(st.particle_order, dtype=np.float64).reshape(n, len(l_values))
    return np.nan_to_num(q)


def coarse_grain(features, positions, box, r_c: float = 2.1, levels: int = 2) -> np.ndarray:
    """Recursive neighbour averaging (Boattini et al. 2021).

    Level 0 is the input; level k+1 at particle i is sum_j w_ij x_j^(k) / sum_j w_ij over j = i and the
    particles within r_c, with w_ij = exp(-r_ij / r_c).

    Returns:
        (N, F * (levels + 1)) float64: levels 0..levels side by side.
    """
    x = np.asarray(features, dtype=np.float64)
    n = len(x)
    i, j, r, _ = _pairs(positions, box, r_c)
    w = np.exp(-r / r_c)
    norm = 1.0 + np.bincount(i, w, n) + np.bincount(j, w, n)
    out = [x]
    for _ in range(levels):
        cur = out[-1]
        acc = cur.copy()                      # self term, w = 1
        np.add.at(acc, i, w[:, None] * cur[j])
        np.add.at(acc, j, w[:, None] * cur[i])
        out.append(acc / norm[:, None])
    return np.concatenate(out, axis=1)


def structural_descriptors(config: Configuration, levels: int = 2) -> np.ndarray:
    """The full descriptor of each particle: radial + bond order, coarse-grained to ``levels``.

    Returns:
        (N, 41 * (levels + 1)) float64.
    """
    base = np.concatenate([radial_descriptors(config.positions, config.types, config.box),
                           bond_order_descriptors(config.positions, config.types, config.box)], axis=1)
    return coarse_grain(base, config.positions, config.box, levels=levels)


#: coarse-graining lengths L (sigma) of :func:`multiscale_descriptors`
MULTISCALE_LENGTHS = (1.0, 2.0, 3.0)
#: the weights exp(-r / L) are cut at this many L (and at half the box)
MULTISCALE_RANGE = 2.5
#: Steinhardt orders of the local-order field that is coarse-grained
MULTISCALE_L = (4, 6)


def multiscale_names(lengths=MULTISCALE_LENGTHS, l_values=MULTISCALE_L) -> list[str]:
    """Column names of :func:`multiscale_descriptors`, in its order."""
    own = ["energy"] + [f"q{l}" for l in l_values]
    names = [f"{x}_L0" for x in own]
    for length in lengths:
        for s in "AB":
            names += [f"density{s}_L{length:g}"] + [f"{x}{s}_L{length:g}" for x in own]
    return names


def multiscale_descriptors(positions, types, box, energies, lengths=MULTISCALE_LENGTHS,
                           l_values=MULTISCALE_L) -> np.ndarray:
    """Energy, density and local order of each particle's surroundings, coarse-grained over several lengths.

    Meant for the inherent state: ``positions`` its positions (sigma), ``energies`` its per-particle
    potential energies (epsilon). The local order is the Steinhardt q_l over the first shell
    (:func:`bond_order_descriptors`). For each length L and neighbour species s, with weights
    w_ij = exp(-r_ij / L) over the particles j of species s closer than min(MULTISCALE_RANGE L, half the
    box), particle i itself included with w_ii = 1 when it is of species s:

    - density: sum_j w_ij / (8 pi L^3), particles per sigma^3 (8 pi L^3 is the integral of the weight);
    - energy and each q_l: sum_j w_ij x_j / sum_j w_ij (the particle's own value where no particle of s
      is in range).

    Returns:
        (N, (1 + len(l_values)) * (1 + 2 len(lengths))) float64: the particle's own energy and q_l (L = 0),
        then per L and species (A, B) the density, energy and q_l; names in :func:`multiscale_names`.
    """
    types = np.asarray(types)
    if np.any((types != 0) & (types != 1)):
        raise ValueError("multiscale descriptors take types 0 (A) and 1 (B)")
    box = np.asarray(box, float) * np.ones(3)
    n = len(types)
    own = np.column_stack([np.asarray(energies, float), bond_order_descriptors(positions, types, box, l_values)])
    half = 0.5 * float(box.min()) * (1 - 1e-9)
    i, j, r, _ = _pairs(positions, box, min(MULTISCALE_RANGE * max(lengths), half))
    out = [own]
    for length in lengths:
        inside = r < min(MULTISCALE_RANGE * length, half)
        ii, jj, w = i[inside], j[inside], np.exp(-r[inside] / length)
        # (particle, neighbour species) bins: j seen from i and i seen from j, plus the particle itself
        rows = np.concatenate([2 * ii + types[jj], 2 * jj + types[ii], 2 * np.arange(n) + types])
        src = np.concatenate([jj, ii, np.arange(n)])
        ww = np.concatenate([w, w, np.ones(n)])
        wsum = np.bincount(rows, ww, 2 * n)
        for s in (0, 1):
            total = wsum[s::2]
            cols = [total / (8 * np.pi * length ** 3)]
            for f in range(own.shape[1]):
                acc = np.bincount(rows, ww * own[src, f], 2 * n)[s::2]
                cols.append(np.where(total > 0, acc / np.where(total > 0, total, 1), own[:, f]))
            out.append(np.column_stack(cols))
    return np.concatenate(out, axis=1)
