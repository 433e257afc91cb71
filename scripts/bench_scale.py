"""Benchmark how the whole report scales with n (`make bench` runs it; `make bench-scale` alone).

Builds the report (`python -m helpers build --no-render`, clean output folder, no survey cache)
on a 409-row and a 5,000-row real-shaped file and prints, for each, the wall seconds, the peak
memory (largest resident set of any process of the build: the builder or a notebook's kernel),
the slowest notebooks with their own seconds and peak (from OUT/.build/timings.json), then the
ratio of the two wall times (and of their CPU times: less sensitive to other load on the machine).
Target (issue 14): the 5,000-row build at most twice the 409-row one.

Files (never real data):
- `repeated` (default): the synthetic respondents repeated with new ids, as bench_validate.py's
  file: a bigger survey of the same shape. Its 5,000 rows hold at most 409 distinct answer
  patterns, so fits on covariate patterns (helpers.analysis.patterns) cost what they cost at 409 rows.
- `mixed` (`--shape mixed`): every row after the first 409 takes each Model 3 confounder
  (demographics, job and training) from its own randomly drawn respondent (seeded), so most
  rows are distinct patterns, as in a real survey of that size: how far the pattern fits help
  when patterns do not repeat. Held to the same target.

    python scripts/bench_scale.py [--shape repeated|mixed|both] [--jobs N] [--rows N]

Results go to _output/bench_scale.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from helpers import paths  # noqa: E402
from helpers.data.codebook import load_codebook  # noqa: E402

MAX_RATIO = 2.0
BASE_ROWS = 409


def survey_of(rows: int, shape: str = "repeated", seed: int = 14) -> pd.DataFrame:
    """The synthetic respondents (labels) to `rows` rows, ids made unique (see the docstring)."""
    base = pd.read_csv(paths.SYNTHETIC_DATA, dtype=str, keep_default_na=False)
    reps = -(-rows // len(base))
    frame = pd.concat([base] * reps, ignore_index=True).iloc[:rows].copy()
    if shape == "mixed" and rows > len(base):
        rng = np.random.default_rng(seed)
        extra = np.arange(len(base), rows)
        for column in load_codebook().model3_covariates():
            frame.loc[extra, column] = base[column].to_numpy()[rng.integers(0, len(base), size=extra.size)]
    frame["respondent_id"] = [f"R{i + 1:07d}" for i in range(rows)]
    return frame


def build(data: Path, out: Path, jobs: int) -> dict:
    """Wall seconds, exit status, peak RSS (MB) over the build's processes, per-notebook timings."""
    env = {**os.environ, "HELPERS_SURVEY_CACHE": "0"}
    cmd = [
        sys.executable,
        "-m",
        "helpers",
        "build",
        "--data",
        str(data),
        "--out",
        str(out),
        "--jobs",
        str(jobs),
        "--no-render",
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    text = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    timings_file = out / ".build" / "timings.json"
    timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
    # ru_maxrss of a waited-for child covers its waited-for descendants (the kernels): the largest.
    peak = max([usage.ru_maxrss / 1024, *(t.get("peak_mb", 0) for t in timings.values())])
    cpu = usage.ru_utime + usage.ru_stime  # the builder and its waited-for kernels
    return {
        "seconds": seconds,
        "cpu": cpu,
        "code": os.waitstatus_to_exitcode(status),
        "peak_mb": peak,
        "timings": timings,
        "last": text.strip().splitlines()[-1][:200] if text.strip() else "",
    }


def describe(rows: int, shape: str, result: dict, top: int = 4) -> list[str]:
    lines = [
        f"build {rows:>6,} rows {shape:<8} {result['seconds']:6.1f} s  cpu {result['cpu']:6.1f} s  "
        f"peak {result['peak_mb']:5.0f} MB  exit {result['code']}"
    ]
    if result["code"] != 0:
        lines.append("  " + result["last"])
    slowest = sorted(result["timings"].items(), key=lambda kv: -kv[1].get("seconds", 0))[:top]
    lines.append(
        "  slowest: "
        + ", ".join(f"{name} {t.get('seconds', 0):.1f} s / {t.get('peak_mb', 0):.0f} MB" for name, t in slowest)
    )
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", choices=["repeated", "mixed", "both"], default="repeated")
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS") or 2))
    a = p.parse_args(argv)
    shapes = ["repeated", "mixed"] if a.shape == "both" else [a.shape]
    lines, ok = [], True
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        tmp = Path(tmp)
        results = {}
        for rows, shape in [(BASE_ROWS, "repeated"), *((a.rows, s) for s in shapes)]:
            data = tmp / f"survey_{rows}_{shape}.csv"
            survey_of(rows, shape).to_csv(data, index=False, lineterminator="\n")
            results[(rows, shape)] = result = build(data, tmp / f"out_{rows}_{shape}", a.jobs)
            ok &= result["code"] == 0
            for line in describe(rows, shape, result):
                print(line, flush=True)
                lines.append(line)
        base = results[(BASE_ROWS, "repeated")]
        for shape in shapes:
            ratio = results[(a.rows, shape)]["seconds"] / base["seconds"]
            cpu_ratio = results[(a.rows, shape)]["cpu"] / base["cpu"]
            good = ratio <= MAX_RATIO
            ok &= good
            verdict = "ok" if good else "OVER TARGET"
            line = (
                f"build {a.rows:,} {shape} / {BASE_ROWS} rows: {ratio:.2f}x wall, {cpu_ratio:.2f}x cpu  {verdict} "
                f"(target <= {MAX_RATIO:.0f}x wall)"
            )
            print(line, flush=True)
            lines.append(line)
    report = paths.OUTPUT / "bench_scale.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
