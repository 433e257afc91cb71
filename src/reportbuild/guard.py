"""What a build checks before it touches anything: the data file, the output folder, the lock.

- The data file is checked as a file (a regular, readable file; a named pipe, a folder or a
  device is refused) *before* anything reads or hashes it.
- Synthetic or real is decided by content: the file's sha256 against
  ``data/synthetic/manifest.yaml``, never by its path. A real export copied over the bundled
  synthetic file is refused (its results would land in the committed notebooks).
- A data file inside the repository that git does not ignore gets a warning.
- The output folder may not be ``/``, the home folder, the repository or a folder holding it,
  a folder inside a ``.git`` folder,
  a folder with files git tracks, or a non-empty folder that is not an earlier output of this
  project (``MARKER_FILE``, or the stamps of an earlier build).
- One build at a time per output folder: a lock file outside the folder (nothing is written
  into it before the data are known to be valid).

Every refusal is a ``GuardError``: one line, naming the file or folder.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

from helpers import paths
from helpers.datafile import DataFileError as GuardError  # one error type: a refusal, one line
from helpers.datafile import (  # noqa: F401  (the data-file checks are part of the guards)
    _git,
    _inside,
    check_data_file,
    data_source,
    refuse_real_at_bundled_path,
    shown,
    tracked_data_warning,
)

MARKER_FILE = ".helpers-output"
MARKER_TEXT = "An output folder of `python -m helpers build` (this file lets later builds reuse it).\n"


# -------------------------------------------------------------------------------- output folder


def is_earlier_output(folder: Path) -> bool:
    return (folder / MARKER_FILE).is_file() or (folder / ".build" / "stamps.json").is_file()


def check_output_folder(out: Path, root: Path = paths.ROOT, own: tuple = ()) -> None:
    """GuardError unless `out` may receive a build's outputs. `own`: the project's own output
    folders (git-ignored, e.g. _output, which `make bench` also writes to): never "foreign"."""
    out = Path(out).resolve()
    root = Path(root).resolve()
    name = shown(out)
    if out == Path(out.anchor):
        raise GuardError(f"output folder {name}: is the file system root; use OUT=_output or a new folder")
    home = Path.home().resolve()
    if out == home:
        raise GuardError(f"output folder {name}: is your home folder; use OUT=_output or a new folder")
    if out == root or root.is_relative_to(out):
        raise GuardError(f"output folder {name}: holds the repository; use OUT=_output or a new folder")
    if ".git" in out.parts:
        raise GuardError(
            f"output folder {name}: is inside a .git folder (git's own files); use OUT=_output or a new folder"
        )
    relative = _inside(out, root)
    if relative is not None and relative.parts[:1] in ((".venv",), (".venv-lab",)):
        # git-ignored, but the environment: `make distclean` or a rebuilt .venv would delete the report
        raise GuardError(f"output folder {name}: is inside the Python environment; use OUT=_output or a new folder")
    if relative is not None:
        result = _git(root, "ls-files", "--", relative.as_posix())
        if result is not None and result.stdout.strip():
            raise GuardError(
                f"output folder {relative.as_posix()}: holds files git tracks "
                f"({result.stdout.split()[0]}); use OUT=_output or a new folder"
            )
    if out.exists() and not out.is_dir():
        raise GuardError(f"output folder {name}: is a file")
    mine = out in {Path(p).resolve() for p in own}
    if out.is_dir() and not mine and any(out.iterdir()) and not is_earlier_output(out):
        raise GuardError(
            f"output folder {name}: is not empty and is not an earlier output of this build "
            f"(no {MARKER_FILE} in it); use an empty or new folder"
        )
    probe = out if out.exists() else next((p for p in out.parents if p.exists()), None)
    if probe is not None and not os.access(probe, os.W_OK | os.X_OK):
        raise GuardError(f"output folder {name}: cannot be written (permission denied)")


def mark_output(out: Path) -> None:
    marker = Path(out) / MARKER_FILE
    if not marker.exists():
        marker.write_text(MARKER_TEXT, encoding="utf-8")


# -------------------------------------------------------------------------------- lock


class OutputLock:
    """An exclusive lock for one output folder, held for the whole build; a second build of
    the same folder is refused at once. The lock file lives in the temporary folder (keyed by
    the folder's path), so taking it writes nothing into the output folder."""

    def __init__(self, out: Path):
        self.out = Path(out).resolve()
        key = hashlib.sha256(str(self.out).encode()).hexdigest()[:20]
        self.path = Path(tempfile.gettempdir()) / f"helpers-build-{key}.lock"
        self.fd: int | None = None

    def __enter__(self) -> OutputLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise GuardError(
                    f"output folder {shown(self.out)}: another build is writing to it; "
                    "wait for it to finish (or use another OUT=)"
                ) from None
            raise
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
