"""The survey data file as a file, before anything reads it: a readable regular file (a named
pipe, a folder or a device is refused without blocking); synthetic or real decided by content
(the file's sha256 against ``data/synthetic/manifest.yaml``), never by path; a real export that
git would commit gets a warning. Used by ``helpers.validate`` and by the build's guards.

Every refusal is a ``DataFileError``: one line, naming the file.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from functools import lru_cache
from pathlib import Path

import yaml

from helpers import paths, yamlfile

# No survey export comes near this (200,000 respondents: well under 200 MB): a larger file is
# refused unread by helpers.data.readers, and never hashed (that alone would take a minute).
MAX_FILE_BYTES = 1024 * 2**20


class DataFileError(ValueError):
    """A refusal, one line."""


def shown(path: Path) -> str:
    """A path for messages: relative to the working directory when below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


# -------------------------------------------------------------------------------- data file


def check_data_file(path: Path) -> None:
    """A readable regular file, or DataFileError; never opens anything that could block."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DataFileError(f"{shown(path)}: no such file") from None
    except OSError as err:
        raise DataFileError(f"{shown(path)}: cannot be read ({err.strerror})") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise DataFileError(f"{shown(path)}: is a folder, not a survey file: give the path of the export itself")
    if not stat.S_ISREG(mode):
        kind = "a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise DataFileError(
            f"{shown(path)}: is {kind}, not a regular file: save the export as a file and give its path"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        os.close(fd)
    except PermissionError:
        raise DataFileError(f"{shown(path)}: cannot be read (permission denied)") from None
    except OSError as err:
        raise DataFileError(f"{shown(path)}: cannot be read ({err.strerror})") from None


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _manifest_hashes(manifest: Path) -> frozenset[str]:
    """Every `sha256` value in the synthetic manifest (at any depth). The file is read on every
    call (an edited manifest counts at once); only parsing it is cached, by its bytes."""
    try:
        with open(manifest, "rb") as f:
            data = f.read()
    except OSError:
        return frozenset()
    return _hashes_in(data)


@lru_cache(maxsize=8)
def _hashes_in(manifest: bytes) -> frozenset[str]:
    try:
        data = yamlfile.safe_load(manifest.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return frozenset()
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if str(k).lower() == "sha256" and isinstance(v, str):
                    found.add(v.strip().lower())
                else:
                    walk(v)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return frozenset(found)


def source_of(sha256: str, manifest: str | os.PathLike | None = None) -> str:
    """'synthetic' when `sha256` is the bundled synthetic file's (per its manifest), else 'real'."""
    manifest = Path(manifest) if manifest is not None else paths.SYNTHETIC_MANIFEST
    return "synthetic" if sha256.lower() in _manifest_hashes(manifest) else "real"


@lru_cache(maxsize=8)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(path)  # hashed once per version of the file; the manifest read each time


def data_source(path: Path, manifest: Path | None = None) -> str:
    """'synthetic' when the file's sha256 is in the synthetic manifest, else 'real'."""
    check_data_file(path)
    info = os.stat(path)
    if info.st_size > MAX_FILE_BYTES:
        return "real"  # refused unread by the reader: hashing it first would take minutes
    return source_of(_sha256(str(Path(path).resolve()), info.st_size, info.st_mtime_ns), manifest)


def refuse_real_at_bundled_path(path: Path, source: str) -> None:
    if source != "synthetic" and Path(path).resolve() == paths.SYNTHETIC_DATA.resolve():
        raise DataFileError(
            f"{shown(path)}: is not the bundled synthetic file (its sha256 is not in "
            f"{paths.SYNTHETIC_MANIFEST.relative_to(paths.ROOT)}): never put survey data there; "
            "restore it (git checkout data/synthetic) and run on data/real/<file> instead"
        )


def _inside(path: Path, root: Path) -> Path | None:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return None


def _git(root: Path, *args: str) -> subprocess.CompletedProcess | None:
    if not (Path(root) / ".git").exists():
        return None
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    except OSError:
        return None


def tracked_data_warning(path: Path, source: str, root: Path = paths.ROOT) -> str | None:
    """A warning when a real data file sits in the repository, untracked and not ignored: the
    next `git add -A` would commit it."""
    relative = _inside(path, root)
    if source == "synthetic" or relative is None:
        return None
    result = _git(root, "check-ignore", "-q", "--", relative.as_posix())
    if result is None or result.returncode == 0:
        return None
    tracked = _git(root, "ls-files", "--error-unmatch", "--", relative.as_posix())
    if tracked is not None and tracked.returncode == 0:
        return None  # a file of the project (a test fixture); `git add` adds nothing new
    return (
        f"warning: {relative.as_posix()} is inside the repository and not git-ignored: "
        "`git add` would commit survey data; move it to data/real/ (ignored)"
    )
