"""Paired notebooks: index.pct.py and every notebooks/*.pct.py have an executed .ipynb with the same cells.

The .py (Jupytext percent) is the source; the .ipynb is what the build executed from it (plus
papermill's injected-parameters cell). If this fails, run `make report` (or open the .py in
JupyterLab with Jupytext, which keeps the pair in sync)."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

from helpers import paths
from reportbuild.project import read_project

SOURCES = paths.chapter_sources()


def _cells(nb):
    return [
        (c.cell_type, c.source) for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])
    ]


@pytest.mark.parametrize("source", SOURCES, ids=[s.name.split(".")[0] for s in SOURCES])
def test_ipynb_matches_its_py(source: Path):
    ipynb = source.parent / (source.name.split(".")[0] + ".ipynb")
    assert ipynb.exists(), f"{ipynb.name} missing: run `make report`"
    executed = nbformat.read(ipynb, as_version=4)
    assert _cells(executed) == _cells(jupytext.read(source)), f"{ipynb.name} is stale: run `make report`"
    assert executed.metadata.get("kernelspec", {}).get("name") == "python3"


def test_every_chapter_has_a_source():
    project = read_project(paths.QUARTO_PROJECT)
    for chapter in project.chapters:
        assert chapter.source is not None, f"{chapter.listed}: no Jupytext .py next to it"
    assert project.chapters[0].name == "index"


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_saving_from_jupyterlab_changes_nothing(source: Path):
    # JupyterLab (Jupytext) saves the .py from the notebook it opened: the text must come back
    # byte for byte, with no jupytext version written into the header, and the kernelspec
    # must be the one `make lab` registers (display name "Python 3"), or Lab marks it modified.
    text = source.read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="py:percent")
    assert jupytext.writes(notebook, fmt="py:percent") == text
    assert notebook.metadata["kernelspec"]["display_name"] == "Python 3"
    assert "jupytext_version:" not in jupytext.writes(notebook, fmt="py:percent")


def test_the_lab_kernelspec_has_the_notebooks_display_name():
    makefile = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
    assert '--name python3 --display-name "Python 3"' in makefile
    # A kernel started on opening writes language_info.version: the notebook turns modified.
    assert "--LabApp.notebook_starts_kernel=False" in makefile


def test_home_page_is_at_the_project_root():
    """Quarto refuses a book whose first chapter is not index.* at the root of the project."""
    project = read_project(paths.QUARTO_PROJECT)
    assert project.chapters[0].listed in ("index.ipynb", "index.qmd", "index.md")
    assert {c.source for c in project.notebooks} == set(paths.chapter_sources())


def test_no_chapter_has_a_source_quarto_would_take_instead():
    """Quarto skips NAME.ipynb when NAME.py (or .qmd, .jl, .r) is beside it: it takes that file as
    the source and the notebook as its intermediate. The sources are NAME.pct.py."""
    for chapter in read_project(paths.QUARTO_PROJECT).chapters:
        clashes = [chapter.path.with_suffix(s) for s in (".py", ".qmd", ".jl", ".r", ".R")]
        assert not [p.name for p in clashes if p.exists()], chapter.listed
