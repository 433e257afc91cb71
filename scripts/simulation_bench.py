"""Time the default simulation study (R = 500, seed 2025, 2 processes) on the synthetic data.

    /usr/bin/time -v .venv/bin/python scripts/simulation_bench.py [--replicates N] [--n-jobs J]

Prints the wall-clock seconds of each run (data loading excluded), whether two runs with the same
seed give identical results, and whether a single-process run agrees with them. /usr/bin/time -v
adds the peak memory ("Maximum resident set size"). Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import time

from helpers.data import load_survey
from helpers.analysis.simulation import simulate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()

    df = load_survey()
    times, results = [], []
    for _ in range(2):
        start = time.perf_counter()
        results.append(simulate(df, replicates=args.replicates, seed=args.seed, n_jobs=args.n_jobs))
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    serial = simulate(df, replicates=args.replicates, seed=args.seed, n_jobs=1)
    serial_time = time.perf_counter() - start

    same = results[0][0].equals(results[1][0]) and results[0][1].equals(results[1][1])
    same_serial = results[0][0].equals(serial[0]) and results[0][1].equals(serial[1])
    summary = results[0][1]
    print(f"replicates: {args.replicates}, seed: {args.seed}, n_jobs: {args.n_jobs}")
    print(f"run 1: {times[0]:.2f} s; run 2: {times[1]:.2f} s; n_jobs=1: {serial_time:.2f} s")
    print(f"identical with the same seed: {same}; identical to n_jobs=1: {same_serial}")
    for row in summary.itertuples():
        print(
            f"  {row.estimand:32s} true OR {row.true_value:6.3f}  coverage {row.coverage:.3f} "
            f"(MC SE {row.mc_se:.3f})  failed {row.failed}  separated {row.separated}"
        )
    return 0 if same and same_serial else 1


if __name__ == "__main__":
    raise SystemExit(main())
