"""MD throughput of the KA mixture: raw LAMMPS against glassnet's API, 1 against 2 worker processes.

For N=1000 and N=4096 (density 1.2, T=0.8 liquid, NVE, dt=0.005, one thread per LAMMPS), prints
particle-steps per second for: LAMMPS's own `run` in one call; the same steps through
`Engine.trajectory` on a log-spaced grid of 20 sampling times (positions gathered and unwrapped at
each); and that API work in 1 and in 2 worker processes at once. Run:
    .venv/bin/python benchmarks/md_throughput.py [--steps 10000]
"""
import argparse
import multiprocessing as mp
import statistics
import time

import numpy as np


def _prepared(n, seed=0):
    from glassnet.md.lammps import LammpsEngine
    sim = LammpsEngine.from_scratch(n, temperature=0.8, seed=seed, melt_time=5, settle_time=5)
    return sim


def raw_rate(n, steps):
    sim = _prepared(n)
    sim.run(200)
    t = time.perf_counter()
    sim.lammps.command(f"run {steps} pre no post no")
    dt = time.perf_counter() - t
    sim.close()
    return n * steps / dt


def api_rate(n, steps, seed=0):
    sim = _prepared(n, seed)
    sim.run(200)
    times = np.unique(np.round(np.geomspace(sim.dt, steps * sim.dt, 20) / sim.dt)) * sim.dt
    t = time.perf_counter()
    sim.trajectory(times)
    dt = time.perf_counter() - t
    sim.close()
    return n * steps / dt


def _worker(args):
    n, steps, seed = args
    return api_rate(n, steps, seed)


def parallel_rate(n, steps, workers):
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers) as pool:
        pool.map(_worker, [(n, 200, s) for s in range(workers)])   # warm up: imports, LAMMPS start
        t = time.perf_counter()
        rates = pool.map(_worker, [(n, steps, s) for s in range(workers)])
        wall = time.perf_counter() - t
    # (aggregate of the timed MD sections, which run concurrently; wall clock including each
    # worker's system set-up, a lower bound)
    return sum(rates), workers * n * steps / wall


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    for n in (1000, 4096):
        steps = args.steps if n == 1000 else args.steps // 4
        raw = statistics.median(raw_rate(n, steps) for _ in range(args.repeats))
        api = statistics.median(api_rate(n, steps) for _ in range(args.repeats))
        print(f"N={n:5d}: raw LAMMPS {raw:12,.0f} particle-steps/s ({raw / n:7.0f} steps/s); "
              f"glassnet API {api:12,.0f} ({api / n:7.0f} steps/s); ratio {api / raw:.3f}")
    n = 1000
    steps = args.steps
    (one, one_wall), (two, two_wall) = parallel_rate(n, steps, 1), parallel_rate(n, steps, 2)
    print(f"N={n}, glassnet API: 1 process {one:,.0f} particle-steps/s, 2 processes {two:,.0f} "
          f"(sum over workers); speed-up {two / one:.2f}x")
    print(f"N={n}, wall clock including each worker's set-up: 1 process {one_wall:,.0f}, "
          f"2 processes {two_wall:,.0f}; speed-up {two_wall / one_wall:.2f}x")


if __name__ == "__main__":
    main()
