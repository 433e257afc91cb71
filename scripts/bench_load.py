"""Benchmark the data layer's per-file cost: `load_survey(path, cache=False)` (which reads,
checks with check_frame and builds the canonical frame) on the synthetic CSV and on the bad-input
corpus, for this checkout and for another revision, measured in the same run.

The other revision's `src/`, `data/` and `tests/bad_inputs/` are extracted with `git archive`
into a temporary folder; the two trees are timed in alternating child processes (several
rounds), so a shared, noisy machine affects both alike. The result is the ratio new / old per
file (median over rounds), not absolute seconds.

    python scripts/bench_load.py [--against main] [--rounds 5] [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The synthetic file, then bad inputs that are read and checked (not refused unread).
FILES = [
    "data/synthetic/survey_2025_synthetic.csv",
    "tests/bad_inputs/bad_code.csv",
    "tests/bad_inputs/duplicate_ids.csv",
    "tests/bad_inputs/skip_logic.csv",
    "tests/bad_inputs/unknown_label.csv",
    "tests/bad_inputs/too_few_rows.csv",
    "tests/bad_inputs/mixed_types.csv",
    "tests/bad_inputs/unlabelled_codes.sav",
]

# Run in a child with the tree's src first on sys.path: per file, the mean seconds of one load.
CHILD = r"""
import json, sys, time
from pathlib import Path
tree, repeat = Path(sys.argv[1]), int(sys.argv[2])
sys.path.insert(0, str(tree / "src"))
from helpers.data.load import load_survey
from helpers.data.checks import SurveyValidationError

def once(path):
    try:
        load_survey(path, cache=False)
    except SurveyValidationError:
        pass

out = {}
for name in sys.argv[3:]:
    path = tree / name
    once(path)  # warm: imports, codebook, pandera
    start = time.perf_counter()
    for _ in range(repeat):
        once(path)
    out[name] = (time.perf_counter() - start) / repeat
print(json.dumps(out))
"""


def extract(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", rev, "src", "data", "tests/bad_inputs"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def timed(tree: Path, repeat: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(repeat), *FILES], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main", help="the revision to compare with (default: main)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = extract(args.against, Path(tmp))
        runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
        for _ in range(args.rounds):
            runs["old"].append(timed(old, args.repeat))
            runs["new"].append(timed(ROOT, args.repeat))
    print(f"load_survey(cache=False) per file, median of {args.rounds} rounds x {args.repeat} loads")
    print(f"{'file':48} {'old ms':>8} {'new ms':>8} {'new/old':>8}")
    totals = {"old": 0.0, "new": 0.0}
    for name in FILES:
        med = {k: statistics.median(r[name] for r in v) for k, v in runs.items()}
        for k in totals:
            totals[k] += med[k]
        print(f"{name:48} {med['old'] * 1e3:8.1f} {med['new'] * 1e3:8.1f} {med['new'] / med['old']:8.2f}")
    print(
        f"{'all files':48} {totals['old'] * 1e3:8.1f} {totals['new'] * 1e3:8.1f} {totals['new'] / totals['old']:8.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
