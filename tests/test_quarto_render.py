"""`quarto render` of the committed notebooks, and its parity with the built-in renderer.

Skipped when no `quarto` is on PATH (Quarto cannot be installed from the registries here; see
README "Rendering with Quarto"). Slow (two renders, about a minute): run them with

    PATH=/path/to/quarto/bin:$PATH make test-quarto

The PDF checks need `pdftotext` (poppler-utils).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from helpers import paths
from reportbuild import render
from reportbuild.project import read_project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto not on PATH"),
]
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext not on PATH")

# Lines of Quarto's stderr that are not about the project: the local source build of Quarto
# (tools/quarto-local) has no typst-gather binary and says so on every Typst render.
TOOLCHAIN_NOTES = ("typst-gather",)


def project_warnings(stderr: str) -> list[str]:
    return [l for l in stderr.splitlines() if render.quarto_warning(l) and not any(n in l for n in TOOLCHAIN_NOTES)]


def quarto_render(project, dest: Path, *args: str) -> subprocess.CompletedProcess:
    """`quarto render` in a copy of the checkout's book: _quarto.yml, its support files, the
    executed notebooks and, as in a clone, their Jupytext sources next to them."""
    root = render.copy_project(project, {}, dest)
    for chapter in project.notebooks:
        shutil.copyfile(chapter.source, root / chapter.source.relative_to(project.root))
    return subprocess.run(
        ["quarto", "render", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "QUARTO_PYTHON": sys.executable},
    )


@pytest.fixture(scope="module")
def project():
    return read_project(paths.QUARTO_PROJECT)


@pytest.fixture(scope="module")
def quarto_book(project, tmp_path_factory):
    """Plain `quarto render` in a copy of the project, as a reader with Quarto would run it."""
    dest = tmp_path_factory.mktemp("quarto") / "project"
    result = quarto_render(project, dest)
    return {"result": result, "out": dest / "_output"}


@pytest.fixture(scope="module")
def builtin_book(project, tmp_path_factory):
    work = tmp_path_factory.mktemp("builtin")
    rendered = render.render_pandoc(project, {}, work, synthetic=True)
    return {"out": work, "warnings": rendered.warnings}


def pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if "site_libs" not in p.parts)


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


# ------------------------------------------------------------------------------ Quarto alone


def test_quarto_render_succeeds_without_project_warnings(quarto_book):
    result = quarto_book["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert project_warnings(result.stderr) == []
    out = quarto_book["out"]
    assert (out / "index.html").exists() and (out / "report.pdf").read_bytes().startswith(b"%PDF")


def test_warning_filter_sees_quarto_and_typst_warnings():
    stderr = (
        "[1/9] index.ipynb\n(W) (  47 times) invalid font weight initial\n"
        "warning: unknown font family: sans-serif\nWARN: typst-gather analyze failed\n"
    )
    assert project_warnings(stderr) == [
        "(W) (  47 times) invalid font weight initial",
        "warning: unknown font family: sans-serif",
    ]


def test_notice_on_every_html_page(quarto_book, project):
    found = pages(quarto_book["out"])
    assert len(found) == len(project.chapters)
    for page in found:
        banner = soup(page).select(".synthetic-banner")
        assert len(banner) == 1, page.name
        shown = " ".join(banner[0].get_text(" ").split()).replace("\u2019", "'")
        assert shown == f"SYNTHETIC DATA {project.notice}"


@needs_pdftotext
def test_notice_on_every_pdf_page(quarto_book):
    texts = pdf_pages(quarto_book["out"] / "report.pdf")
    assert len(texts) > 30
    missing = [i + 1 for i, t in enumerate(texts) if "SYNTHETIC DATA" not in t]
    assert missing == []


def test_html_is_offline(quarto_book):
    remote = re.compile(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(?:https?:)?//', re.I)
    for page in pages(quarto_book["out"]):
        assert not remote.search(page.read_text(encoding="utf-8")), page.name


def test_no_unresolved_reference(quarto_book):
    for page in pages(quarto_book["out"]):
        html = page.read_text(encoding="utf-8")
        assert "quarto-unresolved-ref" not in html and "?@" not in html, page.name
        text = soup(page).get_text(" ")
        assert not re.search(r"\b(?:Figure|Table|Section|Chapter)\s+(?:fig|tbl|sec)-", text), page.name


@needs_pdftotext
def test_no_unresolved_reference_in_pdf(quarto_book):
    text = "\n".join(pdf_pages(quarto_book["out"] / "report.pdf"))
    assert "?@" not in text and not re.search(r"\b(?:fig|tbl|sec)-[a-z]", text)


@needs_pdftotext
def test_citations_are_author_date(quarto_book):
    html = soup(quarto_book["out"] / "index.html").get_text(" ")
    pdf = " ".join(" ".join(pdf_pages(quarto_book["out"] / "report.pdf")).split())
    for text in (html, pdf):
        assert re.search(r"\(\s*Fancourt and Bu\s+2026\s*\)", text)
        assert not re.search(r"\[\d+\]", text)


def chapter_titles_html(out: Path) -> list[tuple[str | None, str]]:
    """(number, title) of each chapter page, in book order (from the sidebar of the home page)."""
    rows = []
    for a in soup(out / "index.html").select("#quarto-sidebar .sidebar-item-text"):
        number = a.select_one(".chapter-number")
        title = a.select_one(".chapter-title")
        rows.append((number.get_text() if number else None, " ".join((title or a).get_text(" ").split())))
    return rows


def test_preface_unnumbered_and_chapters_numbered_from_one(quarto_book, project):
    rows = chapter_titles_html(quarto_book["out"])
    assert rows[0] == (None, "Preface")
    assert [n for n, _ in rows[1:]] == [str(i) for i in range(1, len(project.chapters))]
    page = soup(quarto_book["out"] / "notebooks" / "01_data.html")
    assert page.select_one("h1.title .chapter-number").get_text() == "1"


@pytest.mark.parametrize("synthetic", [True, False])
def test_notice_follows_the_synthetic_metadata(tmp_path, synthetic):
    """The filter shows the notice only for `synthetic: true` (the build passes false for a
    survey file): a one-page document, both formats."""
    shutil.copytree(paths.ROOT / "_quarto", tmp_path / "_quarto")
    (tmp_path / "_quarto.yml").write_text(
        "synthetic-notice: Invented people only.\nfilters: [_quarto/synthetic-notice.lua]\n"
        "format:\n  html: {}\n  typst: {}\n"
    )
    (tmp_path / "page.qmd").write_text("# A page\n\nText.\n\n{{< pagebreak >}}\n\nMore text.\n")
    result = subprocess.run(
        ["quarto", "render", "page.qmd", "--metadata", f"synthetic:{str(synthetic).lower()}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    banner = soup(tmp_path / "page.html").select(".synthetic-banner")
    assert [b.get_text(" ", strip=True) for b in banner] == (
        ["SYNTHETIC DATA Invented people only."] if synthetic else []
    )
    if shutil.which("pdftotext"):
        texts = pdf_pages(tmp_path / "page.pdf")
        assert len(texts) == 2
        assert [("SYNTHETIC DATA" in t) for t in texts] == [synthetic, synthetic]


# ------------------------------------------------------------------------------ parity


NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _clean(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u2060", "").split())


def builtin_chapters(html: Path) -> dict[str, dict]:
    """Per chapter of the built-in renderer's single HTML file: title, captions, prose numbers."""
    doc = soup(html)
    main = doc.select_one("main")
    chapters: dict[str, dict] = {}
    for section in main.find_all("section", class_="level1", recursive=False):
        h1 = section.find("h1")
        number = h1.select_one(".header-section-number")
        title = _clean(h1.get_text(" ").removeprefix(number.get_text() if number else ""))
        if "refs" in [d.get("id") for d in section.find_all("div")]:
            continue  # the bibliography (Quarto shows it on each page instead)
        chapters[title] = _content(section, _clean(number.get_text()) if number else None)
    return chapters


def quarto_chapters(out: Path) -> dict[str, dict]:
    chapters = {}
    for page in pages(out):
        doc = soup(page)
        main = doc.select_one("main#quarto-document-content")
        h1 = main.select_one("header h1.title") if page.name != "index.html" else main.select_one("h1.unnumbered")
        number = h1.select_one(".chapter-number")
        title = _clean((h1.select_one(".chapter-title") or h1).get_text(" "))
        chapters[title] = _content(main, number.get_text() if number else None)
    return chapters


def _content(node, number: str | None) -> dict:
    """Captions, and every number of the text around them (paragraphs, lists, callouts, code
    output): the whole chapter minus its headings, tables, figures and navigation."""
    for drop in node.select(
        "#refs, #quarto-appendix, #title-block-header, .synthetic-banner, nav, "
        "script, style, .sidebar, .quarto-title-meta"
    ):
        drop.decompose()
    captions = [_clean(c.get_text(" ")) for c in node.select("figcaption, .report-table-caption")]
    for drop in node.select("h1, h2, h3, h4, h5, h6, table, figure, .report-table, .quarto-float"):
        drop.decompose()
    prose = _clean(node.get_text(" "))
    return {
        "number": number,
        "captions": [c for c in captions if c],
        "numbers": Counter(NUMBER.findall(prose)),
        "prose": prose,
    }


@pytest.fixture(scope="module")
def both(quarto_book, builtin_book):
    return quarto_chapters(quarto_book["out"]), builtin_chapters(builtin_book["out"] / "report.html")


def test_parity_chapters_and_numbering(both, project):
    quarto, builtin = both
    assert len(quarto) == len(project.chapters)
    assert {t: c["number"] for t, c in quarto.items()} == {t: c["number"] for t, c in builtin.items()}


def test_parity_captions(both):
    quarto, builtin = both
    for title in builtin:
        assert quarto[title]["captions"] == builtin[title]["captions"], title


def test_parity_every_number_in_the_prose(both):
    quarto, builtin = both
    for title in builtin:
        assert quarto[title]["numbers"] == builtin[title]["numbers"], title


def test_parity_check_sees_a_changed_number(both):
    quarto, builtin = both
    title = next(t for t, c in builtin.items() if c["numbers"])
    changed = Counter(builtin[title]["numbers"])
    changed[next(iter(changed))] -= 1
    changed["99999"] += 1
    assert quarto[title]["numbers"] != changed


def test_builtin_renderer_has_no_warnings(builtin_book):
    assert builtin_book["warnings"] == []


def test_parity_prose_text(both):
    """Beyond the numbers: the text around tables and figures is the same, word for word."""
    quarto, builtin = both
    for title in builtin:
        assert quarto[title]["prose"] == builtin[title]["prose"], title


@needs_pdftotext
def test_parity_pdf_captions_and_chapter_titles(quarto_book, builtin_book, both):
    quarto_pdf = "\n".join(pdf_pages(quarto_book["out"] / "report.pdf"))
    builtin_pdf = "\n".join(pdf_pages(builtin_book["out"] / "report.pdf"))
    labels = re.compile(r"^\s*((?:Figure|Table) \d+\.\d+):", re.M)
    # the same figures and tables in the same order; the built-in PDF floats a tall figure past a
    # table when it does not fit on the page (report.lua), so figures and tables are compared apart
    for kind in ("Figure", "Table"):
        assert [l for l in labels.findall(quarto_pdf) if l.startswith(kind)] == [
            l for l in labels.findall(builtin_pdf) if l.startswith(kind)
        ], kind
    assert len(labels.findall(quarto_pdf)) == sum(len(c["captions"]) for c in both[1].values())
    flat = [" ".join(t.split()) for t in (quarto_pdf, builtin_pdf)]
    for title in both[1]:
        assert all(title in text for text in flat), title
