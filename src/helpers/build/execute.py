"""Execute notebooks: Jupytext source -> papermill (with parameters) -> normalised .ipynb.

Each notebook runs in its own worker process (``python -m helpers.build.execute JOB.json``), at
most ``workers`` at a time; the parent prints one line when a notebook starts and one when it
ends. A worker writes only into the staging folder it is given; the caller decides what to keep.

Conventions (documented in README.md):
- the kernel is ``python3`` resolved against this environment first (JUPYTER_PATH is prefixed
  with ``sys.prefix/share/jupyter``; the spec's ``python`` means ``sys.executable``), so the
  kernel runs on the interpreter running the build;
- the working directory of the kernel is the notebook's own folder (``notebooks/``), as in
  JupyterLab and in ``pytest --nbval``;
- executed notebooks are normalised so that the same inputs give the same bytes: papermill's
  timings and metadata removed, cell ids derived from cell content, the injected parameters cell
  rewritten to the parameters as requested (never staging paths), keys sorted (nbformat).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

KERNEL = "python3"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
VOLATILE_CELL_KEYS = ("papermill", "execution", "ExecuteTime")
# `<object at 0x7f3a...>` in a text/plain repr changes on every run; nbval is given the same rule
# (.ci/nbval-sanitize.cfg), so stored and fresh outputs still compare equal.
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,16}\b")


@dataclass
class Job:
    name: str
    source: str  # .py (Jupytext percent) or .ipynb
    output: str  # where the executed notebook is written (staging)
    cwd: str  # kernel working directory
    parameters: dict  # what the kernel receives
    record: dict  # what the executed notebook shows in its injected-parameters cell
    kernel: str = KERNEL
    timeout: int | None = None  # seconds per cell (None = no limit)
    log: str = ""


@dataclass
class Result:
    name: str
    ok: bool
    seconds: float = 0.0
    peak_mb: float = 0.0
    cell: int | None = None  # 1-based, counted in the source notebook
    line: int | None = None  # line of the cell's first source line in the .py
    first_line: str = ""
    error: str = ""
    log: str = ""
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- notebooks


def read_source(path: Path):
    """The notebook a source stands for: a Jupytext text file (.py), or an .ipynb as is."""
    import jupytext

    nb = jupytext.read(path)
    if not (nb.metadata.get("kernelspec") or {}).get("name"):
        # papermill refuses a notebook without a kernel name
        nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL}
    return nb


def parameters_source(record: dict) -> str:
    from papermill.translators import translate_parameters

    return translate_parameters(KERNEL, "python", record, "Parameters").rstrip("\n")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def cell_ids(cells) -> list[str]:
    """Stable ids: a hash of the cell's type and source (numbered if two cells are identical)."""
    seen: dict[str, int] = {}
    ids = []
    for c in cells:
        base = hashlib.sha1(f"{c.cell_type}\n{c.source}".encode()).hexdigest()[:8]
        n = seen.get(base, 0)
        seen[base] = n + 1
        ids.append(base if n == 0 else f"{base}-{n}")
    return ids


def normalise(nb, record: dict | None = None):
    """Strip what varies between runs of the same inputs; record the requested parameters."""
    md = nb.metadata
    md.pop("papermill", None)
    md.pop("widgets", None)
    if "language_info" in md:
        md["language_info"].pop("version", None)
    jt = md.get("jupytext")
    if isinstance(jt, dict):
        jt.pop("text_representation", None)
        if not jt:
            md.pop("jupytext")
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = ADDRESS.sub("0x0", _text(out.get("text", "")))
            elif "text/plain" in out.get("data", {}):
                out["data"]["text/plain"] = ADDRESS.sub("0x0", _text(out["data"]["text/plain"]))
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
        if record is not None and "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = parameters_source(record)
    for cell, cid in zip(nb.cells, cell_ids(nb.cells)):
        cell["id"] = cid
    if nb.nbformat_minor < 5:
        nb.nbformat_minor = 5
    return nb


def dumps(nb) -> str:
    import nbformat

    return nbformat.writes(nb, version=4).rstrip("\n") + "\n"


def write(nb, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(nb), encoding="utf-8")


def source_cells(nb) -> list:
    """Cells as written by the author: without papermill's injected and error cells."""
    skip = {"injected-parameters", "papermill-error-cell-tag"}
    return [c for c in nb.cells if not skip & set(c.metadata.get("tags", []))]


def _cell_lines(py: Path) -> list[int]:
    """1-based line of each `# %%` cell marker in a percent-format file."""
    try:
        lines = py.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [i + 1 for i, l in enumerate(lines) if l.startswith("# %%")]


def _first_code_line(source: str) -> str:
    for line in source.splitlines():
        s = line.strip()
        if s and not s.startswith("#|"):
            return s
    return ""


def describe_failure(nb, source: Path, result: Result) -> None:
    """Fill in which cell failed (numbered as in the source) and the exception's last line."""
    cells = source_cells(nb)
    for i, cell in enumerate(cells, start=1):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            continue
        err = errors[0]
        tb = [ANSI.sub("", t) for t in err.get("traceback", [])]
        last = [l for l in "\n".join(tb).splitlines() if l.strip()]
        result.cell = i
        result.first_line = _first_code_line(cell.source)
        result.error = last[-1].strip() if last else f"{err.get('ename')}: {err.get('evalue')}"
        markers = _cell_lines(source) if source.suffix == ".py" else []
        if len(markers) == len(cells):
            result.line = markers[i - 1] + 1
        return


# --------------------------------------------------------------------------- one notebook (worker)


def kernel_environment() -> dict:
    """Environment for the worker and its kernel: this env's kernelspecs first, stable hashing."""
    env = dict(os.environ)
    share = str(Path(sys.prefix) / "share" / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join([share] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p])
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("SOURCE_DATE_EPOCH", "0")  # matplotlib: no dates in SVG/PDF metadata
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    return env


def kernel_argv(kernel: str = KERNEL) -> list[str]:
    """The command that starts `kernel`, as jupyter_client will run it from this interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel)
    argv = list(spec.argv)
    if argv and argv[0] in {"python", f"python{sys.version_info[0]}", "python%d.%d" % sys.version_info[:2]}:
        argv[0] = sys.executable
    return argv


def run(job: Job) -> Result:
    """Execute one notebook (in this process; the kernel is a child process)."""
    import resource

    import papermill
    from papermill.exceptions import PapermillExecutionError

    source, output = Path(job.source), Path(job.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staged_input = output.with_name(output.stem + ".input.ipynb")
    result = Result(job.name, ok=False, log=job.log)
    start = time.perf_counter()
    try:
        write(read_source(source), staged_input)
        papermill.execute_notebook(
            str(staged_input),
            str(output),
            parameters=job.parameters,
            kernel_name=job.kernel,
            cwd=job.cwd,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=job.timeout,
        )
        result.ok = True
    except PapermillExecutionError as exc:
        result.error = f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel died, timeout, unreadable source, ...
        result.error = f"{type(exc).__name__}: {exc}".strip().splitlines()[-1]
    finally:
        result.seconds = round(time.perf_counter() - start, 2)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        result.peak_mb = round(usage.ru_maxrss / 1024, 1)  # Linux: KiB
        staged_input.unlink(missing_ok=True)
    if output.exists():
        import nbformat

        nb = nbformat.read(output, as_version=4)
        if not result.ok:
            describe_failure(nb, source, result)
        write(normalise(nb, job.record), output)
    return result


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: JOB.json -> RESULT.json."""
    argv = sys.argv[1:] if argv is None else argv
    job = Job(**json.loads(Path(argv[0]).read_text()))
    result = run(job)
    Path(argv[1]).write_text(json.dumps(asdict(result), indent=1))
    return 0 if result.ok else 1


# --------------------------------------------------------------------------- many notebooks (parent)


def run_all(
    jobs: list[Job],
    workers: int = 2,
    workdir: Path | None = None,
    on_start: Callable[[Job], None] | None = None,
    on_end: Callable[[Job, Result], None] | None = None,
    keep_going: bool = False,
) -> list[Result]:
    """Run jobs in worker processes, `workers` at a time, in the order given.

    After a failure no new notebook is started (unless keep_going); running ones finish.
    """
    if not jobs:
        return []
    workdir = Path(workdir) if workdir else Path(jobs[0].output).parent
    workdir.mkdir(parents=True, exist_ok=True)
    env = kernel_environment()
    pending = list(jobs)
    running: dict[str, tuple[Job, subprocess.Popen, Path, object]] = {}
    results: list[Result] = []
    failed = False
    try:
        while True:
            while pending and len(running) < max(1, workers) and (keep_going or not failed):
                job = pending.pop(0)
                job_file = workdir / f"{job.name}.job.json"
                result_file = workdir / f"{job.name}.result.json"
                log = open(job.log or os.devnull, "w")
                job_file.write_text(json.dumps(asdict(job), indent=1))
                result_file.unlink(missing_ok=True)
                proc = subprocess.Popen(
                    [sys.executable, "-m", "helpers.build.execute", str(job_file), str(result_file)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                )
                running[job.name] = (job, proc, result_file, log)
                if on_start:
                    on_start(job)
            if not running:
                break
            done = [n for n, (_, p, _, _) in running.items() if p.poll() is not None]
            if not done:
                time.sleep(0.05)
                continue
            for name in done:
                job, proc, result_file, log = running.pop(name)
                log.close()
                try:
                    result = Result(**json.loads(result_file.read_text()))
                except (OSError, ValueError):
                    tail = ""
                    if job.log and Path(job.log).exists():
                        lines = [l for l in Path(job.log).read_text(errors="replace").splitlines() if l.strip()]
                        tail = lines[-1] if lines else ""
                    result = Result(name, ok=False, error=f"worker exited with status {proc.returncode}: {tail}",
                                    log=job.log)
                results.append(result)
                failed = failed or not result.ok
                if on_end:
                    on_end(job, result)
    finally:
        for job, proc, _, log in running.values():  # interrupted: stop our own workers only
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
    return results


def failure_message(result: Result, source: str) -> str:
    """`notebooks/02_x.py, cell 7 (line 41): fit = models.logistic(...)` + the exception."""
    where = source
    if result.cell is not None:
        where += f", cell {result.cell}"
        if result.line is not None:
            where += f" (line {result.line})"
        if result.first_line:
            where += f": {result.first_line}"
    lines = [f"FAILED {where}", f"    {result.error or 'unknown error'}"]
    if result.log:
        lines.append(f"    log: {result.log}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
