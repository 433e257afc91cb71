"""A figure as the report shows it: vector (SVG) with a text alternative written from the data.

A chapter's figure cell ends with ``figures.show(fig, alt)``: the notebook then stores the SVG
(``image/svg+xml``), the alt text in the output's metadata (``{"image/svg+xml": {"alt": ...}}``,
read by the built-in renderer) and inside the SVG as its Dublin Core description (read by the
Quarto filter ``_quarto/figure-alt.lua``, since Quarto takes figure alt text only from static
cell options). The text/plain form is the alt text too, so nbval compares it.

The SVG is deterministic: no date, glyphs as paths (the same drawing in every browser and in
Typst, which has none of matplotlib's fonts), and the same bytes on any CPU: matplotlib writes
coordinates with six decimals and names clip paths by a hash of their full-precision corners, so
a last-bit difference in a fitted value (another SIMD level, another BLAS) changed the file.
Coordinates of 1 pt or more are written to 0.01 pt (1/28 of a 600 dpi dot) and every hashed id
is re-derived from its element as written (``stable_svg``).
"""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET

import matplotlib as mpl

__all__ = ["Figure", "show", "svg"]

SVG_RC = {"svg.hashsalt": "report", "svg.fonttype": "path", "svg.id": None}


def svg(fig, description: str = "") -> str:
    """The figure as SVG text (the same bytes for the same figure)."""
    buffer = io.StringIO()
    metadata = {"Date": None, "Description": description} if description else {"Date": None}
    with mpl.rc_context({k: v for k, v in SVG_RC.items() if k in mpl.rcParams}):
        fig.savefig(buffer, format="svg", metadata=metadata)
    return stable_svg(buffer.getvalue())


_COORDINATE = re.compile(r"(?<![\w.#-])(-?\d+\.\d{3,})(?![\w.])")
_HASHED_ID = re.compile(r'\bid="([a-z]+)([0-9a-f]{10})"')


def stable_svg(text: str) -> str:
    """`text` with coordinates to 0.01 pt and matplotlib's hashed ids re-derived from the
    rounded elements they name (so equal drawings give equal bytes; see the module docstring).
    Numbers below 1 (scale factors, line widths, opacities) are left as written."""

    def rounded(match: re.Match) -> str:
        value = float(match.group(1))
        return f"{value:.2f}" if abs(value) >= 1 else match.group(1)

    text = _COORDINATE.sub(rounded, text)
    root = ET.fromstring(text.split("?>", 1)[1].split("]>", 1)[-1] if text.startswith("<?xml") else text)
    renamed = {}
    for element in root.iter():
        old = element.get("id") or ""
        match = _HASHED_ID.fullmatch(f'id="{old}"')
        if match:
            element.attrib.pop("id")
            body = ET.tostring(element, encoding="unicode")
            renamed[old] = match.group(1) + hashlib.sha256(body.encode()).hexdigest()[:10]
    if not renamed:
        return text
    if renamed.keys() & set(renamed.values()):  # a new name that is also an old one: one at a time
        for old, new in renamed.items():
            text = re.sub(rf"\b{old}\b", new, text)
        return text
    # every id in one pass over the text, not one pass per id (hundreds in a forest plot)
    names = re.compile(r"\b(?:" + "|".join(map(re.escape, renamed)) + r")\b")
    return names.sub(lambda m: renamed[m.group(0)], text)


class Figure:
    """What a figure cell displays: the SVG, with its alt text."""

    def __init__(self, fig, alt: str):
        alt = " ".join(str(alt).split())
        if not alt:
            raise ValueError("a figure needs a text alternative")
        self.fig, self.alt = fig, alt

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"image/svg+xml": svg(self.fig, self.alt), "text/plain": self.alt}
        return data, {"image/svg+xml": {"alt": self.alt}}


def show(fig, alt: str) -> Figure:
    return Figure(fig, alt)
