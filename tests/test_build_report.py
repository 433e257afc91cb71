"""The build on a small fixture book (tests/fixtures/notebooks): rendering, numbering,
cross-references, self-contained HTML, the Typst PDF, incrementality, determinism.

The fixture book is executed once per module (three tiny notebooks, a few seconds)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reportbuild import render
from reportbuild.cli import Options

from _build_run import run_build
from reportbuild.project import read_project

FIXTURE = Path(__file__).parent / "fixtures" / "notebooks"


def _quiet(_msg):
    pass


@pytest.fixture(scope="module")
def book(tmp_path_factory, shared_preload):
    """A copy of the fixture book, built once (synthetic mode: notebooks next to sources)."""
    root = tmp_path_factory.mktemp("book")
    shutil.copytree(FIXTURE, root, dirs_exist_ok=True)
    outcome, log = run_build(Options(project=root / "_quarto.yml", validate=False, renderer="pandoc"))
    return {"root": root, "out": root / "_output", "log": log, "outcome": outcome}


@pytest.fixture(scope="module")
def html(book):
    return (book["out"] / "report.html").read_text(encoding="utf-8")


def test_outputs_exist(book):
    out = book["out"]
    assert (out / "report.html").stat().st_size > 10_000
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    for name in ("index", "01_demo", "02_more"):
        assert (book["root"] / f"{name}.ipynb").exists()
    assert book["outcome"].executed == ["index", "01_demo", "02_more"]
    assert book["outcome"].rendered


def test_kernel_is_this_environment_and_side_outputs_are_moved(book):
    # 01_demo writes sys.prefix into output_dir/kernel.txt: staged, then moved into OUT
    assert (book["out"] / "kernel.txt").read_text() == sys.prefix
    assert not list((book["out"] / ".build").glob("staging*"))


def test_figures_and_tables_numbered_per_chapter(html):
    for text in ("Figure\u00a01.1:", "Table\u00a01.1:", "Table\u00a01.2:", "Figure\u00a02.1:", "Table\u00a02.1:"):
        assert text in html
    assert 'id="fig-bars"' in html and 'id="tbl-counts"' in html and 'id="tbl-props"' in html


def test_cross_references_resolved(html):
    assert '<a href="#fig-bars">Figure\u00a01.1</a>' in html
    assert '<a href="#tbl-odds">Table\u00a01.2</a>' in html
    assert '<a href="#sec-demo">Chapter\u00a01</a>' in html
    assert '<a href="#sec-counts">Section\u00a01.1</a>' in html
    assert '<a href="#fig-bars">1.1</a>' in html  # [-@fig-bars]
    assert "??" not in html and "?@" not in html


def test_citations_and_references(html):
    assert "Fancourt and Bu" in html and "2026" in html
    assert 'id="refs"' in html and "probable inference" in html.lower()


def test_code_hidden_unless_echo_and_stderr_dropped(html):
    assert "import matplotlib" not in html and "counts = pd.DataFrame" not in html
    assert "total" in html and "cell-code" in html  # the one `#| echo: true` cell
    assert "a line on stdout" in html
    assert "a warning on stderr" not in html
    assert "data_file = None" not in html  # parameters cells never shown


def test_markdown_outputs_and_tables(html):
    assert "<strong>100</strong> respondents" in html
    assert "Aware of the standard" in html and "gt_table" in html
    # great_tables' random ids replaced by stable ones
    assert re.search(r'id="gt-01_demo-\d+"', html)


def test_chapters_numbered_front_page_not(html):
    assert re.search(r'<h1[^>]*><span class="header-section-number">1</span> Demonstration</h1>', html)
    assert re.search(r'<h1 class="unnumbered"[^>]*>About this book</h1>', html)


def test_html_self_contained(html):
    assert not re.search(r'<(script|img|link|iframe)[^>]+(src|href)="https?://', html)
    assert not re.search(r'url\(["\']?https?://', html)
    assert "<img" in html and 'src="data:image/png;base64,' in html
    assert "mathjax" not in html.lower()
    assert '<link rel="stylesheet"' not in html  # CSS embedded


def test_no_absolute_paths(book, html):
    root = str(book["root"])
    assert root not in html
    for nb in book["root"].glob("*.ipynb"):
        text = nb.read_text()
        assert root not in text, nb.name
        assert "papermill" not in text and '"execution"' not in text


def test_synthetic_notice(html, book):
    assert "SYNTHETIC DATA" in html
    typ = (book["out"] / ".build" / "render" / "book.typ").read_text()
    assert "#let synthetic = true" in typ


def test_pdf_is_typst_with_real_tables(book):
    typ = (book["out"] / ".build" / "render" / "book.typ").read_text()
    assert "#table(" in typ and "Aware of the standard" in typ and "Wald 95% confidence intervals." in typ
    assert "<tbl-odds>" in typ and "<fig-bars>" in typ
    assert "#link(<fig-bars>)[Figure~1.1]" in typ
    pdf = book["out"] / "report.pdf"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        for s in ("Table 1.2:", "Aware of the standard", "2.93 to 12.43", "Figure 2.1: A line", "References"):
            assert s in text


def test_executed_notebook_records_requested_parameters(book):
    nb = json.loads((book["root"] / "01_demo.ipynb").read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    src = "".join(injected[0]["source"])
    assert "output_dir = None" in src and "data_file = None" in src and "seed = 2025" in src
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_second_build_does_nothing(book):
    out = book["out"]
    before = {p: p.stat().st_mtime_ns for p in [out / "report.html", out / "report.pdf", *book["root"].glob("*.ipynb")]}
    outcome, log = run_build(Options(project=book["root"] / "_quarto.yml", validate=False, renderer="pandoc"))
    assert outcome.executed == [] and not outcome.rendered
    assert "nothing to do" in log[-1]
    assert before == {p: p.stat().st_mtime_ns for p in before}


def test_render_deterministic(book, tmp_path):
    """A second rendering of the same notebooks, in another folder: the same bytes as the
    build's own rendering (one rendering here; the build's is the other)."""
    project = read_project(book["root"] / "_quarto.yml")
    executed = {c.name: c.path for c in project.notebooks}
    a = render.render_pandoc(project, executed, tmp_path / "a", synthetic=True)
    assert sorted(f.name for f in a.files) == ["report.html", "report.pdf"]
    for fa in a.files:
        assert fa.read_bytes() == (book["out"] / fa.name).read_bytes(), fa.name


def test_render_from_a_previous_render_gives_the_same_bytes(book, tmp_path):
    """A render given the previous one (its table cache, its outputs) makes the same bytes as a
    render from nothing; and each is really used: a table cache entry and an output altered on
    purpose show in the next render (the table only when the inputs changed, the output only
    when they did not)."""
    project = read_project(book["root"] / "_quarto.yml")
    executed = {c.name: c.path for c in project.notebooks}
    first = render.render_pandoc(project, executed, tmp_path / "a", synthetic=True, previous=tmp_path / "none")
    second = render.render_pandoc(project, executed, tmp_path / "b", synthetic=True, previous=tmp_path / "a")
    assert not first.reused and second.reused
    for b, c in zip(first.files, second.files):  # the build rendered from nothing
        assert (book["out"] / b.name).read_bytes() == b.read_bytes() == c.read_bytes(), b.name
    entries = sorted((tmp_path / "a" / render.TABLE_CACHE).glob("*.json"))
    assert entries and [p.name for p in entries] == sorted(
        p.name for p in (tmp_path / "b" / render.TABLE_CACHE).glob("*")
    )
    # changed inputs (no synthetic notice): rendered again, with the tables from the cache
    for entry in entries:
        entry.write_text(entry.read_text().replace('"12.43"', '"cached-entry"'))
    third = render.render_pandoc(project, executed, tmp_path / "c", synthetic=False, previous=tmp_path / "a")
    assert not third.reused
    typ = (tmp_path / "c" / "book.typ").read_text()
    assert "2.93 to cached-entry" in typ and "12.43" not in typ
    # the same inputs as the previous render: its outputs
    (tmp_path / "a" / "report.html").write_text("<p>kept from the last render</p>")
    fourth = render.render_pandoc(project, executed, tmp_path / "d", synthetic=True, previous=tmp_path / "a")
    assert fourth.reused and (tmp_path / "d" / "report.html").read_text() == "<p>kept from the last render</p>"


def test_render_without_synthetic_notice(book, tmp_path):
    project = read_project(book["root"] / "_quarto.yml")
    executed = {c.name: c.path for c in project.notebooks}
    result = render.render_pandoc(project, executed, tmp_path, synthetic=False, formats=("html",))
    text = result.files[0].read_text()
    assert "SYNTHETIC DATA" not in text


def test_changed_bibliography_rerenders_only(book):
    root = book["root"]
    bib = root / "references.bib"
    bib.write_text(bib.read_text() + "\n% a comment\n")
    outcome, _ = run_build(Options(project=root / "_quarto.yml", validate=False, renderer="pandoc"))
    assert outcome.executed == [] and outcome.rendered


def test_changed_source_reexecutes_only_that_notebook(book):
    root = book["root"]
    src = root / "02_more.py"
    src.write_text(src.read_text().replace("# Back to @sec-demo", "# Once more, back to @sec-demo"))
    outcome, _ = run_build(Options(project=root / "_quarto.yml", validate=False, renderer="pandoc"))
    assert outcome.executed == ["02_more"] and outcome.rendered
    assert "Once more, back to" in (book["out"] / "report.html").read_text()


def test_quarto_used_when_on_path(book, tmp_path, monkeypatch):
    """With `quarto` on PATH the build calls `quarto render` on a copy of the project holding
    the executed notebooks (a stand-in quarto records its arguments and writes outputs)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "quarto"
    fake.write_text(
        "#!/bin/sh\n"
        'echo "$@" > "$(dirname "$0")/args.txt"\n'
        'while [ $# -gt 0 ]; do [ "$1" = --output-dir ] && out="$2"; shift; done\n'
        'mkdir -p "$out" && echo "<html></html>" > "$out/index.html" && printf "%%PDF-1.7" > "$out/report.pdf"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    project = read_project(book["root"] / "_quarto.yml")
    executed = {c.name: c.path for c in project.notebooks}
    assert render.renderer_name() == "quarto"
    result = render.render(project, executed, tmp_path / "work", synthetic=True)
    assert result.renderer == "quarto"
    assert sorted(p.name for p in result.files) == ["index.html", "report.pdf"]
    args = (bin_dir / "args.txt").read_text()
    assert args.startswith("render ") and "--output-dir" in args
    assert "--metadata synthetic:true" in args
    render.render(project, executed, tmp_path / "work", synthetic=False)
    assert "--metadata synthetic:false" in (bin_dir / "args.txt").read_text()  # a survey file: no notice
    copied = tmp_path / "work" / "project"
    assert (copied / "_quarto.yml").exists() and (copied / "01_demo.ipynb").exists()


def test_notice_text_comes_from_the_project(book, tmp_path):
    """Both renderers read `synthetic-notice` from _quarto.yml (the fallback has a default)."""
    text = (book["root"] / "_quarto.yml").read_text() + '\nsynthetic-notice: "Invented  people only."\n'
    (tmp_path / "_quarto.yml").write_text(text)
    project = read_project(tmp_path / "_quarto.yml")
    assert project.notice == "Invented people only."
    assert render.metadata(project, {}, True)["synthetic-notice"] == "Invented people only."
    assert (
        render.metadata(read_project(book["root"] / "_quarto.yml"), {}, True)["synthetic-notice"]
        == render.SYNTHETIC_NOTICE
    )
