"""Pins match imports: every distribution pinned in requirements.txt is imported by the project's
code or is a tool it runs (listed here with what runs it), and every third-party import is pinned.
The lock (requirements.lock) is generated from requirements.txt and holds every pin exactly."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys

from helpers import paths

# Pinned but never imported: tools the build, the tests or make run.
TOOLS = {
    "jupytext": "converts notebooks (build, make lab)",
    "papermill": "executes notebooks (build)",
    "nbformat": "reads and writes notebooks (build)",
    "nbclient": "papermill's executor (build)",
    "nbconvert": "the serial baseline of make bench",
    "ipykernel": "the notebooks' kernel",
    "jupyter-client": "kernel management (build)",
    "pypandoc-binary": "pandoc executable (fallback renderer)",
    "typst": "PDF compiler (fallback renderer)",
    "pytest": "make test",
    "nbval": "make test (pytest --nbval)",
    "pytest-xdist": "make test (pytest -n: the tests on every core)",
    "ruff": "lint and format check (.ci/run, make lint, pre-commit)",
    "setuptools": "build backend of the editable install",
    "uv": "installs requirements.lock (make env)",
    "openpyxl": "pandas' Excel reader",
    "pyreadstat": "pandas' SPSS/Stata reader",
}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (paths.ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = re.split(r"==", line, maxsplit=1)
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins


@functools.cache  # read-only results, shared by the tests: parsed once
def _imported_modules() -> set[str]:
    found = set()
    for folder in ("src", "scripts", "tests", "notebooks"):
        for path in (paths.ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.add(node.module.split(".")[0])
    return found


@functools.cache
def _distribution_of() -> dict[str, set[str]]:
    return {
        m: {re.sub(r"[-_.]+", "-", d).lower() for d in ds}
        for m, ds in importlib.metadata.packages_distributions().items()
    }


def test_every_pin_is_imported_or_a_tool():
    pins = _pins()
    dists = _distribution_of()
    imported = {d for m in _imported_modules() for d in dists.get(m, set())}
    unused = sorted(set(pins) - imported - set(TOOLS))
    assert not unused, f"pinned in requirements.txt but never imported: {unused}"


def test_every_third_party_import_is_pinned():
    pins = _pins()
    dists = _distribution_of()
    local = {
        "helpers",
        "reportbuild",
        "_build_run",
        "conftest",
        "_random_survey",
        "_robustness_toy",
        "bad_inputs",
        "make_corpus",
    }
    missing = {}
    for module in _imported_modules() - set(sys.stdlib_module_names) - local:
        owners = dists.get(module, set())
        if owners and not owners & set(pins):
            missing[module] = sorted(owners)
    assert not missing, f"imported but not pinned in requirements.txt: {missing}"


def test_the_lock_holds_every_pin_exactly():
    lock = (paths.ROOT / "requirements.lock").read_text(encoding="utf-8").lower()
    for name, version in _pins().items():
        assert re.search(rf"^{re.escape(name)}=={re.escape(version)}\b", lock, re.M), (
            f"{name}=={version} not in requirements.lock"
        )
    assert "--hash=sha256:" in lock
