"""A notebook's helper dependencies (reportbuild.imports): wide enough, never too narrow; and the
analysis, imported whole, loads nothing of the build (reportbuild)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import paths
from reportbuild.cli import HELPERS_ROOT
from reportbuild.imports import helper_files

import _import_probe as import_probe

CHAPTERS = paths.chapter_sources()


def _chapter(source: Path) -> str:
    return source.name.split(".")[0]  # 08_robustness.pct.py -> 08_robustness


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_closure_follows_every_kind_of_import(tmp_path):
    pkg = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg import b\n",  # a submodule named in a from-import
            "b.py": "def f():\n    from .c import g\n",  # relative, inside a function
            "c.py": "import pkg.sub.d\ng = 1\n",  # dotted import of a subpackage module
            "sub/__init__.py": "",
            "sub/d.py": "from ..e import value\n",  # two levels up
            "e.py": "value = 1\n",
            "unused.py": "import pkg.a\n",  # imports others, imported by nobody
        },
    )
    notebook = tmp_path / "nb.py"
    notebook.write_text("# %%\nimport os\nfrom pkg.a import b as alias\n")
    names = {p.relative_to(pkg).as_posix() for p in helper_files(notebook, pkg, "pkg")}
    assert names == {"__init__.py", "a.py", "b.py", "c.py", "sub/__init__.py", "sub/d.py", "e.py"}


def test_a_package_folder_wins_over_a_module_of_the_same_name(tmp_path):
    # as in Python's import: `import pkg.x` loads pkg/x/__init__.py, never pkg/x.py
    pkg = _package(tmp_path, {"__init__.py": "", "x.py": "import pkg.y\n", "x/__init__.py": "", "y.py": ""})
    notebook = tmp_path / "nb.py"
    notebook.write_text("# %%\nimport pkg.x\n")
    names = {p.relative_to(pkg).as_posix() for p in helper_files(notebook, pkg, "pkg")}
    assert names == {"__init__.py", "x/__init__.py"}


def test_unreadable_source_depends_on_everything(tmp_path):
    pkg = _package(tmp_path, {"__init__.py": "", "a.py": "", "b.py": ""})
    notebook = tmp_path / "nb.py"
    notebook.write_text("# %%\nfrom pkg import a\n%timeit a\n")  # a magic: not Python
    assert len(helper_files(notebook, pkg, "pkg")) == 3


def test_a_helper_change_reaches_only_the_chapters_that_import_it():
    deps = {_chapter(c): {p.name for p in helper_files(c, HELPERS_ROOT)} for c in CHAPTERS}
    assert [c for c, files in deps.items() if "robustness.py" in files] == ["08_robustness"]
    assert all("models.py" in files and "__init__.py" in files for files in deps.values())
    assert not any("execute.py" in files for files in deps.values())  # the build is not an input


@pytest.fixture(scope="module")
def loaded_at_run_time() -> dict[str, set[Path]]:
    """Each chapter's import statements, run in a fresh process: the helper modules loaded."""
    return {name: {Path(f).resolve() for f in row["helpers_files"]} for name, row in import_probe.loaded().items()}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=_chapter)
def test_what_a_chapter_imports_at_run_time_is_inside_its_closure(chapter, loaded_at_run_time):
    loaded = loaded_at_run_time[_chapter(chapter)]
    assert loaded, "the chapter imports no helpers?"
    assert not any(p.name == "preload.py" for p in loaded)  # the probe's own imports were dropped
    assert loaded <= {p.resolve() for p in helper_files(chapter, HELPERS_ROOT)}


def test_importing_the_analysis_leaves_the_build_unloaded():
    # every helpers module imported in a fresh process (tests/_import_probe.py)
    row = import_probe.loaded()[import_probe.ANALYSIS_JOB]
    assert len(row["helpers_files"]) > 20  # the import really ran
    assert row["reportbuild"] == []
