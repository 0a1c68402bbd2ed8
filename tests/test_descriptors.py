"""Structural descriptors against brute-force computations over every pair."""
import numpy as np
import pytest
from scipy.special import sph_harm_y

from glassnet.descriptors import (FIRST_SHELL, MULTISCALE_RANGE, RADIAL_SHELLS, bond_order_descriptors,
                                  coarse_grain, multiscale_descriptors, multiscale_names, radial_descriptors)
from glassnet.forcefield import lattice_configuration


def _system(n=250, seed=0):
    pos, typ, box = lattice_configuration(n, 1.2, seed=seed)
    pos = pos + np.random.default_rng(seed).normal(0, 0.08, pos.shape)
    return pos, typ, box


def _min_image(pos, box):
    d = pos[None, :, :] - pos[:, None, :]          # d[i, j] = r_j - r_i
    return d - box * np.round(d / box)


def test_radial_descriptors_brute_force():
    pos, typ, box = _system()
    got = radial_descriptors(pos, typ, box)
    d = np.linalg.norm(_min_image(pos, box), axis=-1)
    np.fill_diagonal(d, np.inf)
    k = len(RADIAL_SHELLS)
    for i in (0, 17, 101):
        for s in (0, 1):
            r = d[i, typ == s]
            expected = np.exp(-((r[:, None] - RADIAL_SHELLS[None, :]) ** 2) / (2 * 0.1 ** 2)).sum(0)
            assert np.allclose(got[i, s * k:(s + 1) * k], expected, atol=1e-4)


def test_bond_order_brute_force():
    pos, typ, box = _system(seed=3)
    got = bond_order_descriptors(pos, typ, box, l_values=(4, 6))
    d = _min_image(pos, box)
    r = np.linalg.norm(d, axis=-1)
    cut = np.array([[FIRST_SHELL[(0, 0)], FIRST_SHELL[(0, 1)]], [FIRST_SHELL[(0, 1)], FIRST_SHELL[(1, 1)]]])
    for i in (0, 50, 200):
        nb = [j for j in range(len(pos)) if j != i and r[i, j] < cut[typ[i], typ[j]]]
        v = d[i, nb]
        theta = np.arccos(v[:, 2] / np.linalg.norm(v, axis=1))
        phi = np.arctan2(v[:, 1], v[:, 0])
        for col, l in enumerate((4, 6)):
            qlm = np.array([sph_harm_y(l, m, theta, phi).mean() for m in range(-l, l + 1)])
            ql = np.sqrt(4 * np.pi / (2 * l + 1) * np.sum(np.abs(qlm) ** 2))
            assert got[i, col] == pytest.approx(ql, rel=1e-4)


def test_coarse_grain_brute_force():
    pos, typ, box = _system(seed=4)
    x = np.random.default_rng(0).normal(size=(len(pos), 3))
    got = coarse_grain(x, pos, box, r_c=2.1, levels=2)
    r = np.linalg.norm(_min_image(pos, box), axis=-1)
    w = np.where(r < 2.1, np.exp(-r / 2.1), 0.0)     # includes j = i with w = 1
    lvl1 = (w @ x) / w.sum(1, keepdims=True)
    lvl2 = (w @ lvl1) / w.sum(1, keepdims=True)
    assert np.allclose(got, np.concatenate([x, lvl1, lvl2], axis=1), atol=1e-10)


def test_multiscale_descriptors_brute_force():
    """Energy, density and q_l coarse-grained per neighbour species with exp(-r/L), cut at 2.5 L and at
    half the box (L = 3 sigma reaches past half of this 6.8-sigma box), the particle itself included."""
    pos, typ, box = _system(n=375, seed=5)
    energies = np.random.default_rng(1).normal(-7, 0.5, len(pos))
    lengths = (1.0, 3.0)
    got = multiscale_descriptors(pos, typ, box, energies, lengths=lengths)
    names = multiscale_names(lengths)
    assert got.shape == (len(pos), len(names)) == (len(pos), 3 + 2 * 2 * 4)
    own = np.column_stack([energies, bond_order_descriptors(pos, typ, box, (4, 6))])
    r = np.linalg.norm(_min_image(pos, box), axis=-1)
    for i in (0, 77, 300):
        assert np.allclose(got[i, :3], own[i])
        col = 3
        for length in lengths:
            w = np.where(r[i] < min(MULTISCALE_RANGE * length, box.min() / 2), np.exp(-r[i] / length), 0.0)
            for s in (0, 1):
                ws = w * (typ == s)
                assert names[col] == f"density{'AB'[s]}_L{length:g}"
                assert got[i, col] == pytest.approx(ws.sum() / (8 * np.pi * length ** 3), rel=1e-10)
                assert np.allclose(got[i, col + 1:col + 4], ws @ own / ws.sum(), rtol=1e-10)
                col += 4
    # a homogeneous liquid: the mean weighted density at L is the species' number density times the share
    # of the integral of exp(-r/L) inside the cut R, 1 - e^-x (1 + x + x^2/2) with x = R/L
    for length in lengths:
        x = min(MULTISCALE_RANGE * length, box.min() / 2) / length
        share = 1 - np.exp(-x) * (1 + x + x ** 2 / 2)
        for s in (0, 1):
            expected = np.sum(typ == s) / np.prod(box) * share
            assert got[:, names.index(f"density{'AB'[s]}_L{length:g}")].mean() == pytest.approx(expected, rel=0.05)
