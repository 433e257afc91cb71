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
from functools import cache
from pathlib import Path
from collections.abc import Iterator


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
