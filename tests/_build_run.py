"""Run the build in a test and, when it fails, say why: the build's own messages and the tail
of each failing notebook's log go into the assertion message (a swallowed echo once left a CI
failure undiagnosable), in this process or as `python -m helpers build`; and a recording stand-in for the build's worker pool, for tests of what
the build refuses before it executes anything."""

from __future__ import annotations

from pathlib import Path

from reportbuild.cli import Options, Outcome, build

LOG_TAIL = 40


def diagnosis(outcome: Outcome, log: list[str], opts: Options) -> str:
    lines = [f"build exited {outcome.code}; failed: {outcome.failed}", "--- build messages:", *log]
    roots = {Path(opts.out)} if opts.out else set()
    if opts.project:
        roots.add(Path(opts.project).parent)
    for name in outcome.failed:
        for root in roots:
            for path in sorted(root.glob(f"**/.build/logs/{name}.log")):
                tail = path.read_text(errors="replace").splitlines()[-LOG_TAIL:]
                lines += [f"--- last {LOG_TAIL} lines of {path}:", *tail]
    return "\n".join(lines)


def run_build(opts: Options, expect: int | None = 0) -> tuple[Outcome, list[str]]:
    """The build's outcome and messages; asserts its exit status unless `expect` is None."""
    log: list[str] = []
    outcome = build(opts, echo=log.append)
    if expect is not None:
        assert outcome.code == expect, diagnosis(outcome, log, opts)
    return outcome, log


def recording_pool(executed: list):
    """An execute.Pool that starts no process and records the notebooks it is given."""

    class Pool:
        def __init__(self, *args, **kwargs):
            pass

        def run(self, jobs, **kwargs):
            executed.append(jobs)
            return []

        def close(self):
            pass

    return Pool


def build_command(data: Path, out: Path) -> None:
    """`python -m helpers build --data DATA --out OUT` from the checkout, as a researcher runs it;
    asserts it succeeded, with the tail of its messages."""
    import subprocess
    import sys

    from helpers import paths

    result = subprocess.run(
        [sys.executable, "-m", "helpers", "build", "--data", str(data), "--out", str(out)],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
