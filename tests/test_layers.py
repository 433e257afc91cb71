"""The package's layering, read from the source: a module imports only from its own layer or lower
ones, and no two modules import each other, directly or around a loop (imports inside functions
count too: they run sooner or later)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers import paths

PACKAGE = paths.ROOT / "src" / "helpers"
# Lowest first (yamlfile: YAML text to objects; datafile: the data file as a file, imported by
# the build too without pandas).
# A top-level module not listed is a command on top of everything (validate, models).
LAYERS = ["paths", "yamlfile", "datafile", "data", "stats", "synth", "analysis", "present", "review"]
COMMANDS = len(LAYERS)


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["helpers", *parts])


def imported_modules(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every `helpers` module that `path` imports, anywhere in the file."""
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    modules = {m for m in found if m == "helpers" or m.startswith("helpers.")}
    return {m for m in modules if _exists(m, root)} - {here}


def _exists(dotted: str, root: Path) -> bool:
    base = root.joinpath(*dotted.split(".")[1:])
    return (base / "__init__.py").is_file() or base.with_suffix(".py").is_file()


def layer(dotted: str) -> int:
    parts = dotted.split(".")
    if len(parts) == 1:
        return -1  # helpers/__init__.py: a docstring, imports nothing
    top = parts[1]
    return LAYERS.index(top) if top in LAYERS else COMMANDS


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    return {module_name(p, root): imported_modules(p, root) for p in root.rglob("*.py")}


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in sorted(edges.items()):
        for target in sorted(targets):
            # a parent package's __init__ runs on every import of its modules: it must not climb either
            if layer(target) > layer(module):
                bad.append(f"{module} imports {target}")
    return bad


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def with_parents(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Importing helpers.a.b runs helpers/a/__init__.py first: add that edge."""
    out = {m: set(t) for m, t in edges.items()}
    for m, targets in edges.items():
        for t in targets:
            parts = t.split(".")
            for i in range(2, len(parts)):
                parent = ".".join(parts[:i])
                if parent in edges and parent != m and not m.startswith(parent + "."):
                    out[m].add(parent)
    return out


@pytest.fixture(scope="module")
def package_graph() -> dict[str, set[str]]:
    return graph()  # the package's own import graph, read by two tests: parsed once


def test_no_module_imports_a_higher_layer(package_graph):
    assert upward_imports(package_graph) == []


def test_no_import_cycle(package_graph):
    assert cycles(with_parents(package_graph)) == []


def test_every_package_is_a_known_layer():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(LAYERS) - {"paths", "yamlfile", "datafile"}


@pytest.fixture
def toy(tmp_path):
    root = tmp_path / "helpers"
    for rel, text in {
        "__init__.py": "",
        "paths.py": "",
        "data/__init__.py": "",
        "data/load.py": "from helpers import paths\n",
        "present/__init__.py": "",
        "present/tables.py": "from helpers.data import load\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_an_upward_import_inside_a_function_is_found(toy):
    assert upward_imports(graph(toy)) == []
    (toy / "data" / "load.py").write_text("def f():\n    from ..present.tables import x\n")
    assert upward_imports(graph(toy)) == ["helpers.data.load imports helpers.present.tables"]


def test_a_cycle_within_a_layer_is_found(toy):
    assert cycles(graph(toy)) == []
    (toy / "data" / "codes.py").write_text("def f():\n    import helpers.data.load\n")
    (toy / "data" / "load.py").write_text("from helpers.data.codes import f\n")
    assert cycles(graph(toy)) == [["helpers.data.codes", "helpers.data.load"]]
