"""Read the Quarto book project (``_quarto.yml``): the one description both renderers use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helpers import yamlfile


@dataclass(frozen=True)
class Chapter:
    listed: str  # the path as written in _quarto.yml, e.g. "notebooks/01_data.ipynb"
    path: Path  # absolute path of the listed file (the executed notebook, or a .qmd/.md)
    source: Path | None  # the Jupytext percent source next to it (NAME.pct.py, or NAME.py), if any
    index: int  # position in the book, 0 = first (the front page)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def is_notebook(self) -> bool:
        return self.path.suffix == ".ipynb"


@dataclass
class Project:
    file: Path
    root: Path
    title: str
    subtitle: str | None
    authors: list[str]
    chapters: list[Chapter]
    bibliography: list[Path]
    csl: Path | None
    output_dir: Path
    output_file: str
    lang: str
    notice: str | None = None  # `synthetic-notice`: shown on every page of a synthetic-data build
    execute: dict = field(default_factory=dict)
    html: dict = field(default_factory=dict)
    typst: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)

    def chapter(self, name: str) -> Chapter:
        for c in self.chapters:
            if c.name == name:
                return c
        raise KeyError(name)

    def support_files(self) -> list[Path]:
        """Files Quarto reads besides the chapters: bibliography, CSL, filters, project scripts."""
        named = [*self.bibliography, *([self.csl] if self.csl else [])]
        listed = _as_list(self.config.get("filters"))
        for fmt in (self.html, self.typst):
            listed += _as_list(fmt.get("filters")) + _as_list(fmt.get("template-partials"))
        for hook in ("pre-render", "post-render"):
            listed += _as_list((self.config.get("project") or {}).get(hook))
        for entry in listed:
            path = entry.get("path") if isinstance(entry, dict) else entry
            if isinstance(path, str) and (self.root / path.split()[0]).is_file():
                named.append((self.root / path.split()[0]).resolve())
        return list(dict.fromkeys(named))

    @property
    def notebooks(self) -> list[Chapter]:
        """Chapters executed by the build (a notebook with a Jupytext source)."""
        return [c for c in self.chapters if c.is_notebook and c.source is not None]


def _flatten(entries) -> list[str]:
    out: list[str] = []
    for e in entries or []:
        if isinstance(e, str):
            out.append(e)
        elif isinstance(e, dict):  # "- part: ...\n  chapters: [...]" or "- href: x.qmd"
            if "href" in e:
                out.append(e["href"])
            if isinstance(e.get("part"), str) and e["part"].endswith((".qmd", ".md", ".ipynb")):
                out.append(e["part"])
            out.extend(_flatten(e.get("chapters")))
    return out


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _author_name(a) -> str:
    if isinstance(a, dict):
        return str(a.get("name", ""))
    return str(a)


def _format(config: dict, name: str) -> dict:
    fmt = (config.get("format") or {}).get(name)
    return dict(fmt) if isinstance(fmt, dict) else {}


def jupytext_source(notebook: Path) -> Path | None:
    """The percent source paired with an executed notebook: NAME.pct.py (what Quarto needs: a
    NAME.py or NAME.qmd beside NAME.ipynb makes Quarto take the .ipynb as an intermediate file
    and skip it), else NAME.py."""
    if notebook.suffix != ".ipynb":
        return None
    for candidate in (notebook.with_suffix(".pct.py"), notebook.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def read_project(file: Path) -> Project:
    """Parse a Quarto book project file. Only what the build needs is read; Quarto reads the rest."""
    file = Path(file).resolve()
    root = file.parent
    config = yamlfile.safe_load(file.read_text()) or {}
    book = config.get("book") or {}
    if (config.get("project") or {}).get("type") != "book":
        raise ValueError(f"{file.name}: project type must be 'book'")
    listed = _flatten(book.get("chapters")) + _flatten(book.get("appendices"))
    if not listed:
        raise ValueError(f"{file.name}: book.chapters is empty")
    chapters = []
    for i, rel in enumerate(listed):
        path = (root / rel).resolve()
        chapters.append(Chapter(rel, path, jupytext_source(path), i))
    names = [c.name for c in chapters]
    if len(set(names)) != len(names):
        raise ValueError(f"{file.name}: chapter file names must be unique: {names}")
    bib = [(root / b).resolve() for b in _as_list(config.get("bibliography") or book.get("bibliography"))]
    csl = config.get("csl")
    return Project(
        file=file,
        root=root,
        title=str(book.get("title") or config.get("title") or "Report"),
        subtitle=book.get("subtitle"),
        authors=[_author_name(a) for a in _as_list(book.get("author"))],
        chapters=chapters,
        bibliography=bib,
        csl=(root / csl).resolve() if csl else None,
        output_dir=(root / ((config.get("project") or {}).get("output-dir") or "_book")).resolve(),
        output_file=str(book.get("output-file") or "report"),
        lang=str(config.get("lang") or "en"),
        notice=" ".join(str(config["synthetic-notice"]).split()) if config.get("synthetic-notice") else None,
        execute=dict(config.get("execute") or {}),
        html=_format(config, "html"),
        typst=_format(config, "typst"),
        config=config,
    )
