"""Which helper modules a notebook can run: the static import closure of its `helpers` imports.

A notebook's input hash covers these files only, so editing `helpers/robustness.py` re-executes
the robustness chapter and not the other eight. The closure is deliberately wide: every import
statement counts, at module level or inside a function, whether or not that code path runs, and
importing `helpers.x` brings in `helpers/__init__.py`. Anything the analysis cannot read (a
source that is not Python, a syntax error) falls back to every helper module, never to fewer.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from functools import cache
from pathlib import Path
from collections.abc import Iterator


def _package_modules(root: Path, package: str) -> dict[str, str]:
    """Every module of package `package` at `root`, by dotted name, from one walk of the folder
    (`helpers.tables` -> root/tables.py; a package's root/x/__init__.py wins over a root/x.py,
    as in Python's import)."""
    modules: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        inside = os.path.relpath(folder, root).split(os.sep)
        prefix = [package, *(part for part in inside if part != ".")]
        for file in sorted(f for f in files if f.endswith(".py")):
            stem = file[:-3]
            name = ".".join(prefix if stem == "__init__" else [*prefix, stem])
            if stem == "__init__" or name not in modules:
                modules[name] = os.path.join(folder, file)
    return modules


def _statements(body: list) -> Iterator[ast.stmt]:
    """Every statement, at any depth (imports are statements: expressions need no visit)."""
    for node in body:
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def _referenced(tree: ast.Module, here: str, is_package: bool) -> set[str]:
    """Dotted names of every module an `import` in `tree` may load (`here` = the module's name)."""
    names: set[str] = set()
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = here.split(".") if is_package else here.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # submodules, if they are ones
    return names


# What each helper file imports, by the sha256 of its content: kept between builds in
# OUT/.build/imports.json (load_cache/save_cache), so that a build with nothing to do parses no
# module (parsing the package takes about half a second).
_PARSED: dict[str, list[str]] = {}


def load_cache(path: Path) -> None:
    try:
        _PARSED.update(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass


def save_cache(path: Path) -> None:
    try:
        Path(path).write_text(json.dumps(_PARSED, sort_keys=True) + "\n", encoding="utf-8")
    except OSError:
        pass  # a cache only


@cache
def _module_imports(path: str, here: str, is_package: bool, stamp: tuple[int, int]) -> frozenset[str] | None:
    """`_referenced` of one file, parsed once whatever the number of chapters and builds."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    key = hashlib.sha256(f"{here}|{is_package}|{text}".encode()).hexdigest()
    if key not in _PARSED:
        try:
            _PARSED[key] = sorted(_referenced(ast.parse(text), here, is_package))
        except (SyntaxError, ValueError):
            return None
    return frozenset(_PARSED[key])


def _with_parents(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def helper_files(source: Path, root: Path, package: str = "helpers") -> list[Path]:
    """The files of package `package` (at `root`) that notebook `source` (a percent .py) may import."""
    modules = _package_modules(root, package)
    try:
        tree = ast.parse(Path(source).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return _paths(modules.values())  # every .py below root: the walk skips no folder
    found: set[str] = set()
    seen: set[str] = set()  # every name looked at once: third-party names come up in every module
    pending = list(_referenced(tree, "__main__", False))
    while pending:
        dotted = pending.pop()
        if dotted in seen:
            continue
        for name in _with_parents(dotted):
            if name in seen:
                continue
            seen.add(name)
            path = modules.get(name)
            if path is None:
                continue
            found.add(path)
            info = os.stat(path)
            names = _module_imports(path, name, path.endswith(os.sep + "__init__.py"), (info.st_mtime_ns, info.st_size))
            if names is None:
                return _paths(modules.values())
            pending.extend(names)
    return _paths(found)


def _paths(files) -> list[Path]:
    return sorted(Path(f) for f in files)
