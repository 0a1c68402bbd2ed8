"""Periodic radius graphs against brute force."""
import numpy as np
import pytest

from glassnet.graph import CUBE_SYMMETRIES, GraphError, build_graph


def _brute_force(pos, box, r_cut):
    d = pos[None, :, :] - pos[:, None, :]            # d[i, j] = r_j - r_i
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=-1)
    send, recv = np.nonzero(r < r_cut)                # includes i == j
    return set(zip(send.tolist(), recv.tolist())), d


@pytest.mark.parametrize("seed", [0, 1])
def test_graph_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    box = np.array([5.0, 6.0, 7.5])
    pos = rng.uniform(0, 1, (300, 3)) * box
    pos[:10] += box * rng.integers(-2, 3, (10, 3))      # periodic images far outside
    types = rng.integers(0, 2, 300)
    g = build_graph(pos, types, box, r_cut=2.0)
    expected, d = _brute_force(pos, box, 2.0)
    got = set(zip(g.senders.tolist(), g.receivers.tolist()))
    assert got == expected
    assert g.n_edges == len(expected)
    assert np.allclose(g.edges, d[g.senders, g.receivers], atol=1e-5)
    assert np.all(np.diff(g.receivers) >= 0)
    assert np.array_equal(g.nodes, types)


def test_published_snapshot_edge_count(test_large):
    g = build_graph(test_large["positions"], test_large["types"], test_large["box"], 2.0)
    assert g.n_edges == 171_066                      # including 4,096 self-edges (reference README)
    assert np.sum(g.senders == g.receivers) == 4096


def test_particle_on_box_face_and_no_self_edges():
    box = 6.0
    pos = np.array([[0.0, 3.0, 3.0], [6.0 - 1e-12, 3.0, 3.0], [3.0, 3.0, 3.0]])
    g = build_graph(pos, [0, 1, 0], box, r_cut=2.0, self_edges=False)
    assert set(zip(g.senders.tolist(), g.receivers.tolist())) == {(0, 1), (1, 0)}
    assert np.allclose(np.abs(g.edges[:, 0]), 1e-12, atol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    (dict(box=3.9), "exceeds half the box"),
    (dict(types=[0, 0, 3]), "unknown particle types"),
    (dict(positions=np.zeros((3, 2))), r"positions.shape=\(3, 2\)"),
    (dict(positions=np.full((3, 3), np.nan)), "NaN"),
])
def test_bad_input(kwargs, match):
    args = dict(positions=np.ones((3, 3)), types=[0, 1, 0], box=8.0)
    args.update(kwargs)
    with pytest.raises(GraphError, match=match):
        build_graph(args["positions"], args["types"], args["box"], r_cut=2.0)


def test_cube_symmetries_form_the_group():
    assert CUBE_SYMMETRIES.shape == (48, 3, 3)
    assert len({m.tobytes() for m in CUBE_SYMMETRIES}) == 48
    for m in CUBE_SYMMETRIES:
        assert np.allclose(m @ m.T, np.eye(3))
