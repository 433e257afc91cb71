"""Time the model-fitting stages that dominate the robustness (08), assumptions (09) and preface
chapters, in one process on the bundled synthetic data (or a bigger real-shaped file), so a change
in the fitting code can be measured before and after in the same run.

    python scripts/fit_bench.py [--rows N] [--shape repeated|mixed] [--repeat K] [--profile STAGE]

Each stage runs K times (default 1) after a warm-up of the imports; the best time is printed.
`--profile STAGE` prints the cProfile of that stage (cumulative time, top 40).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))


def stages(df):
    from helpers.analysis import analyses, spec
    from helpers.review import abstract_audit, effects, grid, robustness, summary

    estimands = robustness.published_estimands()
    return {
        "grid": lambda: grid.fit_grid(df, spec.load_spec()),
        "sensitivity": lambda: robustness.all_sensitivity(df, estimands, seed=2025),
        "front_page": lambda: summary.front_page(df, 2025),
        "misspecification": lambda: robustness.misspecification_study(df, replicates=200, seed=2025),
        "simulation": lambda: robustness.run_simulation(df, replicates=500, seed=2025, n_jobs=1),
        "power_check": lambda: robustness.power_at_mdor(
            df, robustness.power_table(df, estimands), replicates=200, seed=2025
        ),
        "absolute_effects": lambda: effects.absolute_effects(df),
        "information": lambda: abstract_audit.information_limit(df),
        "symmetry": lambda: abstract_audit.ci_symmetry(df),
        "block_tests": lambda: effects.all_block_tests(df),
        "associations": lambda: analyses.fit_associations(df, kind="logistic"),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=0, help="0 = the bundled 409-row file")
    p.add_argument("--shape", default="mixed")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--only", nargs="*", default=None)
    p.add_argument("--profile", default=None)
    a = p.parse_args(argv)
    from helpers.present import report

    with tempfile.TemporaryDirectory(prefix="fit-bench-") as tmp:
        data = None
        if a.rows:
            from bench_scale import survey_of

            data = Path(tmp) / "survey.csv"
            survey_of(a.rows, a.shape).to_csv(data, index=False, lineterminator="\n")
        df = report.setup(str(data) if data else None, tmp, 5).df
        table = stages(df)
        names = a.only or list(table)
        total = 0.0
        for name in names:
            if a.profile == name:
                pr = cProfile.Profile()
                pr.enable()
                table[name]()
                pr.disable()
                s = io.StringIO()
                pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(40)
                print(s.getvalue())
                continue
            best = float("inf")
            for _ in range(a.repeat):
                start = time.perf_counter()
                table[name]()
                best = min(best, time.perf_counter() - start)
            total += best
            print(f"{name:<18} {best:7.3f} s", flush=True)
        print(f"{'total':<18} {total:7.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
