"""What importing something loads, asked of one fresh interpreter for the whole session.

The interpreter imports the third-party libraries the build preloads (reportbuild.preload.LIBRARIES;
never the project's own packages), then forks one child per job: the child runs the job's import
statements and reports the helpers and reportbuild modules Python loaded. One interpreter start
serves both of test_build_imports's questions (each chapter's imports; every analysis module,
without the build), in one module so that pytest-xdist (make test) starts it in one process.
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys

from helpers import paths
from reportbuild.preload import LIBRARIES

ANALYSIS_JOB = "every analysis module"
ANALYSIS_CODE = (
    "import importlib, pkgutil, helpers\n"
    "for m in pkgutil.walk_packages(helpers.__path__, 'helpers.'):\n"
    "    if m.name != 'helpers.__main__': importlib.import_module(m.name)\n"
)

PROBE = """
import importlib, json, os, sys
request = json.loads(sys.stdin.read())
for name in request["libraries"]:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
assert not [m for m in sys.modules if m.split(".")[0] in ("helpers", "reportbuild")]
for name, code in request["jobs"].items():
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        exec(code, {})
        mods = {n: getattr(m, "__file__", None) for n, m in sys.modules.items()}
        print(json.dumps({
            "job": name,
            "helpers_files": sorted(f for n, f in mods.items() if n.split(".")[0] == "helpers" and f),
            "reportbuild": sorted(n for n in mods if n.split(".")[0] == "reportbuild"),
        }), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
"""


def chapter_name(source) -> str:
    return source.name.split(".")[0]  # 08_robustness.pct.py -> 08_robustness


def chapter_imports(source) -> str:
    """The import statements of a chapter, wherever they stand."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    return "\n".join(ast.unparse(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))


@functools.cache
def loaded() -> dict[str, dict[str, list[str]]]:
    """job -> {"helpers_files": [...], "reportbuild": [...]}: each chapter's imports (run from the
    notebooks folder, as the build runs them) and ANALYSIS_JOB."""
    jobs = {chapter_name(c): chapter_imports(c) for c in paths.chapter_sources()}
    jobs[ANALYSIS_JOB] = ANALYSIS_CODE
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        input=json.dumps({"libraries": list(LIBRARIES), "jobs": jobs}),
        capture_output=True,
        text=True,
        cwd=paths.NOTEBOOKS,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert sorted(r["job"] for r in rows) == sorted(jobs), out.stdout + out.stderr
    return {r["job"]: r for r in rows}
