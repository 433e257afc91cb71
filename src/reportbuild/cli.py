"""`python -m helpers build`: validate, execute what changed, render, then replace the outputs.

    python -m helpers build                      # synthetic data -> notebooks/*.ipynb, _output/
    python -m helpers build --data F --out DIR   # any export -> DIR/notebooks/, DIR/report.*

Order of work, and what each step may touch:
1. read ``_quarto.yml`` (the chapter list) and the stamps in ``OUT/.build/stamps.json``;
2. find the notebooks whose inputs changed (content hashes of the .py, the ``src/helpers``
   modules it can import (imports.py), the codebook, ``data/published/``, the analysis
   specification ``data/analysis_spec.yaml``, the data file, the
   parameters, requirements.txt and .lock) or whose outputs are missing or edited;
3. if any: validate the data file (in a forked child, while the kernels' preload process starts
   importing; exit 2 on a validation error, nothing written), then execute them in parallel
   into this build's own staging folder ``OUT/.build/staging-<pid>-<random>/`` (never shared
   with another build; the output folder's lock keeps two builds of one folder apart);
4. render if any executed notebook, ``_quarto.yml``, the bibliography or the templates changed,
   again into staging, from what the last render (``OUT/.build/render``) can give again (render.py);
5. only if everything succeeded: ``os.replace`` each staged file onto its destination and record
   the stamps. A failure leaves every previous output as it was.

Executed notebooks go to ``notebooks/`` (next to their sources, committed, checked by nbval)
for the default run (bundled synthetic data, default output folder); for any other run they go
to ``OUT/notebooks/`` and the committed notebooks are not touched.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import helpers
from helpers import paths
from . import ASSETS, guard
from .project import Project, read_project
from .imports import helper_files
from .imports import load_cache as load_imports_cache
from .imports import save_cache as save_imports_cache
from .stamps import Stamps, digest, expand, file_digest

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130  # README, ./report


@dataclass
class Options:
    data: Path | None = None
    out: Path | None = None
    project: Path | None = None
    jobs: int = 2
    seed: int = 2025
    min_cell_count: int = 5
    force: bool = False
    renderer: str = "auto"
    render: bool = True
    validate: bool = True
    keep_going: bool = False
    timeout: int | None = None


@dataclass
class Outcome:
    code: int
    executed: list[str] = field(default_factory=list)
    rendered: bool = False
    failed: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def _show(path: Path) -> str:
    """A path for messages: relative to the working directory when below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _record_path(path: Path | None, typed: str | None, root: Path) -> str | None:
    """How a path appears in an executed notebook: relative to the project, never absolute
    when avoidable (executed notebooks must not depend on where the checkout lives)."""
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return typed or str(path)


def is_synthetic(data: Path | None) -> bool:
    """By content (the synthetic manifest's sha256), never by path; False for anything that is
    not a readable regular file."""
    try:
        return guard.data_source(Path(data) if data is not None else paths.SYNTHETIC_DATA) == "synthetic"
    except guard.GuardError:
        return False


HELPERS_ROOT = Path(helpers.__file__).resolve().parent


def helpers_sources() -> list[Path]:
    return expand([HELPERS_ROOT], "**/*.py")


def data_dependencies(data: Path | None) -> list[Path]:
    deps = [paths.CODEBOOK, paths.PUBLISHED, paths.ANALYSIS_SPEC]
    # A real file's codes file (helpers.codemap.codes_file; named here to keep pandas out of the
    # build's start-up) is part of how it is read.
    codes = data.with_name(data.name + ".codes.yaml") if data is not None else None
    deps += [paths.SYNTHETIC] if data is None or is_synthetic(data) else [data, codes]
    return expand(deps)


def validation_errors(data: Path | None) -> list[str] | None:
    """Messages of helpers.validate for the data file; [] if it passed, None if it cannot run."""
    target = data if data is not None else paths.SYNTHETIC_DATA
    if not Path(target).exists():
        return [f"{_show(target)}: no such file"]
    try:
        from helpers import validate as validation
    except ImportError as exc:
        print(f"build: warning: data not validated (helpers.validate unavailable: {exc})", file=sys.stderr)
        return None
    check = getattr(validation, "validate_file", None)
    error_type = getattr(validation, "SurveyValidationError", ValueError)
    if check is None:
        print("build: warning: data not validated (helpers.validate.validate_file missing)", file=sys.stderr)
        return None
    try:
        check(target)
    except error_type as exc:
        msgs = getattr(exc, "messages", None) or getattr(exc, "errors", None) or str(exc).splitlines()
        return [str(m) for m in msgs if str(m).strip()] or [type(exc).__name__]
    except (OSError, ValueError) as exc:  # unreadable file, unknown format
        return [f"{Path(target).name}: {type(exc).__name__}: {' '.join(str(exc).split())}"]
    return []


def _send_verdict(conn, data: Path | None) -> None:
    try:
        conn.send(("errors", validation_errors(data)))
    except BaseException as exc:  # sent if it can be pickled; otherwise the parent validates itself
        conn.send(("raised", exc))
    finally:
        conn.close()


class Validation:
    """validation_errors(data), run in a forked child process (on Linux) while the build starts
    its kernels' preload process: the build process never imports pandas and the helpers for it,
    so it also ends without their teardown (0.3 s). Here instead where that gains nothing (a
    process that has pandas loaded already, such as the test suite), elsewhere than Linux, or
    if the child dies."""

    def __init__(self, data: Path | None):
        self.data = data
        self.proc = None
        if sys.platform.startswith("linux") and "pandas" not in sys.modules:
            import multiprocessing

            context = multiprocessing.get_context("fork")
            self.verdict, theirs = context.Pipe(duplex=False)
            self.proc = context.Process(target=_send_verdict, args=(theirs, data), daemon=True)
            self.proc.start()
            theirs.close()

    def errors(self) -> list[str] | None:
        if self.proc is None:
            return validation_errors(self.data)
        try:
            kind, value = self.verdict.recv()
        except (EOFError, OSError):
            kind, value = "died", None
        finally:
            self.verdict.close()
            self.proc.join()
        if kind == "raised":
            raise value
        return validation_errors(self.data) if kind == "died" else value


def helpers_of(chapter) -> list[Path]:
    """The helper modules a chapter can import (every helper for a notebook without a .py source)."""
    return helper_files(chapter.source, HELPERS_ROOT) if chapter.source.suffix == ".py" else helpers_sources()


def longest_first(chapters: list, helpers: dict[str, list[Path]] | None = None) -> list:
    """Start the longest notebooks first, so no core idles at the end of a parallel build.

    The code a notebook can run stands in for its run time: its source and the helper modules
    it can import (their bytes; `helpers`: each chapter's, when already known). It is known
    before any build, unlike a recorded duration, and ranks this book's heavy chapters first
    (the preface, which recomputes the robustness analyses for its summary, among them; by its
    source size alone it came last of them).
    """
    helpers = helpers or {}

    def code_bytes(chapter) -> int:
        files = helpers[chapter.name] if chapter.name in helpers else helpers_of(chapter)
        return sum(f.stat().st_size for f in [chapter.source, *files])

    return sorted(chapters, key=lambda c: (-code_bytes(c), c.name))


def ensure_private(out: Path, root: Path) -> None:
    """Outputs of a run on real data may only go outside the repository or to a git-ignored folder."""
    try:
        relative = out.relative_to(root)
    except ValueError:
        return  # outside the repository: git never sees it
    ignored = (
        subprocess.run(["git", "check-ignore", "-q", str(relative) + "/"], cwd=root, capture_output=True).returncode
        == 0
    )
    if not ignored and (root / ".git").exists():
        raise ValueError(
            f"output folder '{relative}' is not git-ignored: outputs of a run on survey data "
            f"must not be committable; use OUT=_output_real or a folder outside the repository"
        )


class Build:
    def __init__(self, opts: Options, echo=print):
        self.opts = opts
        self.echo = echo
        self.project: Project = read_project(opts.project or paths.QUARTO_PROJECT)
        self.root = self.project.root
        self.data = Path(opts.data).resolve() if opts.data else None
        target = self.data or paths.SYNTHETIC_DATA
        source = guard.data_source(target)  # checks the file type first: a named pipe never blocks
        guard.refuse_real_at_bundled_path(target, source)
        self.synthetic = source == "synthetic"
        self.warnings = [w for w in [guard.tracked_data_warning(target, source, self.root)] if w]
        default_out = self.project.output_dir if self.synthetic else paths.REAL_OUTPUT
        self.out = Path(opts.out).resolve() if opts.out else default_out
        guard.check_output_folder(self.out, self.root, own=(self.project.output_dir, paths.REAL_OUTPUT))
        if not self.synthetic:
            ensure_private(self.out, self.root)
        self.committed = self.data is None and self.out == self.project.output_dir
        self.build_dir = self.out / ".build"
        # one staging folder per build, not per output folder: nothing a build stages (notebooks,
        # kernel runtime files, rendering) is ever seen by another build or by a validate run
        self.staging = self.build_dir / f"staging-{os.getpid()}-{secrets.token_hex(4)}"
        self.stamps = Stamps(self.build_dir / "stamps.json")
        # the inputs' hashes, read once for all the input hashes taken before anything runs
        # (never for the render's, which names files this build writes)
        self.input_digests = functools.cache(file_digest)
        self.pool = None  # execute.Pool, started before validation when notebooks are to run
        self._pool_jobs = 0  # the number of notebooks it was started for
        self.record = {
            "data_file": _record_path(self.data, str(opts.data) if opts.data else None, self.root),
            "output_dir": None
            if self.out == self.project.output_dir
            else _record_path(self.out, str(opts.out), self.root),
            "seed": opts.seed,
            "min_cell_count": opts.min_cell_count,
        }

    # ------------------------------------------------------------------ where things go
    def destination(self, name: str) -> Path:
        chapter = self.project.chapter(name)
        return chapter.path if self.committed else self.out / "notebooks" / chapter.path.name

    def _rel(self, path: Path) -> str:
        return os.path.relpath(path, self.root)

    # ------------------------------------------------------------------ hashes
    def notebook_hash(self, chapter, helpers: list[Path] | None = None) -> str:
        helpers = helpers_of(chapter) if helpers is None else helpers
        files = [chapter.source, *helpers, *data_dependencies(self.data), paths.ROOT / "requirements.txt", paths.LOCK]
        return digest(
            files=files,
            values={"parameters": self.record, "kernel": "python3"},
            base=paths.ROOT,
            file_hash=self.input_digests,
        )

    def validation_hash(self) -> str:
        """What helpers.validate's verdict on the data file depends on: the file (and the files
        it is read with), the helpers' code and the pinned libraries. The same hash has passed
        before: the same bytes checked by the same code pass again, so the check is not rerun."""
        files = [*data_dependencies(self.data), *helpers_sources(), paths.ROOT / "requirements.txt", paths.LOCK]
        return digest(
            files=files,
            values={"validate": (self.data or paths.SYNTHETIC_DATA).name},
            base=paths.ROOT,
            file_hash=self.input_digests,
        )

    def render_hash(self, executed: dict[str, Path], renderer: str) -> str:
        files = [*executed.values(), self.project.file, *self.project.support_files()]
        files += [c.path for c in self.project.chapters if not c.is_notebook]
        files += expand([ASSETS], "*")
        named = {name: file_digest(p) for name, p in sorted(executed.items())}
        return digest(
            files=[f for f in files if f not in executed.values()],
            values={"notebooks": named, "synthetic": self.synthetic, "renderer": renderer},
            base=paths.ROOT,
        )

    # ------------------------------------------------------------------ run
    # ------------------------------------------------------------------ pending results
    # Notebooks executed in a build that later failed (another notebook, or rendering) are kept
    # in OUT/.build/pending/ with their input hash: the next build reuses them instead of
    # executing them again. They are never outputs: only a successful build commits them.
    @property
    def pending_dir(self) -> Path:
        return self.build_dir / "pending"

    def _pending(self) -> dict[str, str]:
        try:
            return json.loads((self.pending_dir / "pending.json").read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _keep_pending(self, names: list[str], hashes: dict[str, str]) -> None:
        index = self._pending()
        for name in names:
            nb = self.staging / "notebooks" / f"{name}.ipynb"
            if not nb.exists():
                continue
            dest = self.pending_dir / name
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            os.replace(nb, dest / nb.name)
            outputs = self.staging / "outputs" / name
            if outputs.exists():
                os.replace(outputs, dest / "outputs")
            index[name] = hashes[name]
        if index:
            (self.pending_dir / "pending.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")

    def _take_pending(self, name: str) -> None:
        src = self.pending_dir / name
        os.replace(src / f"{name}.ipynb", self.staging / "notebooks" / f"{name}.ipynb")
        shutil.rmtree(self.staging / "outputs" / name, ignore_errors=True)
        (self.staging / "outputs").mkdir(parents=True, exist_ok=True)
        if (src / "outputs").exists():
            os.replace(src / "outputs", self.staging / "outputs" / name)
        else:
            (self.staging / "outputs" / name).mkdir(parents=True)

    def _fail(self, outcome: Outcome, keep: list[str], hashes: dict[str, str]) -> Outcome:
        self._keep_pending(keep, hashes)
        shutil.rmtree(self.staging, ignore_errors=True)
        self.echo("build: FAILED; previous outputs left untouched")
        return outcome

    # ------------------------------------------------------------------ run
    def run(self) -> Outcome:
        """The build, holding the output folder's lock; the survey cache of this build lives in
        OUT/.build/cache and, for real data, is deleted when the build ends."""
        for w in self.warnings:
            print(w, file=sys.stderr, flush=True)
        cache = self.build_dir / "cache"
        previous = os.environ.get("HELPERS_SURVEY_CACHE_DIR")
        with guard.OutputLock(self.out):
            os.environ["HELPERS_SURVEY_CACHE_DIR"] = str(cache)
            try:
                return self._run()
            finally:
                if self.pool is not None:
                    self.pool.close()
                if previous is None:
                    os.environ.pop("HELPERS_SURVEY_CACHE_DIR", None)
                else:
                    os.environ["HELPERS_SURVEY_CACHE_DIR"] = previous
                if not self.synthetic:
                    shutil.rmtree(cache, ignore_errors=True)

    def _run(self) -> Outcome:
        from . import render  # execute (papermill, jupyter_client) only when a notebook runs

        t0 = time.perf_counter()
        notebooks = self.project.notebooks
        if notebooks and (self.opts.force or not (self.stamps.path.exists() or self.pending_dir.exists())):
            self._start_pool(len(notebooks))  # every notebook will run: no need to wait for the hashes
        imports_cache = self.build_dir / "imports.json"
        load_imports_cache(imports_cache)
        helpers = {c.name: helpers_of(c) for c in notebooks}  # read once: for the hashes and the order
        hashes = {c.name: self.notebook_hash(c, helpers[c.name]) for c in notebooks}
        if self.build_dir.is_dir():
            save_imports_cache(imports_cache)
        stale = [
            c for c in notebooks if self.opts.force or not self.stamps.notebook_fresh(c.name, hashes[c.name], self.root)
        ]
        pending = self._pending() if not self.opts.force else {}
        reuse = [
            c
            for c in stale
            if pending.get(c.name) == hashes[c.name] and (self.pending_dir / c.name / f"{c.name}.ipynb").exists()
        ]
        to_run = longest_first([c for c in stale if c not in reuse], helpers)
        outcome = Outcome(EXIT_OK)
        staged: list[tuple[Path, Path]] = []  # (staged file, destination)
        executed: dict[str, Path] = {c.name: self.destination(c.name) for c in notebooks}
        side_outputs: dict[str, dict[str, Path]] = {}

        validated = self.validation_hash() if to_run and self.opts.validate else None
        checking = Validation(self.data) if validated and not self.stamps.validated(validated) else None
        self._start_pool(len(to_run))  # (or the one started for every notebook, or none)
        if checking is not None:
            errors = checking.errors()
            if errors:
                for e in errors:  # problems go to stderr, one line each, as `helpers validate` prints them
                    print(e, file=sys.stderr, flush=True)
                print(
                    f"build: {_show(self.data or paths.SYNTHETIC_DATA)} is not valid; nothing executed",
                    file=sys.stderr,
                    flush=True,
                )
                return Outcome(EXIT_INVALID, messages=errors)
            if errors == []:
                self.stamps.set_validated(validated)  # saved with the stamps if the build succeeds
        if stale:
            self.out.mkdir(parents=True, exist_ok=True)
            guard.mark_output(self.out)
            for abandoned in self.build_dir.glob("staging*"):  # of a build that was killed (we hold the lock)
                shutil.rmtree(abandoned, ignore_errors=True)
            (self.staging / "notebooks").mkdir(parents=True)
            for c in reuse:
                self._take_pending(c.name)
                self.echo(f"  reuse  {c.name} (executed by an earlier build that failed later)")
        if to_run:
            logs = self.build_dir / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            data_desc = "synthetic (bundled)" if self.data is None else _show(self.data)
            self.echo(
                f"build: {len(to_run)} of {len(notebooks)} notebooks to execute, "
                f"{min(self.opts.jobs, len(to_run))} at a time; data: {data_desc}"
            )
            from . import execute

            jobs = []
            for c in to_run:
                outdir = self.staging / "outputs" / c.name
                outdir.mkdir(parents=True)
                jobs.append(
                    execute.Job(
                        name=c.name,
                        source=str(c.source),
                        output=str(self.staging / "notebooks" / f"{c.name}.ipynb"),
                        cwd=str(c.source.parent),
                        parameters={
                            "data_file": str(self.data) if self.data else None,
                            "output_dir": str(outdir),
                            "seed": self.opts.seed,
                            "min_cell_count": self.opts.min_cell_count,
                        },
                        record=self.record,
                        timeout=self.opts.timeout,
                        log=str(logs / f"{c.name}.log"),
                    )
                )
            width = max(len(j.name) for j in jobs)

            def started(job):
                self.echo(f"  start  {job.name}")

            def ended(job, res):
                status = "done  " if res.ok else "FAILED"
                self.echo(f"  {status} {job.name:<{width}}  {res.seconds:6.1f} s  {res.peak_mb:6.0f} MB")

            results = self.pool.run(jobs, on_start=started, on_end=ended, keep_going=self.opts.keep_going)
            self.pool.close()
            self._write_timings(results)
            failures = [r for r in results if not r.ok]
            if failures:
                failed_dir = self.build_dir / "failed"
                shutil.rmtree(failed_dir, ignore_errors=True)
                for r in failures:
                    self.echo(execute.failure_message(r, _show(self.project.chapter(r.name).source)))
                    nb = self.staging / "notebooks" / f"{r.name}.ipynb"
                    if nb.exists():
                        failed_dir.mkdir(parents=True, exist_ok=True)
                        os.replace(nb, failed_dir / nb.name)
                        self.echo(f"    executed notebook kept in {_show(failed_dir / nb.name)}")
                not_run = [j.name for j in jobs if j.name not in {r.name for r in results}]
                if not_run:
                    self.echo(f"build: not started after the failure: {', '.join(not_run)}")
                ok = [r.name for r in results if r.ok] + [c.name for c in reuse]
                return self._fail(Outcome(EXIT_FAILED, failed=[r.name for r in failures]), ok, hashes)
        claimed: dict[Path, str] = {}
        for c in stale:
            nb = self.staging / "notebooks" / f"{c.name}.ipynb"
            staged.append((nb, self.destination(c.name)))
            executed[c.name] = nb
            side_outputs[c.name] = {}
            outdir = self.staging / "outputs" / c.name
            for f in expand([outdir]):
                dest = self.out / f.relative_to(outdir)
                if dest in claimed:
                    self.echo(f"build: {c.name} and {claimed[dest]} both write {_show(dest)}")
                    return self._fail(Outcome(EXIT_FAILED, failed=[c.name]), [], hashes)
                claimed[dest] = c.name
                staged.append((f, dest))
                side_outputs[c.name][self._rel(dest)] = f
        outcome.executed = [c.name for c in stale]

        rendered_files: list[tuple[Path, Path]] = []
        keep_rendered = False  # pandoc's render folder keeps a copy of its outputs (render.py)
        renderer = render.renderer_name(self.opts.renderer)
        render_hash = self.render_hash(executed, renderer)
        if self.opts.render and (self.opts.force or not self.stamps.render_fresh(render_hash, self.root)):
            missing = [n for n, p in executed.items() if not p.exists()]
            if missing:
                self.echo(f"build: cannot render, executed notebooks missing: {', '.join(missing)}")
                return self._fail(Outcome(EXIT_FAILED), [c.name for c in stale], hashes)
            workdir = self.staging / "render"
            shutil.rmtree(workdir, ignore_errors=True)
            t_render = time.perf_counter()
            try:
                # the previous render (kept in OUT/.build/render) for what it can give again;
                # --force renders from nothing (a folder that does not exist)
                previous = self.staging / "none" if self.opts.force else self.build_dir / "render"
                result = render.render(
                    self.project, executed, workdir, self.synthetic, self.opts.renderer, previous=previous
                )
            except render.RenderError as exc:
                self.echo(f"build: render failed: {exc}")
                failed_render = self.build_dir / "render-failed"
                shutil.rmtree(failed_render, ignore_errors=True)
                if workdir.exists():
                    os.replace(workdir, failed_render)
                    self.echo(f"    intermediate files kept in {_show(failed_render)}")
                return self._fail(Outcome(EXIT_FAILED), [c.name for c in stale], hashes)
            for w in result.warnings:
                self.echo(f"  warning: {w}")
            base = workdir / "quarto-output" if result.renderer == "quarto" else workdir
            keep_rendered = result.renderer != "quarto"
            for f in result.files:
                rendered_files.append((f, self.out / f.relative_to(base)))
            shown = ", ".join(_show(d) for _, d in rendered_files if d.suffix in (".html", ".pdf"))
            same = ", the same inputs as the last render: its outputs kept" if result.reused else ""
            self.echo(f"  render {result.renderer}: {shown} ({time.perf_counter() - t_render:.1f} s{same})")
            outcome.rendered = True

        if not staged and not rendered_files:
            self.echo(f"build: nothing to do ({len(notebooks)} notebooks and the report are up to date)")
            return outcome

        # commit: every step succeeded; replace the outputs, then record the stamps
        for src, dest in staged + rendered_files:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if (src, dest) in rendered_files and keep_rendered:  # the render folder keeps its outputs
                shutil.copyfile(src, dest.with_name(f".{dest.name}.tmp"))
                src = dest.with_name(f".{dest.name}.tmp")
            os.replace(src, dest)
            outcome.outputs.append(dest)
        for c in stale:
            dest = self.destination(c.name)
            outs = {self._rel(dest): file_digest(dest)}
            outs.update({rel: file_digest(self.root / rel) for rel in side_outputs[c.name]})
            self.stamps.set_notebook(c.name, hashes[c.name], outs)
        if rendered_files:
            self.stamps.set_render(render_hash, {self._rel(d): file_digest(d) for _, d in rendered_files})
        self.stamps.save()
        if rendered_files:  # keep the intermediate files (book.md, book.typ, media/) to look at
            shutil.rmtree(self.build_dir / "render", ignore_errors=True)
            os.replace(self.staging / "render", self.build_dir / "render")
            shutil.rmtree(self.build_dir / "render-failed", ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)
        shutil.rmtree(self.pending_dir, ignore_errors=True)
        self.echo(f"build: done in {time.perf_counter() - t0:.1f} s -> {_show(self.out)}")
        return outcome

    def _start_pool(self, jobs: int) -> None:
        """The pool for `jobs` notebooks (none: no pool): its preload process imports the kernels'
        libraries (~2 s) while the build hashes and validates."""
        if self.pool is not None and self._pool_jobs != jobs:
            self.pool.close()
            self.pool = None
        if self.pool is None and jobs:
            from . import execute

            self.pool = execute.Pool(self.staging / "jobs", workers=self.opts.jobs, jobs=jobs)
            self._pool_jobs = jobs

    def _write_timings(self, results) -> None:
        path = self.build_dir / "timings.json"
        data = {r.name: {"seconds": r.seconds, "peak_mb": r.peak_mb, "ok": r.ok} for r in results}
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def build(opts: Options, echo=print) -> Outcome:
    return Build(opts, echo).run()


def parse_args(argv: list[str]) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m helpers build",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", type=Path, help="survey export to analyse (default: the bundled synthetic file)")
    p.add_argument("--out", type=Path, help="output folder (default: the project's output-dir, _output)")
    p.add_argument("--project", type=Path, help="Quarto project file (default: _quarto.yml)")
    p.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("JOBS") or 2),
        help="notebooks executed at a time (default: $JOBS or 2)",
    )
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--min-cell-count", type=int, default=5)
    p.add_argument("--force", action="store_true", help="execute and render even if nothing changed")
    p.add_argument(
        "--renderer",
        choices=("auto", "quarto", "pandoc"),
        default="auto",
        help="auto: Quarto if on PATH, else pandoc + Typst",
    )
    p.add_argument("--no-render", dest="render", action="store_false", help="execute only")
    p.add_argument("--keep-going", action="store_true", help="after a failure, still run the other notebooks")
    p.add_argument("--timeout", type=int, help="seconds allowed per cell")
    p.add_argument("--skip-validation", dest="validate", action="store_false", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    return Options(
        data=a.data,
        out=a.out,
        project=a.project,
        jobs=max(1, a.jobs),
        seed=a.seed,
        min_cell_count=a.min_cell_count,
        force=a.force,
        renderer=a.renderer,
        render=a.render,
        validate=a.validate,
        keep_going=a.keep_going,
        timeout=a.timeout,
    )


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 done, 1 a notebook or the rendering failed, 2 invalid data, data file,
    output folder or options (one line, nothing written), 130 interrupted, 128+N signal N."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    opts = parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        runner = Build(opts, echo=lambda m: print(m, flush=True))
    except (ValueError, OSError, KeyError) as exc:  # the data file, OUT, an unreadable _quarto.yml
        print(f"build: {exc}", file=sys.stderr)
        return EXIT_INVALID
    previous_term = signal.signal(signal.SIGTERM, _terminated)
    try:
        outcome = runner.run()
    except Terminated as exc:
        shutil.rmtree(runner.staging, ignore_errors=True)
        print(f"build: stopped by signal {exc.name}; previous outputs left untouched", file=sys.stderr)
        return 128 + exc.signum
    except guard.GuardError as exc:  # another build holds the lock
        print(f"build: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:  # e.g. a read-only output folder
        shutil.rmtree(runner.staging, ignore_errors=True)
        where = f" ({guard.shown(Path(exc.filename))})" if getattr(exc, "filename", None) else ""
        print(
            f"build: cannot write the outputs{where}: {exc.strerror or exc}; previous outputs left untouched",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except KeyboardInterrupt:
        shutil.rmtree(runner.staging, ignore_errors=True)
        print("build: interrupted; previous outputs left untouched", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    return outcome.code


class Terminated(BaseException):
    """SIGTERM during a build: unwinds like Ctrl-C (workers and kernels stopped, staging removed)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


def _terminated(signum, _frame):
    raise Terminated(signum)
