"""Which helper modules a notebook can run: the static import closure of its `helpers` imports.

A notebook's input hash covers these files only, so editing `helpers/robustness.py` re-executes
the robustness chapter and not the other eight. The closure is deliberately wide: every import
statement counts, at module level or inside a function, whether or not that code path runs, and
importing `helpers.x` brings in `helpers/__init__.py`. Anything the analysis cannot read (a
source that is not Python, a syntax error) falls back to every helper module, never to fewer.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import Iterator


def _module_file(root: Path, package: str, dotted: str) -> Path | None:
    """`helpers.tables` -> root/tables.py (or root/tables/__init__.py); None if not ours."""
    if dotted != package and not dotted.startswith(package + "."):
        return None
    parts = dotted.split(".")[1:]
    base = root.joinpath(*parts) if parts else root
    for candidate in (base / "__init__.py", base.with_suffix(".py")) if parts else (root / "__init__.py",):
        if candidate.is_file():
            return candidate
    return None


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
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # submodules, if they are ones
    return names


@lru_cache(maxsize=None)
def _module_imports(path: str, here: str, is_package: bool, stamp: tuple[int, int]) -> frozenset[str] | None:
    """`_referenced` of one file, parsed once per build whatever the number of chapters."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    return frozenset(_referenced(tree, here, is_package))


def _with_parents(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def helper_files(source: Path, root: Path, package: str = "helpers") -> list[Path]:
    """The files of package `package` (at `root`) that notebook `source` (a percent .py) may import."""
    everything = sorted(root.rglob("*.py"))
    try:
        tree = ast.parse(Path(source).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return everything
    found: dict[str, Path] = {}
    pending = [n for n in _referenced(tree, "__main__", False)]
    while pending:
        for name in _with_parents(pending.pop()):
            if name in found:
                continue
            path = _module_file(root, package, name)
            if path is None:
                continue
            found[name] = path
            info = path.stat()
            names = _module_imports(str(path), name, path.name == "__init__.py", (info.st_mtime_ns, info.st_size))
            if names is None:
                return everything
            pending.extend(names)
    return sorted(set(found.values()))
