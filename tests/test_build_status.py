"""Exit statuses of ./report (the build with its own status; make always exits 2): 0 done,
1 a failing notebook, 2 invalid data or options (one line), 130 interrupted, 128+N a signal,
each said on the last line; an interrupted or failed build leaves no outputs, no staging folder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import paths

FIXTURE = Path(__file__).parent / "fixtures" / "notebooks"
REPORT = paths.ROOT / "report"


def _report(*args, **kw) -> subprocess.Popen:
    env = {**os.environ, "REPORT_PYTHON": sys.executable}
    return subprocess.Popen(
        [str(REPORT), *args],
        cwd=paths.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **kw,
    )


def _index_only(root: Path, extra: str) -> Path:
    """The fixture book cut to its home page, with `extra` appended to index.py."""
    shutil.copytree(FIXTURE, root, dirs_exist_ok=True)
    project = root / "_quarto.yml"
    project.write_text(project.read_text().replace("    - 01_demo.ipynb\n", "").replace("    - 02_more.ipynb\n", ""))
    (root / "index.py").write_text((root / "index.py").read_text() + extra)
    return project


def test_invalid_data_exits_2_and_says_so(tmp_path):
    proc = _report("--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out"))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [f"build: {tmp_path / 'nope.csv'}: no such file"]  # one line
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_failing_notebook_exits_1(tmp_path):
    project = _index_only(tmp_path, "\n# %%\nraise RuntimeError('on purpose')\n")
    proc = _report("--project", str(project), "--skip-validation", "--no-render")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, out + err
    assert "RuntimeError: on purpose" in out
    assert out.strip().splitlines()[-1] == "build: FAILED; previous outputs left untouched"


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum,status,named",
    [
        (signal.SIGINT, 130, "build: interrupted; previous outputs left untouched"),
        (signal.SIGTERM, 143, "build: stopped by signal SIGTERM; previous outputs left untouched"),
    ],
)
def test_a_stopped_build_names_why_and_leaves_nothing(tmp_path, signum, status, named):
    project = _index_only(tmp_path, "\n# %%\nimport time\ntime.sleep(120)\n")
    proc = _report("--project", str(project), "--skip-validation", "--no-render")
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until the notebook runs
        if line.strip().startswith("start"):
            break
    time.sleep(1.0)
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # Ctrl-C: the terminal signals the whole foreground group
    else:
        os.kill(proc.pid, signum)  # `kill PID`: the build alone
    start = time.monotonic()
    out, err = proc.communicate(timeout=120)
    assert time.monotonic() - start < 60
    assert proc.returncode == status, out + err
    assert err.strip().splitlines()[-1] == named
    assert not list((tmp_path / "_output" / ".build").glob("staging*"))
    assert not (tmp_path / "index.ipynb").exists()


# ----------------------------------------------------------------------------- staging per build


def test_each_build_stages_in_a_folder_of_its_own(tmp_path):
    from reportbuild.cli import Build, Options

    project = _index_only(tmp_path / "book", "")
    a, b = (Build(Options(project=project, out=tmp_path / "out", validate=False)) for _ in range(2))
    c = Build(Options(project=project, out=tmp_path / "other", validate=False))
    assert len({a.staging, b.staging, c.staging}) == 3
    assert a.staging.parent == b.staging.parent == tmp_path / "out" / ".build"
    assert c.staging.parent == tmp_path / "other" / ".build"


@pytest.mark.slow
def test_two_builds_into_different_folders_at_once(tmp_path):
    """Both succeed, each with its own staging and kernel runtime folder (no shared ports or files)."""
    project = _index_only(tmp_path / "book", "")
    procs = [
        _report("--project", str(project), "--skip-validation", "--no-render", "--out", str(tmp_path / name))
        for name in ("a", "b")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
    for name in ("a", "b"):
        assert (tmp_path / name / "notebooks" / "index.ipynb").exists()
        assert not list((tmp_path / name / ".build").glob("staging*"))
        assert f'output_dir = \\"{tmp_path / name}\\"' in (tmp_path / name / "notebooks" / "index.ipynb").read_text()


@pytest.mark.slow
def test_a_staging_folder_left_by_a_killed_build_is_removed(tmp_path):
    project = _index_only(tmp_path / "book", "")
    left = tmp_path / "book" / "_output" / ".build" / "staging-1-deadbeef"
    (left / "notebooks").mkdir(parents=True)
    (left / "notebooks" / "index.ipynb").write_text("half-written")
    proc = _report("--project", str(project), "--skip-validation", "--no-render")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    assert not left.exists()
    assert "half-written" not in (tmp_path / "book" / "index.ipynb").read_text()
