"""The PDF as a reader gets it: findings on the first pages, clean copied text, no mostly-empty
pages inside a chapter, every figure with a text alternative in the structure tree (PDF/UA-1).

Renders the committed executed notebooks with the built-in renderer (about ten seconds)."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from helpers.analysis import analyses, models
from helpers.present import report
from helpers.review import scorecard
from reportbuild.project import read_project
from helpers import paths

import _readers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    return _readers.render_report(tmp_path_factory.mktemp("readers-pdf"))["pdf"]


@pytest.fixture(scope="module")
def title():
    return read_project(paths.QUARTO_PROJECT).title


def test_no_zero_width_characters(pdf):
    assert _readers.invisible_characters(pdf) == []


def test_findings_in_numbers_on_pages_1_to_3(pdf):
    first = " ".join(" ".join(_readers.page_texts(pdf)[:3]).split())
    df = report.load(None)
    scored = scorecard.score(scorecard.load_claims(), scorecard.reproduce_claims(df))
    counts = scorecard.status_counts(scored)
    assert f"{counts['reproduced']} of the {len(scored)} figures" in first
    rows = models.exposure_rows(analyses.fit_associations(df, kind="logistic"))
    for r in rows[rows["model"] == "Model 3"].itertuples():
        assert f"OR {r.odds_ratio:.2f} (95% CI {r.conf_low:.2f} to {r.conf_high:.2f})" in first
    assert "true by construction" in first  # what agreement means, and the caveat


def test_no_mostly_empty_page_inside_a_chapter(pdf, title):
    assert [(p.number, round(p.filled, 2)) for p in _readers.mostly_empty_pages(pdf, title)] == []


def test_every_figure_has_alt_text_in_the_structure_tree(pdf):
    alts = _readers.figure_alt_texts(pdf)
    figures = sum(
        1
        for _ in (paths.ROOT / "notebooks").glob("*.pct.py")
        for line in _.read_text().splitlines()
        if line.startswith("#| label: fig-")
    )
    assert len(alts) == figures and all(len(a.split()) >= 8 for a in alts)
    metadata = PdfReader(pdf).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfuaid:part" in metadata  # PDF/UA-1 identification written by Typst


# ---- each check fails on a document that has the fault ---------------------------------------


def test_checks_fail_on_bad_pdfs(tmp_path):
    zw = _readers.typst_pdf(
        '#set page(width: 10cm, height: 10cm)\n#"patient_\u200boutcome_\u200bfreq"', tmp_path / "zw.pdf"
    )
    assert [c for _, c, _ in _readers.invisible_characters(zw)] == ["U+200B", "U+200B"]
    assert _readers.invisible_characters(_readers.typst_pdf("#set page(width: 10cm)\nplain", tmp_path / "ok.pdf")) == []

    image = tmp_path / "dot.svg"
    image.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>'
    )
    no_alt = _readers.typst_pdf(
        '#figure(image("dot.svg"), caption: [A dot])', tmp_path / "noalt.pdf", root=str(tmp_path)
    )
    assert _readers.figure_alt_texts(no_alt) == [""]
    alt = _readers.typst_pdf(
        '#figure(image("dot.svg", alt: "One black dot"), caption: [A dot])', tmp_path / "alt.pdf", root=str(tmp_path)
    )
    assert _readers.figure_alt_texts(alt) == ["One black dot"]

    # a chapter whose second page holds one line before a page break, then a full page (the
    # chapter's last page, before CHAPTER 2, may be short)
    filler = " ".join(["word"] * 700)
    book = (
        f'#set page(paper: "a4", margin: (x: 2.3cm, top: 2.7cm, bottom: 2.4cm))\nCHAPTER 1\n\n{filler}\n\n'
        f"#pagebreak()\nOne short line.\n#pagebreak()\n{filler}\n\n#pagebreak()\nCHAPTER 2\n\nEnd."
    )
    assert [p.number for p in _readers.mostly_empty_pages(_readers.typst_pdf(book, tmp_path / "gap.pdf"))] == [2]
