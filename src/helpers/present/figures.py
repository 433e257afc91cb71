"""A figure as the report shows it: vector (SVG) with a text alternative written from the data.

A chapter's figure cell ends with ``figures.show(fig, alt)``: the notebook then stores the SVG
(``image/svg+xml``), the alt text in the output's metadata (``{"image/svg+xml": {"alt": ...}}``,
read by the built-in renderer) and inside the SVG as its Dublin Core description (read by the
Quarto filter ``_quarto/figure-alt.lua``, since Quarto takes figure alt text only from static
cell options). The text/plain form is the alt text too, so nbval compares it.

The SVG is deterministic: no date, fixed element ids (``svg.hashsalt``), glyphs as paths (the
same drawing in every browser and in Typst, which has none of matplotlib's fonts).
"""

from __future__ import annotations

import io

import matplotlib as mpl

__all__ = ["Figure", "show", "svg"]

SVG_RC = {"svg.hashsalt": "report", "svg.fonttype": "path", "svg.id": None}


def svg(fig, description: str = "") -> str:
    """The figure as SVG text (the same bytes for the same figure)."""
    buffer = io.StringIO()
    metadata = {"Date": None, "Description": description} if description else {"Date": None}
    with mpl.rc_context({k: v for k, v in SVG_RC.items() if k in mpl.rcParams}):
        fig.savefig(buffer, format="svg", metadata=metadata)
    return buffer.getvalue()


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
