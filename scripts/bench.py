"""Benchmark the build (`make bench`): one run, one table, written to _output/bench.txt.

(a) clean build: `make report OUT=<fresh folder>` with the environment already installed
    (a2) the same with HELPERS_PRELOAD=0: every kernel started cold, to show what preloading gives
(b) no-op rebuild: the same command again (nothing changed)
(c) `make test`
(d) each notebook's execution time and peak memory (the kernel's maximum RSS), from (a)
(e) baseline: the notebooks executed one after another with `jupyter nbconvert --to notebook
    --execute`, then rendered once, without the build's parallelism or caching
and the ratio (a) / (e). Times are wall-clock seconds on this machine; notebooks in (a) run in
parallel (JOBS, default 2), so their individual times include contention.

    python scripts/bench.py [--jobs N] [--skip-test] [--skip-baseline] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from helpers import paths  # noqa: E402
from reportbuild import execute, render  # noqa: E402
from reportbuild.project import read_project  # noqa: E402


def timed(cmd: list[str], cwd: Path = ROOT, env: dict | None = None) -> tuple[float, int, float, str]:
    """Wall seconds, exit status, peak RSS in MB of the process tree's largest member, output."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out_chunks = []
    assert proc.stdout is not None
    for line in proc.stdout:
        out_chunks.append(line)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, proc.returncode, usage.ru_maxrss / 1024, "".join(out_chunks)


def make_cmd(target: str, *args: str) -> list[str]:
    return ["make", "--no-print-directory", target, *args] if shutil.which("make") else []


def build_cmd(out: Path, jobs: int) -> list[str]:
    cmd = make_cmd("report", f"OUT={out}", f"JOBS={jobs}")
    return cmd or [sys.executable, "-m", "helpers", "build", "--out", str(out), "--jobs", str(jobs)]


def baseline(work: Path) -> tuple[float, list[tuple[str, float, float]], float]:
    """Serial nbconvert execution of every notebook, then one render."""
    import jupytext
    import nbformat

    project = read_project(paths.QUARTO_PROJECT)
    nb_dir = work / "notebooks"
    out_dir = work / "outputs"
    nb_dir.mkdir(parents=True)
    out_dir.mkdir()
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    rows = []
    start = time.perf_counter()
    executed = {}
    for chapter in project.notebooks:
        nb = jupytext.read(chapter.source)
        for cell in nb.cells:  # same parameters as the build, output files kept out of _output
            if "parameters" in cell.metadata.get("tags", []):
                cell.source += f"\noutput_dir = {str(out_dir / chapter.name)!r}"
        src = nb_dir / f"{chapter.name}.input.ipynb"
        nbformat.write(nb, src)
        dest = nb_dir / f"{chapter.name}.ipynb"
        secs, code, peak, text = timed(
            [jupyter, "nbconvert", "--to", "notebook", "--execute", "--output", dest.name,
             f"--ExecutePreprocessor.kernel_name=python3", str(src)],
            cwd=chapter.source.parent, env=execute.kernel_environment())
        if code != 0:
            raise SystemExit(f"baseline: nbconvert failed on {chapter.name}:\n{text[-2000:]}")
        rows.append((chapter.name, secs, peak))
        executed[chapter.name] = dest
    t_render = time.perf_counter()
    render.render_pandoc(project, executed, work / "render", synthetic=True)
    render_secs = time.perf_counter() - t_render
    return time.perf_counter() - start, rows, render_secs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS") or 2))
    p.add_argument("--skip-test", action="store_true", help="do not time `make test`")
    p.add_argument("--skip-baseline", action="store_true", help="do not run the nbconvert baseline")
    p.add_argument("--keep", action="store_true", help="keep the temporary output folders")
    a = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-"))
    out = work / "out"
    lines: list[str] = []

    def say(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    say(f"bench: {platform.node() or 'host'}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"JOBS={a.jobs}, renderer {render.renderer_name()}")

    secs_a, code, _, text = timed(build_cmd(out, a.jobs))
    if code != 0:
        print(text)
        raise SystemExit("bench: the clean build failed")
    timings = json.loads((out / ".build" / "timings.json").read_text())
    secs_b, code_b, _, text_b = timed(build_cmd(out, a.jobs))
    noop_ok = code_b == 0 and "nothing to do" in text_b
    cold = work / "out-cold"
    secs_a2, code_a2, _, text_a2 = timed(build_cmd(cold, a.jobs), env={**os.environ, "HELPERS_PRELOAD": "0"})
    if code_a2 != 0:
        print(text_a2)
        raise SystemExit("bench: the clean build without preloaded kernels failed")

    secs_c = code_c = None
    if not a.skip_test and make_cmd("test"):
        secs_c, code_c, _, _ = timed(make_cmd("test"))

    base = None if a.skip_baseline else baseline(work / "baseline")

    say()
    say(f"{'step':<46} {'seconds':>9}")
    say("-" * 56)
    say(f"{'(a) clean build (fresh OUT, env installed)':<46} {secs_a:9.1f}")
    say(f"{'(a2) clean build, kernels not preloaded':<46} {secs_a2:9.1f}")
    say(f"{'(b) no-op rebuild' + ('' if noop_ok else ' (NOT a no-op!)'):<46} {secs_b:9.2f}")
    if secs_c is not None:
        say(f"{'(c) make test' + ('' if code_c == 0 else f' (exit {code_c})'):<46} {secs_c:9.1f}")
    if base:
        total, rows, render_secs = base
        say(f"{'(e) baseline: serial nbconvert + render':<46} {total:9.1f}")
        say(f"{'    of which render':<46} {render_secs:9.1f}")
        say(f"{'ratio (a) / (e)':<46} {secs_a / total:9.2f}")
        say(f"{'ratio (a2) / (e)':<46} {secs_a2 / total:9.2f}")
    say()
    say("(d) notebooks" + (" (build, parallel)" if a.jobs > 1 else " (build)") + (" | baseline (serial)" if base else ""))
    header = f"{'notebook':<22} {'seconds':>8} {'peak MB':>8}"
    if base:
        header += f" | {'seconds':>8} {'peak MB':>8}"
    say(header)
    say("-" * len(header))
    base_rows = {r[0]: r for r in (base[1] if base else [])}
    for name, t in timings.items():
        row = f"{name:<22} {t['seconds']:8.1f} {t['peak_mb']:8.0f}"
        if name in base_rows:
            row += f" | {base_rows[name][1]:8.1f} {base_rows[name][2]:8.0f}"
        say(row)
    say()
    say("peak MB: maximum resident set size of the notebook's kernel (build) or of the nbconvert "
        "process and its kernel (baseline).")

    paths.OUTPUT.mkdir(exist_ok=True)
    (paths.OUTPUT / "bench.txt").write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {paths.OUTPUT.relative_to(ROOT) / 'bench.txt'}")
    if a.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
