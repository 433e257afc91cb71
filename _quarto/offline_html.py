"""Quarto post-render step: keep the HTML book offline.

Quarto adds require.js and jQuery from cdn.jsdelivr.net to every page that has a `text/html`
notebook output (src/core/jupyter/widgets.ts, for JavaScript "widgets"); no option turns this
off. The report's HTML outputs are static tables that use neither, so the three tags are
removed from the rendered pages. Run by `quarto render` (project: post-render).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

CDN_TAGS = re.compile(
    r'[ \t]*<script src="https://cdn\.jsdelivr\.net/npm/(?:requirejs|jquery)@[^"]*"[^>]*></script>\n?'
    r"|[ \t]*<script type=\"application/javascript\">define\('jquery', \[\],function\(\) "
    r"\{return window\.jQuery;\}\)</script>\n?"
)


def pages() -> list[Path]:
    listed = os.environ.get("QUARTO_PROJECT_OUTPUT_FILES", "").splitlines()
    if listed:
        return [Path(p) for p in listed if p.endswith(".html")]
    return sorted(Path(os.environ.get("QUARTO_PROJECT_OUTPUT_DIR", "_output")).rglob("*.html"))


def main() -> None:
    for page in pages():
        if not page.exists():
            continue
        text = page.read_text(encoding="utf-8")
        cleaned = CDN_TAGS.sub("", text)
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")


if __name__ == "__main__":
    main()
