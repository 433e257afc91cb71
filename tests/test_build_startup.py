"""How a build starts: the data are validated in a forked child (the build process never loads
pandas for it) while the kernels' preload process imports; a build that stops early stops that
process at once, and a pool's workers end as soon as no notebook is left for them."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from helpers import paths
from reportbuild import execute

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and preloading are Linux-only")

VERDICTS = """
import json, sys
from reportbuild.cli import Validation, validation_errors
verdicts = [Validation(f).errors() for f in sys.argv[1:]]
loaded = "pandas" in sys.modules
print(json.dumps({"forked": verdicts, "pandas loaded": loaded, "here": [validation_errors(f) for f in sys.argv[1:]]}))
"""


@linux_only
def test_validation_in_a_forked_child_gives_the_verdict_of_validating_here():
    files = [str(paths.TESTS / "bad_inputs" / "duplicate_ids.csv"), str(paths.SYNTHETIC_DATA)]
    run = subprocess.run([sys.executable, "-c", VERDICTS, *files], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["pandas loaded"] is False  # the child read the files
    assert answer["forked"] == answer["here"]
    bad, good = answer["forked"]
    assert bad and all("duplicate_ids.csv" in line for line in bad)
    assert good == []


@linux_only
def test_a_pool_closed_while_its_preload_process_imports_stops_it_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPERS_PRELOAD", "1")
    pool = execute.Pool(tmp_path / "jobs", workers=2, jobs=10)  # enough notebooks to preload for
    assert pool.server is not None and pool.server.proc.poll() is None
    proc = pool.server.proc
    start = time.monotonic()
    pool.close()  # what a build does when the data turn out to be invalid
    assert time.monotonic() - start < 2  # its imports take longer than that
    assert proc.returncode is not None
    assert not (tmp_path / "jobs").exists()  # nothing written before the first notebook is given


@pytest.mark.slow  # two kernels
def test_workers_end_as_soon_as_no_notebook_is_left(tmp_path):
    sources = []
    for name, code in [("slow", "import time\ntime.sleep(3)\n"), ("quick", "x = 1\n")]:
        sources.append(tmp_path / f"{name}.py")
        sources[-1].write_text(f"# %%\n{code}")
    jobs = [
        execute.Job(s.stem, str(s), str(tmp_path / "out" / f"{s.stem}.ipynb"), str(tmp_path), {}, {}) for s in sources
    ]
    ended = {}
    with execute.Pool(tmp_path / "jobs", workers=2, jobs=2) as pool:

        def on_end(job, result):
            if job.name == "quick":
                ended["quick"] = [w for w in pool.workers if w.job is None]
            else:  # the other worker had nothing left to run: it has ended meanwhile
                ended["slow"] = [w.proc.poll() for w in ended["quick"]]

        results = pool.run(jobs, on_end=on_end)
    assert sorted(r.name for r in results if r.ok) == ["quick", "slow"]
    assert ended["slow"] == [0]
