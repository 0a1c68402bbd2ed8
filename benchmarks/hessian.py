"""The physics inputs of issue 17: what each costs per configuration at N = 1000 and N = 4096.

For one T=0.64 test configuration of data/reference (N = 1000) and, where ../shared is beside the checkout,
the published T=0.44 configuration (test_large.pickle, N = 4096), times (median of --repeats, one thread):
the FIRE quench to the inherent state, the sparse Hessian, the k = 30 softest inherent-state modes by sparse
shift-invert Lanczos, the multi-scale descriptors, the harmonic propagator by Chebyshev expansions on the sparse
Hessian (the given configuration, t = 0.165 and 0.52), and with --dense the dense eigen-decomposition that the
harmonic propagator and the vibrational amplitude need (3N x 3N; at N = 4096 1.2 GB and minutes). It also
checks that the sparse soft modes are the dense ones (eigenvalues, and the soft-mode participation). Run:
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/hessian.py [--dense] [--repeats 3]
"""
import argparse
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from glassnet.descriptors import multiscale_descriptors
from glassnet.formats import read_configurations, read_labelled
from glassnet.hessian import (harmonic_displacement, harmonic_displacement_sparse, hessian, normal_modes,
                              soft_mode_participation, vibrational_amplitude)
from glassnet.md import inherent_state

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT.parent / "shared" / "reference_data" / "bapst2020" / "test_large.pickle"


def timed(fn, repeats):
    out, times = None, []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def measure(name, pos, typ, box, temperature, repeats, dense):
    n = len(typ)
    print(f"\n{name}: N = {n}, T = {temperature}")
    inh, t = timed(lambda: inherent_state(pos, typ, box), 1)
    print(f"  FIRE quench to 1e-6                       {t:8.2f} s")
    h, t = timed(lambda: hessian(inh.positions, typ, box, sparse=True), repeats)
    print(f"  sparse Hessian ({h.nnz / 1e6:.2f} M non-zeros)           {t:8.2f} s")
    (w_k, e_k), t = timed(lambda: normal_modes(h, k=33), repeats)
    print(f"  30 softest modes, sparse shift-invert     {t:8.2f} s")
    _, t = timed(lambda: multiscale_descriptors(inh.positions, typ, box, inh.energies), repeats)
    print(f"  multi-scale descriptors (27 per particle) {t:8.2f} s")
    _, t = timed(lambda: harmonic_displacement_sparse(pos, typ, box, inh.forces, temperature, [0.165, 0.52]), repeats)
    print(f"  harmonic propagator at 2 times, sparse    {t:8.2f} s   (Chebyshev on the sparse Hessian, 64 draws)")
    if not dense:
        return
    (w2, e), t = timed(lambda: normal_modes(hessian(inh.positions, typ, box)), 1)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  dense Hessian + eigh (inherent state)     {t:8.2f} s   (peak memory of the process {rss:.0f} MB)")
    _, t = timed(lambda: vibrational_amplitude(w2, e), 1)
    print(f"  vibrational amplitude from the modes      {t:8.2f} s")
    gap = np.max(np.abs(w_k[:30] - w2[:30])) / abs(w2[33])
    same = np.corrcoef(soft_mode_participation(w_k, e_k), soft_mode_participation(w2, e))[0, 1]
    print(f"  sparse vs dense: 30 lowest omega^2 agree to {gap:.1e} (relative); soft-mode participation r = {same:.4f}")
    del w2, e
    (w2, e), t = timed(lambda: normal_modes(hessian(pos, typ, box)), 1)
    print(f"  dense Hessian + eigh (given configuration){t:8.2f} s   ({int(np.sum(w2 < -1e-8))} unstable modes)")
    _, t = timed(lambda: harmonic_displacement(w2, e, inh.forces, temperature, [0.165, 0.52]), 1)
    print(f"  harmonic propagator at 2 times            {t:8.2f} s")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="timing repeats (median) of the cheap steps")
    p.add_argument("--dense", action="store_true", help="also the dense eigen-decompositions (minutes at N=4096)")
    args = p.parse_args()
    c = read_labelled([ROOT / "data" / "reference" / "ka-T0.64.h5"], "test")[0]
    measure("ka-T0.64.h5 test configuration 0", c.positions, c.types, c.box, 0.64, args.repeats, args.dense)
    if PUBLISHED.exists():
        big = read_configurations(PUBLISHED)[0]
        measure("published T=0.44 configuration (test_large.pickle)", big.positions, big.types, big.box, 0.44,
                args.repeats, args.dense)
    else:
        print(f"\n{PUBLISHED} not found: N = 4096 skipped (put ../shared beside the checkout)")


if __name__ == "__main__":
    main()
