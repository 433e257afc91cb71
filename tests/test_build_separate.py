"""The build is its own package (src/reportbuild): no analysis module imports it, not even inside a
function or through importlib; `python -m helpers build` reaches it through the command table only.
That importing every analysis module loads no build module is checked in a fresh process with
the chapters' imports (test_build_imports.py, which starts that process)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import helpers


ANALYSIS = Path(helpers.__file__).resolve().parent
BUILD_NAMES = ("reportbuild", "helpers.build")
COMMAND_TABLE = ANALYSIS / "__main__.py"  # dispatches `build` to reportbuild.cli by name, lazily


def _is_build(name: str | None) -> bool:
    return bool(name) and any(name == b or name.startswith(b + ".") for b in BUILD_NAMES)


def _package_of(path: Path, root: Path) -> str:
    parts = ["helpers", *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts if parts[-1] == "__init__" and parts.pop() else parts[:-1])


def build_imports(path: Path, root: Path = ANALYSIS) -> list[str]:
    """`file:line name` of every import of the build in a module, wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from .build import x`, `from . import build`
                base = importlib.util.resolve_name("." * node.level + base, _package_of(path, root))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]  # importlib.import_module("reportbuild.cli"), __import__(...)
        found += [f"{path.relative_to(root)}:{node.lineno} {n}" for n in names if _is_build(n)]
    return found


def test_no_analysis_module_imports_the_build():
    offenders = [hit for path in sorted(ANALYSIS.rglob("*.py")) if path != COMMAND_TABLE for hit in build_imports(path)]
    assert offenders == []
    assert not (ANALYSIS / "build").exists()


def test_the_scan_sees_imports_inside_functions_and_by_name(tmp_path):
    fake = tmp_path / "stats" / "probe.py"  # stands for helpers/stats/probe.py
    fake.parent.mkdir()
    fake.write_text(
        "def f():\n    from reportbuild import cli\n    import importlib\n"
        "    importlib.import_module('reportbuild.execute')\nfrom . import paths\n"
    )
    assert sorted(h.split(" ")[1] for h in build_imports(fake, tmp_path)) == [
        "reportbuild",
        "reportbuild.cli",
        "reportbuild.execute",
    ]
    fake.write_text("from ..build import cli\nfrom .. import paths\n")
    assert sorted(h.split(" ")[1] for h in build_imports(fake, tmp_path)) == ["helpers.build", "helpers.build.cli"]


def test_python_m_helpers_build_reaches_the_build():
    out = subprocess.run(
        [sys.executable, "-m", "helpers", "build", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "usage: python -m helpers build" in out.stdout
