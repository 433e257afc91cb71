"""Benchmark validation (`make bench` runs it after scripts/bench.py).

`python -m helpers validate` on a generated 200,000-row real-shaped export, as CSV of labels and
as an SPSS .sav of codes with value labels: wall seconds and peak memory (the process's maximum
RSS). Targets: at most 15 s and 600 MB each. Rows are the synthetic respondents repeated with new
ids (no real data). Results go to _output/bench_validate.txt. How the whole report scales from
409 to 5,000 rows is scripts/bench_scale.py (also in `make bench`).

    python scripts/bench_validate.py [--rows N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from helpers import paths  # noqa: E402

MAX_SECONDS, MAX_MB = 15.0, 600.0


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int, float, str]:
    """Wall seconds, exit status, peak RSS (MB) of the child, its output."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024, out


def survey_of(rows: int) -> pd.DataFrame:
    """The synthetic respondents (labels) repeated to `rows` rows, ids made unique."""
    base = pd.read_csv(paths.SYNTHETIC_DATA, dtype=str, keep_default_na=False)
    reps = -(-rows // len(base))
    frame = pd.concat([base] * reps, ignore_index=True).iloc[:rows].copy()
    frame["respondent_id"] = [f"R{i + 1:07d}" for i in range(rows)]
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def write_sav(frame: pd.DataFrame, path: Path) -> Path:
    from bad_inputs.make_corpus import real_shaped, write_sav as write
    from helpers.data import load_survey

    canonical = load_survey(write_csv(frame, path.with_suffix(".tmp.csv")), cache=False)
    path.with_suffix(".tmp.csv").unlink()
    canonical["respondent_id"] = ["S" + s[1:] for s in canonical["respondent_id"]]
    shaped, labels, missing = real_shaped(canonical)
    return write(shaped, path, labels, missing)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=200_000)
    a = p.parse_args(argv)
    lines, ok = [], True
    env = {**os.environ, "HELPERS_SURVEY_CACHE": "0"}
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        tmp = Path(tmp)
        big = survey_of(a.rows)
        for path in (write_csv(big, tmp / "export.csv"), write_sav(big, tmp / "export.sav")):
            seconds, code, mb, out = timed([sys.executable, "-m", "helpers", "validate", str(path)], env)
            good = code == 0 and seconds <= MAX_SECONDS and mb <= MAX_MB
            ok &= good
            lines.append(
                f"validate {a.rows:,} rows {path.suffix:<5} {seconds:6.1f} s {mb:7.0f} MB  "
                f"exit {code}  {'ok' if good else 'OVER TARGET'} (<= {MAX_SECONDS:.0f} s, {MAX_MB:.0f} MB)"
            )
            if code != 0:
                lines.append("  " + out.strip().splitlines()[-1][:200])
            print(lines[-1], flush=True)
    report = paths.OUTPUT / "bench_validate.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
