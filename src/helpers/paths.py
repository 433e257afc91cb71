"""Every path the project uses, resolved from the repository root (one place, no '../data')."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DATA = ROOT / "data"
CODEBOOK = DATA / "codebook.yaml"
PUBLISHED = DATA / "published"
PAPER_FIGURES = PUBLISHED / "paper-2025-abstract.yaml"
SURVEY_2023_FIGURES = PUBLISHED / "survey-2023.yaml"
TARGETS = PUBLISHED / "targets.yaml"
# The analysis specification (open choices); read by helpers.analysis.spec only, never by the generator.
ANALYSIS_SPEC = DATA / "analysis_spec.yaml"
SYNTHETIC = DATA / "synthetic"
SYNTHETIC_DATA = SYNTHETIC / "survey_2025_synthetic.csv"
SYNTHETIC_MANIFEST = SYNTHETIC / "manifest.yaml"
REAL = DATA / "real"

NOTEBOOKS = ROOT / "notebooks"
# The book's home page (the preface): Quarto wants it as index.* at the project root.
# Jupytext sources are NAME.pct.py: Quarto skips a NAME.ipynb that has a NAME.py beside it.
INDEX = ROOT / "index.pct.py"
TESTS = ROOT / "tests"
QUARTO_PROJECT = ROOT / "_quarto.yml"
REFERENCES = ROOT / "references.bib"
# Every installed distribution, pinned with hashes (generated from requirements.txt by `make lock`).
LOCK = ROOT / "requirements.lock"
OUTPUT = ROOT / "_output"
# Default output folder of a build on any file other than the bundled synthetic one (git-ignored).
REAL_OUTPUT = ROOT / "_output_real"


def chapter_sources() -> list[Path]:
    """The Jupytext sources of the chapters: index.pct.py, then notebooks/*.pct.py."""
    return [INDEX, *sorted(NOTEBOOKS.glob("*.pct.py"))]


def executed_notebooks() -> list[Path]:
    """The committed executed notebooks (synthetic run): index.ipynb, then notebooks/*.ipynb."""
    return [ROOT / "index.ipynb", *sorted(NOTEBOOKS.glob("*.ipynb"))]
