"""Time the specification grid (`make bench`): the whole grid must take at most 15 s here.

    .venv/bin/python scripts/grid_bench.py [--limit 15] [--jobs 1]

Two runs: (a) the bundled synthetic file, where the "Don't know" coding changes nothing and its
fits are shared; (b) the same file with 5% of each exposure's answers missing, so that every
data variant differs and every fit of the grid is computed (the worst case for a real file).
Prints one line per run (specifications, distinct fits, wall and CPU seconds, the load average)
and exits 1 if a run's wall time exceeds the limit. Data loading and imports are excluded;
numbers depend on the machine and on what else runs on it (the load average says). CPU time
counts this process only (with --jobs > 1 the workers' time is not in it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from helpers.review import grid
from helpers.data import load_survey


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=15.0)
    parser.add_argument("--jobs", type=int, default=1, help="processes for the distinct fits (fit_grid n_jobs)")
    args = parser.parse_args()
    df = load_survey()
    holes = df.copy()
    rng = np.random.default_rng(2025)
    for column in grid.exposures().values():
        holes.loc[rng.random(len(holes)) < 0.05, column] = np.nan
    worst = 0.0
    for name, frame in (("synthetic file", df), ("5% of exposures missing", holes)):
        start, cpu = time.perf_counter(), time.process_time()
        result = grid.fit_grid(frame, n_jobs=args.jobs)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        worst = max(worst, seconds)
        print(
            f"grid on {name} ({args.jobs} process{'es' if args.jobs > 1 else ''}): {result['spec_id'].nunique()} specifications, {len(result)} rows, "
            f"{result.attrs['distinct_fits']} distinct fits, {seconds:.1f} s wall, {cpu:.1f} s CPU "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )
    print(f"slowest: {worst:.1f} s (limit {args.limit:g} s): {'ok' if worst <= args.limit else 'TOO SLOW'}")
    return 0 if worst <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
