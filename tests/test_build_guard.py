"""The build's guards: data file type and source by content, the output folder, one build per
folder. Each refusal is one line naming the file or folder, exit status 2, nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from helpers import paths
from reportbuild import cli, guard

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run_build(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "helpers", "build", *args],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture()
def real_copy(tmp_path):
    frame = pd.read_csv(paths.SYNTHETIC_DATA, dtype=str, keep_default_na=False)
    frame.loc[0, "gender"] = "Male" if frame.loc[0, "gender"] != "Male" else "Female"
    target = tmp_path / "export.csv"
    frame.to_csv(target, index=False, lineterminator="\n")
    return target


# ----------------------------------------------------------------------------- the data file


def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)
    result = run_build("--data", str(fifo), "--out", str(tmp_path / "out"), timeout=60)
    assert result.returncode == 2
    assert "export.csv: is a named pipe, not a regular file" in one_line(result.stderr)
    assert not (tmp_path / "out").exists()


def test_a_folder_is_refused(tmp_path):
    folder = tmp_path / "export.csv"
    folder.mkdir()
    code = cli.main(["--data", str(folder), "--out", str(tmp_path / "out")])
    assert code == 2 and not (tmp_path / "out").exists()


@pytest.mark.skipif(AS_ROOT, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path, real_copy, capsys):
    real_copy.chmod(0)
    assert cli.main(["--data", str(real_copy), "--out", str(tmp_path / "out")]) == 2
    assert "permission denied" in one_line(capsys.readouterr().err)


def test_synthetic_or_real_is_decided_by_content(tmp_path, real_copy):
    copy = tmp_path / "renamed.csv"
    shutil.copy(paths.SYNTHETIC_DATA, copy)
    assert cli.is_synthetic(copy)  # the synthetic bytes under another name
    assert not cli.is_synthetic(real_copy)


def test_real_data_at_the_bundled_path_is_refused(tmp_path, real_copy, monkeypatch, capsys):
    monkeypatch.setattr(paths, "SYNTHETIC_DATA", real_copy)  # as if copied over the bundled file
    assert not cli.is_synthetic(None)
    assert cli.main(["--out", str(tmp_path / "out")]) == 2
    line = one_line(capsys.readouterr().err)
    assert "export.csv: is not the bundled synthetic file" in line and "never put survey data there" in line
    assert not (tmp_path / "out").exists()


def _git_repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("data/real/*\n")
    (repo / "notebooks").mkdir()
    (repo / "notebooks" / "a.py").write_text("x = 1\n")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    return repo


def test_a_data_file_git_would_commit_gets_a_warning(tmp_path):
    repo = _git_repo(tmp_path)
    (repo / "data" / "real").mkdir(parents=True)
    loose, ignored = repo / "export.sav", repo / "data" / "real" / "export.sav"
    loose.write_bytes(b"x")
    ignored.write_bytes(b"x")
    warning = guard.tracked_data_warning(loose, "real", repo)
    assert warning.startswith("warning: export.sav is inside the repository and not git-ignored")
    assert guard.tracked_data_warning(ignored, "real", repo) is None
    assert guard.tracked_data_warning(loose, "synthetic", repo) is None
    assert guard.tracked_data_warning(tmp_path / "elsewhere.sav", "real", repo) is None
    assert guard.tracked_data_warning(repo / "notebooks" / "a.py", "real", repo) is None  # tracked: a fixture


# ----------------------------------------------------------------------------- the output folder


@pytest.mark.parametrize("where", ["root", "home", "repository", "tracked", "non-empty", "a file", "git's folder"])
def test_output_folders_that_are_refused(tmp_path, where, monkeypatch):
    repo = _git_repo(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "thesis.docx").write_text("mine")
    (tmp_path / "file").write_text("x")
    out = {
        "root": "/",
        "home": tmp_path / "home",
        "repository": repo,
        "tracked": repo / "notebooks",
        "non-empty": tmp_path / "full",
        "a file": tmp_path / "file",
        "git's folder": repo / ".git" / "report",
    }[where]
    with pytest.raises(guard.GuardError) as err:
        guard.check_output_folder(out, repo)
    assert "\n" not in str(err.value) and str(err.value).startswith("output folder ")


def test_output_folders_that_are_accepted(tmp_path):
    repo = _git_repo(tmp_path)
    guard.check_output_folder(tmp_path / "new", repo)
    (tmp_path / "empty").mkdir()
    guard.check_output_folder(tmp_path / "empty", repo)
    guard.check_output_folder(repo / "_output", repo)  # untracked, inside the repository
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "report.html").write_text("old")
    guard.mark_output(earlier)
    guard.check_output_folder(earlier, repo)
    own = repo / "_output"
    own.mkdir()
    (own / "bench.txt").write_text("timings")  # `make bench` writes there before any build
    guard.check_output_folder(own, repo, own=(own,))
    with pytest.raises(guard.GuardError):
        guard.check_output_folder(own, repo)


@pytest.mark.parametrize("out", ["/", "."])
def test_the_build_refuses_root_and_the_checkout_for_synthetic_data_too(out):
    before = sorted(p.name for p in paths.ROOT.iterdir())
    result = run_build("--out", out)
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("build: output folder ")
    assert sorted(p.name for p in paths.ROOT.iterdir()) == before


@pytest.mark.skipif(AS_ROOT, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert cli.main(["--out", str(out)]) == 2
        assert "cannot be written" in one_line(capsys.readouterr().err)
    finally:
        out.chmod(0o755)


# ----------------------------------------------------------------------------- the lock


def test_a_second_build_of_the_same_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    with guard.OutputLock(out):
        assert cli.main(["--out", str(out), "--no-render"]) == 2
        assert "another build is writing to it" in one_line(capsys.readouterr().err)
        with pytest.raises(guard.GuardError):
            guard.OutputLock(out).__enter__()
    assert not out.exists()  # nothing written by the refused build
    with guard.OutputLock(out):  # released
        pass


# ----------------------------------------------------------------------------- as another user
# Root reads and writes anything: as root, these run the command as user nobody (setpriv).


def _as_nobody(args):
    prefix = [] if not AS_ROOT else ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "helpers", *args], cwd=paths.ROOT, capture_output=True, text=True, timeout=120
    )


def _nobody_cannot_run_helpers() -> str:
    """Why user nobody cannot run `python -m helpers` from this checkout ('' if it can): a
    checkout inside a private folder (e.g. `mktemp -d`, mode 0700) is closed to other users."""
    if not AS_ROOT:
        return ""
    if not shutil.which("setpriv"):
        return "needs setpriv to drop root"
    probe = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", "import helpers.paths"],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        return f"user nobody cannot import helpers from {paths.ROOT} (a parent folder is closed to others?): {last}"
    return ""


NOBODY_BLOCKED = _nobody_cannot_run_helpers()


@pytest.fixture()
def shared_folder():
    import tempfile

    folder = tempfile.mkdtemp(prefix="guard-")
    os.chmod(folder, 0o755)
    yield __import__("pathlib").Path(folder)
    for p in __import__("pathlib").Path(folder).rglob("*"):
        p.chmod(0o755)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(bool(NOBODY_BLOCKED), reason=NOBODY_BLOCKED or "-")
def test_an_unreadable_data_file_is_one_line(shared_folder, real_copy):
    data = shared_folder / "export.csv"
    shutil.copy(real_copy, data)
    data.chmod(0)
    for args in (["build", "--data", str(data), "--out", str(shared_folder / "out")], ["validate", str(data)]):
        result = _as_nobody(args)
        assert result.returncode == 2, result.stderr
        line = one_line(result.stderr)
        assert "export.csv" in line and "permission denied" in line and "Traceback" not in line
    assert not (shared_folder / "out").exists()


@pytest.mark.skipif(bool(NOBODY_BLOCKED), reason=NOBODY_BLOCKED or "-")
def test_a_read_only_output_folder_is_one_line(shared_folder):
    out = shared_folder / "out"
    out.mkdir()
    out.chmod(0o555)
    result = _as_nobody(["build", "--out", str(out)])
    assert result.returncode == 2, result.stderr
    assert "cannot be written (permission denied)" in one_line(result.stderr)
    assert not any(out.iterdir())


# ----------------------------------------------------------------------------- exit statuses


def test_a_renderer_killed_by_a_signal_is_named_as_such(tmp_path):
    import signal

    from reportbuild import render

    proc = render._start([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path)
    proc.send_signal(signal.SIGKILL)
    with pytest.raises(render.RenderError, match=r"pandoc \(HTML\) was killed by signal SIGKILL \(9\)"):
        render._finish(proc, "pandoc (HTML)")


def test_make_report_names_the_build_status(tmp_path):
    if not shutil.which("make"):
        pytest.skip("no make")
    result = subprocess.run(
        ["make", "--no-print-directory", "report", f"DATA={tmp_path / 'nope.csv'}", f"OUT={tmp_path / 'out'}"],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2  # GNU make's own status for any failed recipe
    assert result.stderr.splitlines()[-2] == (
        "make report: build exit status 2: invalid data, data file, output "
        "folder or options; nothing written (./report exits 2; make exits 2)"
    )
