"""Benchmark the build (`make bench`): one run, one table, written to _output/bench.txt.

All builds run on a copy of the project (sources, _quarto.yml, bibliography) in a temporary
folder, `python -m helpers build --project COPY` (what ./report runs), so the checkout is never
touched; the environment is already installed.
(a) clean build (no stamps, no outputs)
    (a2) the same with HELPERS_PRELOAD=0: every kernel started cold, to show what preloading gives
(b) no-op rebuild: the same command again (nothing changed); limit 0.5 s
(f) one chapter's source edited (a comment appended): that chapter re-executed and the book
    re-rendered (an edit the report does not show: the last render's outputs are kept);
    limit: that chapter's execution time (in this build) + 3 s
    (f2) the same with a sentence appended (a markdown cell): the book rendered again
(c) `make test`
(d) each notebook's execution time and peak memory (the kernel's maximum RSS), from (a)
(e) baseline: the notebooks executed one after another with `jupyter nbconvert --to notebook
    --execute` (the build's kernel environment, one BLAS thread as the build's kernels have),
    then rendered once, without the build's parallelism or caching
and the ratio (a) / (e), limit 0.35. Times are wall-clock seconds on this machine; notebooks in
(a) run in parallel (JOBS, default 2), so their individual times include contention.

    python scripts/bench.py [--jobs N] [--edit CHAPTER] [--skip-test] [--skip-cold] [--skip-baseline] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
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
    """Wall seconds, exit status, peak RSS in MB of the process tree's largest member, output
    (the tree's CPU seconds, user + system, are left in `timed.cpu`: on a shared machine they
    say more than wall time)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out_chunks = []
    assert proc.stdout is not None
    for line in proc.stdout:
        out_chunks.append(line)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    timed.cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, proc.returncode, usage.ru_maxrss / 1024, "".join(out_chunks)


def make_cmd(target: str, *args: str) -> list[str]:
    return ["make", "--no-print-directory", target, *args] if shutil.which("make") else []


def build_cmd(project: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "helpers", "build", "--project", str(project), "--jobs", str(jobs)]


def project_copy(work: Path) -> Path:
    """The book's own files in `work`: builds and edits there never touch the checkout."""
    keep = shutil.ignore_patterns(
        ".git", ".venv*", "_output*", ".build", "__pycache__", "*.ipynb", "src", "tests", "data", "scripts"
    )
    shutil.copytree(ROOT, work, ignore=keep)
    return work / "_quarto.yml"


def baseline(work: Path) -> tuple[float, list[tuple[str, float, float]], float, float]:
    """Serial nbconvert execution of every notebook, then one render: wall seconds, the
    notebooks' rows, the render's seconds, CPU seconds of it all."""
    import jupytext
    import nbformat

    project = read_project(paths.QUARTO_PROJECT)
    nb_dir = work / "notebooks"
    out_dir = work / "outputs"
    nb_dir.mkdir(parents=True)
    out_dir.mkdir()
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    rows = []
    cpu = 0.0
    # the build's kernel environment, one BLAS thread included (execute.blas_threads): idle
    # OpenBLAS threads spin and would slow the baseline under load, flattering the ratio
    baseline_env = execute.kernel_environment()
    baseline_env.update(execute.blas_threads(baseline_env))
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
            [
                jupyter,
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--output",
                dest.name,
                "--ExecutePreprocessor.kernel_name=python3",
                str(src),
            ],
            cwd=chapter.source.parent,
            env=baseline_env,
        )
        cpu += timed.cpu
        if code != 0:
            raise SystemExit(f"baseline: nbconvert failed on {chapter.name}:\n{text[-2000:]}")
        rows.append((chapter.name, secs, peak))
        executed[chapter.name] = dest
    t_render = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    render.render_pandoc(project, executed, work / "render", synthetic=True)
    render_secs = time.perf_counter() - t_render
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)  # pandoc
    return time.perf_counter() - start, rows, render_secs, cpu


def text_of(project: Path) -> str:
    """The rendered HTML pages of a project copy, as one text."""
    out = project.parent / "_output"
    pages = [p for p in sorted(out.rglob("*.html")) if ".build" not in p.relative_to(out).parts]
    return "".join(p.read_text(encoding="utf-8") for p in pages)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS") or 2))
    p.add_argument("--edit", default="02_patterns", help="the chapter whose source (f) edits")
    p.add_argument("--skip-test", action="store_true", help="do not time `make test`")
    p.add_argument("--skip-cold", action="store_true", help="do not time (a2), the build without preloading")
    p.add_argument("--skip-baseline", action="store_true", help="do not run the nbconvert baseline")
    p.add_argument("--keep", action="store_true", help="keep the temporary output folders")
    a = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-"))
    lines: list[str] = []

    def say(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    say(
        f"bench: {platform.node() or 'host'}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"JOBS={a.jobs}, renderer {render.renderer_name()}, load average {os.getloadavg()[0]:.1f}"
    )

    project = project_copy(work / "project")
    secs_a, code, _, text = timed(build_cmd(project, a.jobs))
    cpu_a = timed.cpu
    if code != 0:
        print(text)
        raise SystemExit("bench: the clean build failed")
    build_dir = project.parent / "_output" / ".build"
    timings = json.loads((build_dir / "timings.json").read_text())
    secs_b, code_b, _, text_b = timed(build_cmd(project, a.jobs))
    noop_ok = code_b == 0 and "nothing to do" in text_b

    source = next(c.source for c in read_project(project).notebooks if c.name == a.edit)
    source.write_text(source.read_text(encoding="utf-8") + "\n# bench: an edit\n", encoding="utf-8")
    secs_f, code_f, _, text_f = timed(build_cmd(project, a.jobs))
    edited = json.loads((build_dir / "timings.json").read_text())
    if code_f != 0 or list(edited) != [a.edit]:
        print(text_f)
        raise SystemExit(f"bench: the build after editing {a.edit} failed or executed {list(edited)}")
    chapter_secs = edited[a.edit]["seconds"]
    # (f2) an edit the report shows (a sentence): the book is rendered again, not kept
    source.write_text(source.read_text(encoding="utf-8") + "\n# %% [markdown]\n# A sentence the bench added.\n")
    secs_f2, code_f2, _, text_f2 = timed(build_cmd(project, a.jobs))
    edited2 = json.loads((build_dir / "timings.json").read_text())
    if code_f2 != 0 or list(edited2) != [a.edit] or "A sentence the bench added" not in text_of(project):
        print(text_f2)
        raise SystemExit(f"bench: the build after adding a sentence to {a.edit} failed or did not show it")
    chapter_secs2 = edited2[a.edit]["seconds"]

    secs_a2 = None
    if not a.skip_cold:
        cold = project_copy(work / "project-cold")
        secs_a2, code_a2, _, text_a2 = timed(build_cmd(cold, a.jobs), env={**os.environ, "HELPERS_PRELOAD": "0"})
        if code_a2 != 0:
            print(text_a2)
            raise SystemExit("bench: the clean build without preloaded kernels failed")

    secs_c = code_c = None
    if not a.skip_test and make_cmd("test"):
        secs_c, code_c, _, _ = timed(make_cmd("test"))

    base = None if a.skip_baseline else baseline(work / "baseline")

    def verdict(ok: bool) -> str:
        return "ok" if ok else "OVER"

    say()
    say(f"{'step':<52} {'seconds':>9}  limit")
    say("-" * 72)
    say(f"{'(a) clean build':<52} {secs_a:9.1f}")
    if secs_a2 is not None:
        say(f"{'(a2) clean build, kernels not preloaded':<52} {secs_a2:9.1f}")
    say(
        f"{'(b) no-op rebuild' + ('' if noop_ok else ' (NOT a no-op!)'):<52} {secs_b:9.2f}  0.5 s: {verdict(noop_ok and secs_b <= 0.5)}"
    )
    say(
        f"{f'(f) rebuild after editing {a.edit}':<52} {secs_f:9.1f}  {chapter_secs:.1f} + 3 s: "
        f"{verdict(secs_f <= chapter_secs + 3)}"
    )
    say(f"{f'    of which {a.edit} executing':<52} {chapter_secs:9.1f}")
    say(f"{'    build overhead (render included)':<52} {secs_f - chapter_secs:9.1f}")
    rendered = re.search(r"render (\S+): .*\(([\d.]+) s\b", text_f)
    if rendered:
        say(f"{f'    of which render ({rendered.group(1)})':<52} {float(rendered.group(2)):9.1f}")
    say(
        f"{f'(f2) the same, a sentence added to {a.edit}':<52} {secs_f2:9.1f}  {chapter_secs2:.1f} + 3 s: "
        f"{verdict(secs_f2 <= chapter_secs2 + 3)}"
    )
    say(f"{'    build overhead (render included)':<52} {secs_f2 - chapter_secs2:9.1f}")
    rendered = re.search(r"render (\S+): .*\(([\d.]+) s\b", text_f2)
    if rendered:
        say(f"{f'    of which render ({rendered.group(1)})':<52} {float(rendered.group(2)):9.1f}")
    if secs_c is not None:
        say(
            f"{'(c) make test' + ('' if code_c == 0 else f' (exit {code_c})'):<52} {secs_c:9.1f}  60 s: {verdict(secs_c <= 60)}"
        )
    if base:
        total, rows, render_secs, cpu_e = base
        say(f"{'(e) baseline: serial nbconvert + render':<52} {total:9.1f}")
        say(f"{'    of which render':<52} {render_secs:9.1f}")
        say(f"{'ratio (a) / (e)':<52} {secs_a / total:9.2f}  0.35: {verdict(secs_a / total <= 0.35)}")
        if secs_a2 is not None:
            say(f"{'ratio (a2) / (e)':<52} {secs_a2 / total:9.2f}")
        say(f"{'    CPU seconds (a) / (e), all processes':<52} {cpu_a / cpu_e:9.2f}  ({cpu_a:.0f} / {cpu_e:.0f} s)")
        longest = max(t["seconds"] for t in timings.values())
        say(f"{'    floor: longest notebook in (a) / (e)':<52} {longest / total:9.2f}")
    say()
    say(
        "(d) notebooks"
        + (" (build, parallel)" if a.jobs > 1 else " (build)")
        + (" | baseline (serial)" if base else "")
    )
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
    say(
        "peak MB: maximum resident set size of the notebook's kernel (build) or of the nbconvert "
        "process and its kernel (baseline)."
    )

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
