"""The report's one visual style: a colour-blind-safe palette that also reads in greyscale.

Colours are Okabe & Ito's (2008) colour-blind-safe set. Series that must stay apart in a
greyscale print also differ in marker shape (Models 1-3) or in lightness (Likert levels).
Nothing here touches matplotlib at import time: call :func:`helpers.present.plots.use_report_style`.
"""

from __future__ import annotations

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

# Cycle order: dark and light colours alternate so neighbours differ in greyscale too.
CYCLE = [
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["black"],
]

# Models 1-3: colour, marker and lightness all differ (dark blue circle, orange square,
# bluish-green triangle).
MODEL_STYLE = {
    "Model 1": {"color": OKABE_ITO["black"], "marker": "o"},
    "Model 2": {"color": OKABE_ITO["orange"], "marker": "s"},
    "Model 3": {"color": OKABE_ITO["blue"], "marker": "^"},
}

# Five-level frequency scale, diverging around 'Sometimes': vermillion side (less often) and
# blue side (more often), darker towards the ends; the middle is a neutral grey.
LIKERT_COLORS = ["#B2450B", "#F0A77A", "#BDBDBD", "#7DB9DE", "#0B5A8C"]

BAR_COLOR = OKABE_ITO["blue"]
REFERENCE_LINE_COLOR = "#555555"

FONT_FAMILY = ["DejaVu Sans", "Arial", "Helvetica", "sans-serif"]
BASE_FONT_SIZE = 10
FIGURE_WIDTH = 6.5  # inches: the text width of an A4 page with 2.5 cm margins
DPI = 150

RC_PARAMS = {
    "font.family": "sans-serif",
    "font.sans-serif": FONT_FAMILY,
    "font.size": BASE_FONT_SIZE,
    "axes.titlesize": BASE_FONT_SIZE + 1,
    "axes.titleweight": "bold",
    "axes.labelsize": BASE_FONT_SIZE,
    "xtick.labelsize": BASE_FONT_SIZE - 1,
    "ytick.labelsize": BASE_FONT_SIZE - 1,
    "legend.fontsize": BASE_FONT_SIZE - 1,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.edgecolor": "#333333",
    "axes.linewidth": 0.8,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.2,
    "lines.markersize": 6,
    "errorbar.capsize": 2,
    "figure.dpi": DPI,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "figure.figsize": (FIGURE_WIDTH, 4.0),
    "figure.constrained_layout.use": True,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}
