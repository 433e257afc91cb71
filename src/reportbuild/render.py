"""Render the book described by ``_quarto.yml`` from executed notebooks.

With ``quarto`` on PATH: ``quarto render`` of a copy of the project holding the executed
notebooks. Without it (the usual case here): the same project rendered with pandoc + Typst.

The pandoc path turns each executed notebook into Pandoc Markdown the way Quarto reads a
notebook: cell options (``#| label``, ``fig-cap``, ``tbl-cap``, ``echo``, ``output``,
``include``), code hidden by default (``execute: echo: false``), markdown cells kept,
``text/markdown`` outputs as markdown, ``text/html`` outputs kept as HTML (and turned into real
tables for the PDF by ``report.lua``), images extracted, stderr dropped. Figures and tables are
numbered per chapter as in a Quarto book ("Figure 3.1"); ``@fig-x``, ``@tbl-x``, ``@sec-x`` become
links (``report.lua``); citations go through ``--citeproc``. One self-contained HTML file
(``--embed-resources``) and one PDF (pandoc -> Typst source -> ``typst.compile``).
Same inputs give the same bytes: no dates, no absolute paths, derived ids.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from helpers import yamlfile

from . import ASSETS
from .project import Chapter, Project

MIME_ORDER = ("text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/html", "text/latex", "text/plain")
IMAGE_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+\{([^{}]*)\})?[ \t]*$")
FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
PIPE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$", re.M)
KIND = {"fig": "Figure", "tbl": "Table", "sec": "Section"}
# Default notice of a synthetic-data build when _quarto.yml has no `synthetic-notice`.
SYNTHETIC_NOTICE = (
    "This report was built on the bundled synthetic survey (invented respondents), calibrated to the "
    "published figures. Agreement with the paper holds by construction; it checks the code, "
    "not the paper's findings."
)
ASSET_FILES = ("report.lua", "report.html", "report.css", "report.typ")
TABLE_CACHE = "table-cache"  # report.lua's tables converted for print, in the render folder


class RenderError(RuntimeError):
    pass


# --------------------------------------------------------------------------- cells


def cell_options(source: str) -> tuple[dict, str]:
    """Quarto `#|` options at the top of a code cell, and the code without them."""
    lines = source.splitlines()
    opts, i = [], 0
    while i < len(lines) and lines[i].startswith("#|"):
        opts.append(lines[i][2:].removeprefix(" "))
        i += 1
    if not opts:
        return {}, source
    try:
        parsed = yamlfile.safe_load("\n".join(opts)) or {}
    except yaml.YAMLError:
        parsed = {}
        for o in opts:
            k, _, v = o.partition(":")
            parsed[k.strip()] = v.strip().strip("\"'")
    return (parsed if isinstance(parsed, dict) else {}), "\n".join(lines[i:])


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _fence(body: str, char: str = "`") -> str:
    runs = [len(m) for m in re.findall(re.escape(char) + "{3,}", body)]
    return char * max([3] + [r + 1 for r in runs])


def _caption(text) -> str:
    return " ".join(str(text).split())


def _has_table(mime: str, text: str) -> bool:
    if mime == "text/html":
        return "<table" in text
    return mime == "text/markdown" and PIPE_RULE.search(text) is not None


def _attrs(raw: str | None) -> tuple[str, list[str], list[str]]:
    ident, classes, kv = "", [], []
    for tok in re.findall(r'[^\s"]+(?:="[^"]*")?|"[^"]*"', raw or ""):
        if tok.startswith("#"):
            ident = tok[1:]
        elif tok.startswith("."):
            classes.append(tok[1:])
        elif tok == "-":
            classes.append("unnumbered")
        else:
            kv.append(tok)
    return ident, classes, kv


def _attr_string(ident: str, classes: list[str], kv: list[str]) -> str:
    parts = ([f"#{ident}"] if ident else []) + [f".{c}" for c in classes] + kv
    return "{" + " ".join(parts) + "}" if parts else ""


# --------------------------------------------------------------------------- notebook -> markdown


@dataclass
class ChapterText:
    chapter: Chapter
    number: int | None  # None = unnumbered (the front page)
    markdown: str = ""
    labels: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)


class NotebookConverter:
    """One executed notebook -> Pandoc Markdown (+ extracted images), Quarto semantics."""

    def __init__(self, chapter: Chapter, number: int | None, media_dir: Path, defaults: dict):
        self.out = ChapterText(chapter, number)
        self.media_dir = media_dir
        self.defaults = {"echo": False, "warning": False, "output": True, "include": True, **defaults}
        self.counts = {"fig": 0, "tbl": 0}
        self.n_images = 0
        self.n_html = 0

    # numbering ----------------------------------------------------------------
    def _number(self, kind: str) -> str:
        self.counts[kind] += 1
        n = self.counts[kind]
        return f"{self.out.number}.{n}" if self.out.number is not None else str(n)

    def _label(self, label: str, kind: str) -> str:
        number = self._number(kind)
        if label in self.out.labels:
            self.out.warnings.append(f"duplicate label {label}")
        self.out.labels[label] = {"kind": KIND[kind], "number": number}
        return f"**{KIND[kind]}\u00a0{number}:**"

    # outputs ------------------------------------------------------------------
    def _image(self, data, mime: str) -> str:
        self.n_images += 1
        name = f"{self.out.chapter.name}-{self.n_images:02d}.{IMAGE_EXT[mime]}"
        path = self.media_dir / name
        if mime == "image/svg+xml":
            path.write_text(_text(data), encoding="utf-8")
        else:
            path.write_bytes(base64.b64decode(_text(data)))
        self.out.media.append(name)
        return f"media/{name}"

    def _html(self, html: str) -> str:
        """Make generated ids stable (great_tables and pandas Styler draw random ones)."""
        self.n_html += 1
        tag = f"{self.out.chapter.name}-{self.n_html}"
        m = re.match(r'\s*<div id="([A-Za-z0-9_-]+)"', html)
        if m and "gt_table" in html:
            html = re.sub(rf"\b{re.escape(m.group(1))}\b", f"gt-{tag}", html)
        for k, uid in enumerate(dict.fromkeys(re.findall(r"\bT_([0-9a-f]{5,})\b", html)), start=1):
            html = re.sub(rf"\bT_{uid}\b", f"T_{tag}-{k}", html)
        return html.strip()

    @staticmethod
    def _raw(fmt: str, body: str) -> str:
        f = _fence(body)
        return f"{f}{{={fmt}}}\n{body}\n{f}"

    @staticmethod
    def _code(body: str, classes: str) -> str:
        f = _fence(body)
        return f"{f}{{{classes}}}\n{body.rstrip()}\n{f}"

    def _pick(self, data: dict) -> str | None:
        for mime in MIME_ORDER:
            if mime in data:
                return mime
        return None

    def _outputs(self, cell, opts: dict) -> list[str]:
        label = str(opts.get("label") or "")
        kind = label.split("-", 1)[0] if "-" in label else ""
        fig_cap, tbl_cap = opts.get("fig-cap"), opts.get("tbl-cap")
        show_warnings = bool(opts.get("warning", self.defaults["warning"]))
        asis = opts.get("output") == "asis"
        blocks: list[str] = []
        stream: list[str] = []
        figure_done = table_done = False

        def flush():
            if stream:
                text = ANSI.sub("", "".join(stream))
                blocks.append(text.strip() if asis else self._code(text, ".cell-output .cell-output-stdout"))
                stream.clear()

        for o in cell.get("outputs", []):
            otype = o.get("output_type")
            if otype == "stream":
                if o.get("name") == "stdout" or show_warnings:
                    stream.append(_text(o.get("text")))
                continue
            flush()
            if otype == "error" or otype not in ("display_data", "execute_result"):
                continue
            data = o.get("data", {})
            mime = self._pick(data)
            if mime is None:
                continue
            body = _text(data[mime])
            if mime in IMAGE_EXT:
                src = self._image(data[mime], mime)
                width = opts.get("out-width")
                attrs = []
                if kind == "fig" and not figure_done:
                    attrs.append(f"#{label}")
                    caption = f"{self._label(label, 'fig')} {_caption(fig_cap or '')}".strip()
                    figure_done = True
                elif fig_cap and not figure_done:
                    caption, figure_done = _caption(fig_cap), True
                else:
                    caption = ""
                if width:
                    attrs.append(f"width={width}")
                alt_text = _caption((o.get("metadata", {}).get(mime) or {}).get("alt", ""))
                if alt_text:  # written from the data by the chapter (helpers.figures)
                    attrs.append('alt="' + alt_text.replace("\\", "\\\\").replace('"', '\\"') + '"')
                alt = f"{{{' '.join(attrs)}}}" if attrs else ""
                blocks.append(f"![{caption}]({src}){alt}")
            elif (kind == "tbl" or tbl_cap) and not table_done and _has_table(mime, body):
                table_done = True
                ident = f"#{label} " if kind == "tbl" else ""
                cap = (self._label(label, "tbl") + " " if kind == "tbl" else "") + _caption(tbl_cap or "")
                inner = self._raw("html", self._html(body)) if mime == "text/html" else body.strip()
                blocks.append(
                    f":::: {{{ident}.report-table}}\n::: {{.report-table-caption}}\n{cap.strip()}\n:::\n\n"
                    f"{inner}\n\n::::"
                )
            elif mime == "text/markdown":
                blocks.append(body.strip())
            elif mime == "text/html":
                blocks.append(f"::: {{.cell-output-html}}\n{self._raw('html', self._html(body))}\n:::")
            elif mime == "text/latex":
                blocks.append(self._raw("latex", body))
            else:  # text/plain
                blocks.append(self._code(ANSI.sub("", body), ".cell-output .cell-output-display"))
        flush()
        if kind == "fig" and not figure_done:
            self.out.warnings.append(f"{label}: the cell shows no image, so the figure has no number")
        if kind == "tbl" and not table_done:
            self.out.warnings.append(f"{label}: the cell shows no table, so the table has no number")
        return [b for b in blocks if b.strip()]

    # cells --------------------------------------------------------------------
    def convert(self, nb) -> ChapterText:
        parts: list[str] = []
        for cell in nb.cells:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if "remove-cell" in tags:
                continue
            if cell.cell_type == "markdown":
                parts.append(cell.source.strip())
                continue
            if cell.cell_type != "code":
                continue
            if tags & {"parameters", "injected-parameters"}:
                continue
            opts, code = cell_options(cell.source)
            if not opts.get("include", self.defaults["include"]):
                continue
            echo = opts.get("echo", self.defaults["echo"])
            if echo is True and "remove-input" not in tags and code.strip():
                parts.append(self._code(code, ".python .cell-code"))
            if opts.get("output", self.defaults["output"]) is not False and "remove-output" not in tags:
                parts.extend(self._outputs(cell, opts))
        self.out.markdown = self._headings("\n\n".join(p for p in parts if p))
        return self.out

    def _headings(self, text: str) -> str:
        """Chapter heading, section numbers (as pandoc will number them) and sec- labels."""
        lines = text.splitlines()
        fence: str | None = None
        counters = [0] * 7
        seen_h1 = False
        numbered_chapter = self.out.number is not None
        for i, line in enumerate(lines):
            m = FENCE.match(line)
            if fence:
                if (
                    m
                    and m.group(1)[0] == fence[0]
                    and len(m.group(1)) >= len(fence)
                    and not line.strip()[len(m.group(1)) :]
                ):
                    fence = None
                continue
            if m:
                fence = m.group(1)
                continue
            h = HEADING.match(line)
            if not h:
                continue
            level = len(h.group(1))
            ident, classes, kv = _attrs(h.group(3))
            if not numbered_chapter and "unnumbered" not in classes:
                classes.append("unnumbered")
            if level == 1:
                if seen_h1:
                    self.out.warnings.append(
                        f"more than one level-1 heading ('{h.group(2)}'): a chapter should have one"
                    )
                seen_h1 = True
            if "unnumbered" not in classes:
                counters[level] += 1
                counters[level + 1 :] = [0] * (6 - level)
                if level == 1:
                    counters[1] = self.out.number or 0
                number = ".".join(str(c) for c in counters[1 : level + 1])
                if ident.startswith("sec-"):
                    self.out.labels[ident] = {"kind": "Chapter" if level == 1 else "Section", "number": number}
            elif ident.startswith("sec-"):
                self.out.labels[ident] = {"kind": "Section", "number": h.group(2)}
            attr = _attr_string(ident, classes, kv)
            lines[i] = f"{h.group(1)} {h.group(2)}" + (f" {attr}" if attr else "")
        text = "\n".join(lines)
        if not seen_h1:
            title = self.out.chapter.name.split("_", 1)[-1].replace("_", " ").capitalize()
            attr = "" if numbered_chapter else " {.unnumbered}"
            self.out.warnings.append("no level-1 heading: chapter titled from its file name")
            text = f"# {title}{attr}\n\n{text}"
        return text


def convert_chapter(chapter: Chapter, source: Path, number: int | None, media_dir: Path, defaults: dict) -> ChapterText:
    """A chapter file (executed .ipynb, or .qmd/.md) -> Pandoc Markdown."""
    if source.suffix == ".ipynb":
        import nbformat

        nb = nbformat.read(source, as_version=4)
    else:
        import nbformat

        text = source.read_text(encoding="utf-8")
        text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # front matter
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
    return NotebookConverter(chapter, number, media_dir, defaults).convert(nb)


# --------------------------------------------------------------------------- pandoc + typst


def pandoc_path() -> str:
    exe = shutil.which("pandoc")
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        if exe:
            return exe
        raise RenderError("pandoc not found: pip install pypandoc-binary") from None


def quarto_path() -> str | None:
    return shutil.which("quarto")


def _start(cmd: list[str], cwd: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _finish(proc: subprocess.Popen, what: str) -> list[str]:
    """Wait for a command started by `_start`; its warnings, or RenderError with its stderr."""
    _, stderr = proc.communicate()
    if proc.returncode is not None and proc.returncode < 0:
        raise RenderError(
            f"{what} was killed by signal {_signal_name(-proc.returncode)}"
            + (f":\n{stderr.strip()}" if stderr.strip() else "")
        )
    if proc.returncode != 0:
        raise RenderError(f"{what} failed:\n{stderr.strip()}")
    return [l for l in stderr.splitlines() if l.strip()]


def _signal_name(number: int) -> str:
    import signal

    try:
        return f"{signal.Signals(number).name} ({number})"
    except ValueError:
        return str(number)


def _run(cmd: list[str], cwd: Path, what: str, env: dict | None = None) -> list[str]:
    return _finish(_start(cmd, cwd, env), what)


def _lang(lang: str) -> tuple[str, str | None]:
    lang_code, _, region = lang.partition("-")
    return lang_code.lower(), (region.upper() or None)


@dataclass
class Rendered:
    files: list[Path]  # produced files, in the work folder
    warnings: list[str]
    renderer: str
    reused: bool = False  # the outputs of an earlier render made from the same inputs


def book_markdown(project: Project, executed: dict[str, Path], workdir: Path) -> tuple[str, dict, list[str]]:
    """All chapters as one Pandoc Markdown text, the cross-reference table, and warnings."""
    media = workdir / "media"
    shutil.rmtree(media, ignore_errors=True)
    media.mkdir(parents=True)
    defaults = {k: v for k, v in project.execute.items() if k in ("echo", "warning", "output", "include")}
    texts, labels, warnings = [], {}, []
    number = 0
    for chapter in project.chapters:
        source = executed.get(chapter.name, chapter.path)
        if not source.exists():
            raise RenderError(f"{chapter.listed}: not found (execute the notebooks first)")
        numbered = chapter.index > 0
        if numbered:
            number += 1
        ct = convert_chapter(chapter, source, number if numbered else None, media, defaults)
        for label in ct.labels:
            if label in labels:
                ct.warnings.append(f"label {label} also defined in an earlier chapter")
        labels.update(ct.labels)
        warnings += [f"{chapter.listed}: {w}" for w in ct.warnings]
        texts.append(ct.markdown)
    body = "\n\n".join(texts)
    if project.bibliography:
        body += "\n\n# References {.unnumbered}\n\n::: {#refs}\n:::\n"
    return body + "\n", labels, warnings


def metadata(project: Project, labels: dict, synthetic: bool) -> dict:
    lang, region = _lang(project.lang)
    meta = {
        "title": project.title,
        "author": project.authors,
        "lang": project.lang,
        "typst-lang": lang,
        "link-citations": True,
        "toc-title": "Contents",
        "crossref": labels,
        "synthetic": synthetic,
        "synthetic-notice": project.notice or SYNTHETIC_NOTICE,
        "papersize": str(project.typst.get("papersize", "a4")),
        "fontsize": str(project.typst.get("fontsize", "10.5pt")),
    }
    if region:
        meta["typst-region"] = region
    if project.subtitle:
        meta["subtitle"] = project.subtitle
    return meta


RENDER_INPUTS = "render-inputs.sha256"  # what the outputs in a render folder were made from
RENDER_WARNINGS = "render-warnings.json"  # pandoc's and typst's warnings when they were made


def _tool_versions() -> dict:
    from importlib import metadata as dist

    versions = {}
    for name in ("pypandoc-binary", "typst"):
        try:
            versions[name] = dist.version(name)
        except dist.PackageNotFoundError:
            versions[name] = None
    return versions


def render_inputs_digest(workdir: Path, inputs: list[str], commands: list[list[str]]) -> str:
    """One hash over everything pandoc and typst read (the book's Markdown, metadata, templates,
    filter, bibliography and the images in media/, all in the render folder), their command
    lines and versions. The render is deterministic, so equal hashes mean equal outputs."""
    from .stamps import digest

    files = [workdir / n for n in inputs] + sorted((workdir / "media").glob("*"))
    return digest(files=files, values={"commands": commands, "versions": _tool_versions()}, base=workdir)


def _reuse(previous: Path | None, key: str, workdir: Path, names: list[str]) -> list[str] | None:
    """Copy the outputs of `previous` (a render folder) into `workdir` if they were made from
    the same inputs; their warnings, or None."""
    if previous is None or not all((previous / n).is_file() for n in [RENDER_INPUTS, RENDER_WARNINGS, *names]):
        return None
    if (previous / RENDER_INPUTS).read_text().strip() != key:
        return None
    try:
        warnings = json.loads((previous / RENDER_WARNINGS).read_text())
    except ValueError:
        return None
    for n in names:
        shutil.copyfile(previous / n, workdir / n)
    if (previous / TABLE_CACHE).is_dir():
        shutil.copytree(previous / TABLE_CACHE, workdir / TABLE_CACHE, dirs_exist_ok=True)
    return [str(w) for w in warnings]


def render_pandoc(
    project: Project,
    executed: dict[str, Path],
    workdir: Path,
    synthetic: bool,
    formats: tuple[str, ...] = ("html", "pdf"),
    previous: Path | None = None,
) -> Rendered:
    """With `previous` (the folder of an earlier render, which may not exist): when pandoc's
    and typst's inputs are the same as that render's, its outputs are copied instead of made
    again (an edit that changes no output, e.g. a comment in a notebook's code); otherwise the
    tables report.lua converts for the PDF are read from its table cache when unchanged. Every
    render folder keeps its outputs, inputs hash, warnings and table cache for the next one.
    Same bytes either way (tests/test_build_report.py)."""
    workdir.mkdir(parents=True, exist_ok=True)
    body, labels, warnings = book_markdown(project, executed, workdir)
    (workdir / "book.md").write_text(body, encoding="utf-8")
    (workdir / "metadata.json").write_text(
        json.dumps(metadata(project, labels, synthetic), indent=1, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    inputs = ["book.md", "metadata.json", *ASSET_FILES]
    for name in ASSET_FILES:
        shutil.copyfile(ASSETS / name, workdir / name)
    common = [
        "book.md",
        "--from=markdown",
        "--metadata-file=metadata.json",
        "--lua-filter=report.lua",
        "--number-sections",
        "--wrap=none",
        "--resource-path=.",
    ]
    for i, bib in enumerate(project.bibliography):
        shutil.copyfile(bib, workdir / f"bibliography-{i}{bib.suffix}")
        common.append(f"--bibliography=bibliography-{i}{bib.suffix}")
        inputs.append(f"bibliography-{i}{bib.suffix}")
    if project.csl:
        shutil.copyfile(project.csl, workdir / "style.csl")
        common.append("--csl=style.csl")
        inputs.append("style.csl")
    if project.bibliography:
        common.append("--citeproc")
    toc = project.html.get("toc", True) is not False
    toc_depth = str(project.html.get("toc-depth", 2))
    pandoc = pandoc_path()
    out = project.output_file
    html_cmd = pdf_cmd = None
    if "html" in formats:
        html_cmd = [
            pandoc,
            *common,
            "--to=html5",
            "--standalone",
            "--template=report.html",
            "--css=report.css",
            "--embed-resources",
            "--section-divs",
            f"--toc-depth={toc_depth}",
            f"--output={out}.html",
        ]
        if toc:
            html_cmd.append("--toc")
    if "pdf" in formats:
        pdf_cmd = [
            pandoc,
            *common,
            "--to=typst",
            "--standalone",
            "--template=report.typ",
            f"--toc-depth={project.typst.get('toc-depth', toc_depth)}",
            "--output=book.typ",
        ]
        if project.typst.get("toc", toc) is not False:
            pdf_cmd.append("--toc")
    names = ([f"{out}.html"] if html_cmd else []) + ([f"{out}.pdf"] if pdf_cmd else [])
    commands = [c[1:] for c in (html_cmd, pdf_cmd) if c]  # the executable by version, not path
    key = render_inputs_digest(workdir, inputs, commands)
    reused = _reuse(previous, key, workdir, names)
    if reused is not None:
        tool_warnings = reused
    else:
        tool_warnings = _run_pandoc(workdir, html_cmd, pdf_cmd, out, previous)
        (workdir / RENDER_WARNINGS).write_text(json.dumps(tool_warnings, indent=1) + "\n")
    (workdir / RENDER_INPUTS).write_text(key + "\n")
    files = [workdir / n for n in names]
    return Rendered(files, _dedupe(warnings + tool_warnings), "pandoc+typst", reused=reused is not None)


def _run_pandoc(workdir: Path, html_cmd, pdf_cmd, out: str, previous: Path | None) -> list[str]:
    """pandoc -> HTML while pandoc -> Typst -> PDF runs; their warnings (HTML's first)."""
    html = _start(html_cmd, workdir) if html_cmd else None  # the two share only read-only inputs
    html_warnings: list[str] = []
    pdf_warnings: list[str] = []
    try:
        if pdf_cmd:
            env = None
            if previous is not None:
                (workdir / TABLE_CACHE).mkdir(exist_ok=True)
                env = {
                    **os.environ,
                    "REPORT_TABLE_CACHE": TABLE_CACHE,
                    "REPORT_TABLE_CACHE_READ": str((Path(previous) / TABLE_CACHE).resolve()),
                }
            pdf_warnings += _run(pdf_cmd, workdir, "pandoc (Typst)", env)
            compile_typst(workdir / "book.typ", workdir / f"{out}.pdf", pdf_warnings)
        if html is not None:
            html_warnings = _finish(html, "pandoc (HTML)")
            html = None
    finally:
        if html is not None:  # the PDF failed: do not leave pandoc running
            html.kill()
            html.communicate()
    return html_warnings + pdf_warnings


def compile_typst(source: Path, pdf: Path, warnings: list[str]) -> Path:
    import typst

    try:
        _, typst_warnings = typst.compile_with_warnings(  # PDF/UA-1: tagged, every figure with alt text
            str(source), output=str(pdf), root=str(source.parent), ignore_system_fonts=True, pdf_standards=["ua-1"]
        )
    except typst.TypstError as exc:
        raise RenderError(f"typst failed on {source.name}:\n{exc}") from None
    for w in typst_warnings or []:
        msg = getattr(w, "message", str(w))
        if "unknown font family" not in msg:  # fallbacks are listed on purpose in the template
            warnings.append(f"typst: {msg}")
    return pdf


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --------------------------------------------------------------------------- quarto


def copy_project(project: Project, executed: dict[str, Path], dest: Path) -> Path:
    """A copy of the Quarto project (its _quarto.yml, support files and chapters) whose
    chapters are the executed notebooks: what `quarto render` needs, nothing else."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copyfile(project.file, dest / "_quarto.yml")
    sources = [(f, f) for f in project.support_files()]
    sources += [(executed.get(c.name, c.path), c.path) for c in project.chapters]
    for src, listed in sources:
        target = dest / listed.relative_to(project.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return dest


def render_quarto(project: Project, executed: dict[str, Path], workdir: Path, synthetic: bool) -> Rendered:
    """`quarto render` of a copy of the project whose chapters are the executed notebooks.

    `synthetic` overrides the `synthetic` metadata of _quarto.yml (the notice on every page).
    """
    proj = copy_project(project, executed, workdir / "project")
    out = workdir / "quarto-output"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [
        quarto_path() or "quarto",
        "render",
        str(proj),
        "--output-dir",
        str(out),
        "--metadata",
        f"synthetic:{'true' if synthetic else 'false'}",
    ]
    env = {**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON") or sys.executable}
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    warnings = [ANSI.sub("", w).strip() for w in _finish(proc, "quarto render") if quarto_warning(w)]
    files = sorted(p for p in out.rglob("*") if p.is_file())
    return Rendered(files, _dedupe(warnings), "quarto")


def quarto_warning(line: str) -> bool:
    """A line of `quarto render`'s stderr that is a warning or error (not progress output)."""
    text = ANSI.sub("", line).strip()
    return bool(re.match(r"(WARN|WARNING|ERROR)\b|\(W\)|warning:|error:", text, re.I))


def render(
    project: Project,
    executed: dict[str, Path],
    workdir: Path,
    synthetic: bool,
    renderer: str = "auto",
    previous: Path | None = None,
) -> Rendered:
    """Render with Quarto if installed (renderer='auto'; it renders the whole book every time),
    else with pandoc + Typst (`previous`: see render_pandoc)."""
    if renderer == "quarto" or (renderer == "auto" and quarto_path()):
        return render_quarto(project, executed, workdir, synthetic)
    return render_pandoc(project, executed, workdir, synthetic, previous=previous)


def renderer_name(renderer: str = "auto") -> str:
    return "quarto" if renderer == "quarto" or (renderer == "auto" and quarto_path()) else "pandoc+typst"
