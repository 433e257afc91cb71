"""Content hashes and build stamps (git clones reset mtimes, so the build never looks at them).

A stamp file (``OUT/.build/stamps.json``) records, for each notebook, the hash of everything its
execution depends on and the hashes of the files it produced; and, for the report, the hash of
everything rendering depends on and the hashes of report.html / report.pdf. A step is skipped
only if its input hash is unchanged *and* every file it produced is still there, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from collections.abc import Iterable

STAMP_VERSION = 1


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes ('missing' if it does not exist)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except FileNotFoundError:
        return "missing"
    return h.hexdigest()


def expand(paths: Iterable[Path], pattern: str = "**/*") -> list[Path]:
    """Files under each path (a file stands for itself), sorted, caches and dotfiles left out."""
    out: set[Path] = set()
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in p.glob(pattern):
                parts = f.relative_to(p).parts
                if f.is_file() and "__pycache__" not in parts and not any(s.startswith(".") for s in parts):
                    out.add(f)
        elif p.exists():
            out.add(p)
    return sorted(out)


def digest(
    *, files: Iterable[Path] = (), values: object = None, base: Path | None = None, file_hash=file_digest
) -> str:
    """One hash over files (named relative to `base`, so moving the checkout changes nothing)
    and a JSON-able value (parameters, flags). `file_hash`: how a file's hash is had (a build passes
    `functools.cache(file_digest)`, to read each input once however many hashes name it)."""
    h = hashlib.sha256()
    for f in sorted({x if isinstance(x, Path) else Path(x) for x in files}):
        name = os.path.relpath(f, base) if base else f.name
        h.update(name.encode() + b"\0" + file_hash(f).encode() + b"\n")
    h.update(json.dumps(values, sort_keys=True, default=str).encode())
    return h.hexdigest()


class Stamps:
    """The stamp file of one output folder."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.data: dict = {"version": STAMP_VERSION, "notebooks": {}, "render": {}}
        try:
            loaded = json.loads(self.path.read_text())
            if loaded.get("version") == STAMP_VERSION:
                self.data = loaded
        except (FileNotFoundError, ValueError):
            pass

    @staticmethod
    def _fresh(entry: dict | None, input_hash: str, root: Path) -> bool:
        if not entry or entry.get("input") != input_hash:
            return False
        return all(file_digest(root / rel) == h for rel, h in entry.get("outputs", {}).items())

    def notebook_fresh(self, name: str, input_hash: str, root: Path) -> bool:
        return self._fresh(self.data["notebooks"].get(name), input_hash, root)

    def render_fresh(self, input_hash: str, root: Path) -> bool:
        return self._fresh(self.data.get("render"), input_hash, root)

    def validated(self, input_hash: str) -> bool:
        """Whether the data file with these inputs passed validation in a build that succeeded."""
        return self.data.get("validated") == input_hash

    def set_validated(self, input_hash: str) -> None:
        self.data["validated"] = input_hash

    def set_notebook(self, name: str, input_hash: str, outputs: dict[str, str]) -> None:
        self.data["notebooks"][name] = {"input": input_hash, "outputs": outputs}

    def set_render(self, input_hash: str, outputs: dict[str, str]) -> None:
        self.data["render"] = {"input": input_hash, "outputs": outputs}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, self.path)
