"""What the reader-facing tests check, as functions of a PDF or a page (each shown failing on a
small bad document in the tests), and the report they check: the committed executed notebooks
rendered by the built-in renderer (pandoc + Typst), about ten seconds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

# zero-width space, non-joiner, joiner, word joiner, byte-order mark, soft hyphen
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
CHAPTER_START = re.compile(r"^CHAPTER \d+$", re.M)
# A4 with report.typ's margins (pt): the text area between the running header and the footer
PAGE_TOP_MARGIN, PAGE_BOTTOM_MARGIN = 2.7 * 72 / 2.54, 2.4 * 72 / 2.54


def render_report(dest: Path) -> dict[str, Path]:
    from helpers import paths
    from reportbuild import render
    from reportbuild.project import read_project

    result = render.render_pandoc(read_project(paths.QUARTO_PROJECT), {}, dest, synthetic=True)
    return {p.suffix.lstrip("."): p for p in result.files}


def page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def invisible_characters(pdf: Path) -> list[tuple[int, str, str]]:
    """(page, character code, the word it sits in) for every zero-width character of the text."""
    found = []
    for number, text in enumerate(page_texts(pdf), start=1):
        for m in INVISIBLE.finditer(text):
            word = re.search(r"\S*\Z", text[: m.start()]).group() + re.match(r"\S*", text[m.end() :]).group()
            found.append((number, f"U+{ord(m.group()):04X}", word))
    return found


@dataclass
class Page:
    number: int
    filled: float  # share of the text area above the lowest line of text (0 = empty, 1 = full)
    opens_chapter: bool


def page_fill(pdf: Path, title: str = "") -> list[Page]:
    """How far down each page the text reaches. Figures are vector drawings whose caption sits
    below them, so a page holding a figure counts as filled down to its caption. A page opens a
    chapter (or the references) when it says CHAPTER n, or when its running header is the
    report's `title` (report.typ prints the chapter's name instead on the pages that follow)."""
    pages = []
    for number, page in enumerate(PdfReader(pdf).pages, start=1):
        height = float(page.mediabox.height)
        top, bottom = height - PAGE_TOP_MARGIN, PAGE_BOTTOM_MARGIN
        ys = []

        def visit(text, cm, tm, font, size):
            y = tm[5] * cm[3] + cm[5]
            if text.strip() and bottom + 4 < y < top:
                ys.append(y)

        text = page.extract_text(visitor_text=visit) or ""
        lowest = min(ys) if ys else top
        opens = bool(CHAPTER_START.search(text)) or bool(title and text.lstrip().startswith(title))
        pages.append(Page(number, (top - lowest) / (top - bottom), opens))
    return pages


def mostly_empty_pages(pdf: Path, title: str = "", limit: float = 1 / 3) -> list[Page]:
    """Pages inside a chapter filled less than `limit`: not the title page, not the last page of
    a chapter (the next page opens one) and not the last page of the book."""
    pages = page_fill(pdf, title)
    texts = page_texts(pdf)
    inside = False
    bad = []
    for page, following in zip(pages, pages[1:]):
        inside = inside or bool(CHAPTER_START.search(texts[page.number - 1]))
        if inside and not following.opens_chapter and page.filled < limit:
            bad.append(page)
    return bad


def figure_alt_texts(pdf: Path) -> list[str]:
    """The /Alt of every /Figure element of the PDF's structure tree ('' when absent).

    Read with pypdf's object model (pikepdf would do the same, but it brings lxml, which changes
    the bytes openpyxl writes and so the committed test corpus)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    alts: list[str] = []
    root = PdfReader(pdf).trailer["/Root"].get("/StructTreeRoot")
    if root is None:
        return alts

    def walk(node):
        if isinstance(node, IndirectObject):
            node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)
        elif isinstance(node, DictionaryObject) and node.get("/Type") != "/MCR":
            if node.get("/S") == "/Figure":
                alts.append(str(node.get("/Alt", "")))
            if "/K" in node:
                walk(node["/K"])

    walk(root.get_object().get("/K"))
    return alts


def typst_pdf(source: str, dest: Path, **options) -> Path:
    """A small PDF from Typst source (for showing a check fail)."""
    import typst

    dest.write_bytes(typst.compile(source.encode(), **options))
    return dest
