"""Figures of the report, drawn from the tidy frames: forest plots, diverging bars, bars with CIs.

Every function returns its matplotlib Figure and is deterministic (no jitter, no randomness).
Call :func:`use_report_style` once per notebook; nothing is set at import time and the
backend is never chosen here.

Why matplotlib and not seaborn: every figure draws estimates and intervals that the statistics
helpers have already computed (Wald intervals of odds ratios, Wilson intervals of proportions),
straight from the tidy result frame. seaborn's statistical plots compute their own intervals
from raw observations (bootstrap or normal theory), so they would draw different intervals
from those in the tables beside them; used only for styling, it would add a dependency for no
gain. The project therefore does not depend on seaborn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.present import style
from helpers.present.disclosure import MARKER as SUPPRESSED
from helpers.analysis.models import MODEL_NAMES
from helpers.present.tables import row_labels

__all__ = ["use_report_style", "forest_plot", "diverging_likert", "bar_with_ci"]

LESS_OFTEN = ("Never", "Rarely")
MIDDLE = "Sometimes"


def use_report_style() -> None:
    """Apply the report's matplotlib style (fonts, sizes, Okabe-Ito colour cycle)."""
    mpl.rcParams.update(style.RC_PARAMS)
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=style.CYCLE)


def _new_axes(ax, height: float):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=(style.FIGURE_WIDTH, height), layout="constrained")
    return fig, ax


def _row_keys(tidy: pd.DataFrame) -> list[tuple]:
    keys = []
    outcome = tidy["outcome"] if "outcome" in tidy.columns else pd.Series([None] * len(tidy), index=tidy.index)
    for o, t in zip(outcome, tidy["term"]):
        if (o, t) not in keys:
            keys.append((o, t))
    return keys


NICE_RATIOS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def _log_ticks(ax) -> None:
    """Plain-number ticks (0.5, 1, 2, ...) on a log axis, at most about seven of them."""
    lo, hi = ax.get_xlim()
    ticks = [t for t in NICE_RATIOS if lo <= t <= hi]
    anchor = ticks.index(1) if 1 in ticks else 0
    step = 1
    while len(ticks[anchor % step :: step]) > 7:
        step += 1
    ticks = ticks[anchor % step :: step]
    ax.xaxis.set_major_locator(mpl.ticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())


LABEL_WIDTH = 34  # characters per line of a y-axis label


def finish(fig):
    """Close a finished figure and return it: the notebook's cell value then displays it exactly
    once (an open figure would also be flushed by the inline backend, and nbval counts outputs)."""
    plt.close(fig)
    return fig


def forest_plot(
    tidy: pd.DataFrame,
    terms: Sequence[str] | None = None,
    labels: Mapping | None = None,
    ax=None,
    xlabel: str = "Odds ratio (95% CI, log scale)",
    title: str | None = None,
):
    """Odds ratios with 95% CIs for Models 1-3, one row per term (and outcome), log x-axis.

    `tidy`: a (stack of) :func:`helpers.analysis.models.sequential` frame(s), usually their exposure rows.
    `terms`: which terms to show (default: every term except intercepts and thresholds).
    `labels`: display labels keyed by (outcome, term), (outcome, exposure), term or exposure.
    A vertical line marks OR = 1; Models are offset vertically (not jittered) and differ in
    colour and marker.
    """
    rows = tidy.reset_index(drop=True)
    if "model" not in rows.columns:
        rows["model"] = "Model 1"
    keep = ~rows["term"].str.contains(r"\|", regex=True) & (rows["term"] != "(Intercept)")
    rows = rows.loc[keep]
    if terms is not None:
        rows = rows.loc[rows["term"].isin(list(terms))]
    if rows.empty:
        raise ValueError("no terms to plot")
    keys = _row_keys(rows)
    models = [m for m in MODEL_NAMES if m in set(rows["model"])] + sorted(set(rows["model"]) - set(MODEL_NAMES))
    fig, ax = _new_axes(ax, height=max(2.2, 0.55 * len(keys) * max(1, len(models)) / 2 + 1.2))
    offsets = np.linspace(-0.25, 0.25, len(models)) if len(models) > 1 else np.array([0.0])
    outcome_col = rows["outcome"] if "outcome" in rows.columns else pd.Series([None] * len(rows), index=rows.index)
    position = {key: len(keys) - 1 - i for i, key in enumerate(keys)}  # first row on top
    for offset, model in zip(offsets, models):
        sub = rows.loc[rows["model"] == model]
        sub_keys = list(zip(outcome_col.loc[sub.index], sub["term"]))
        y = np.array([position[k] for k in sub_keys], dtype=float) - offset
        est = sub["odds_ratio"].to_numpy(dtype=float)
        err = np.vstack([est - sub["conf_low"].to_numpy(dtype=float), sub["conf_high"].to_numpy(dtype=float) - est])
        spec = style.MODEL_STYLE.get(model, {"color": style.OKABE_ITO["black"], "marker": "D"})
        ax.errorbar(
            est,
            y,
            xerr=err,
            fmt=spec["marker"],
            color=spec["color"],
            ecolor=spec["color"],
            markersize=5,
            elinewidth=1.2,
            capsize=2,
            label=model,
            linestyle="none",
        )
    ax.axvline(1.0, color=style.REFERENCE_LINE_COLOR, linewidth=0.9, linestyle="--", zorder=0)
    ax.set_xscale("log")
    first = rows.drop_duplicates(subset=["term"] + (["outcome"] if "outcome" in rows.columns else []))
    label_of = dict(zip(_row_keys(first), row_labels(first, labels)))
    ax.set_yticks([position[k] for k in keys])
    # Long labels are wrapped: unwrapped they squeeze the axes to nothing.
    ax.set_yticklabels([textwrap.fill(label_of[k], LABEL_WIDTH, break_on_hyphens=False) for k in keys])
    ax.set_ylim(-0.7, len(keys) - 0.3)
    lows = rows["conf_low"].to_numpy(dtype=float)
    highs = rows["conf_high"].to_numpy(dtype=float)
    finite = np.isfinite(lows) & np.isfinite(highs) & (lows > 0)
    if finite.any():
        lo = min(lows[finite].min(), 1.0) / 1.25
        hi = max(highs[finite].max(), 1.0) * 1.25
        ax.set_xlim(lo, hi)
    _log_ticks(ax)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", which="major")
    if len(models) > 1:
        ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return finish(fig)


def diverging_likert(dist: pd.DataFrame, labels: Mapping | None = None, ax=None, title: str | None = None):
    """Diverging stacked bars of five-level frequency items (:func:`helpers.analysis.describe.likert_distribution`).

    'Never' and 'Rarely' extend left of zero, 'Sometimes' straddles zero, 'Often' and 'Very often'
    extend right; one bar per item, in the frame's order from the top.
    """
    levels = (
        list(dist["level"].cat.categories)
        if isinstance(dist["level"].dtype, pd.CategoricalDtype)
        else list(dict.fromkeys(dist["level"]))
    )
    items = list(dict.fromkeys(dist["item"]))
    label_col = "label" if "label" in dist.columns else "item"
    item_labels = [(labels or {}).get(item, dist.loc[dist["item"] == item, label_col].iloc[0]) for item in items]
    colors = (
        style.LIKERT_COLORS
        if len(levels) == len(style.LIKERT_COLORS)
        else plt.get_cmap("RdBu")(np.linspace(0.1, 0.9, len(levels)))
    )
    # Levels left of, at, and right of the centre.
    if MIDDLE in levels:
        mid = levels.index(MIDDLE)
    else:
        mid = len(levels) // 2 if len(levels) % 2 else None
    fig, ax = _new_axes(ax, height=1.0 + 0.6 * len(items))
    for row, item in enumerate(items):
        y = len(items) - 1 - row
        sub = dist.loc[dist["item"] == item].set_index(dist.loc[dist["item"] == item, "level"].astype(object))
        pct = [float(sub["percent"].get(level, 0.0)) if level in sub.index else 0.0 for level in levels]
        pct = [0.0 if np.isnan(p) else p for p in pct]
        centre = pct[mid] / 2 if mid is not None else 0.0
        # Left side: from the centre outwards (the level nearest the middle first).
        left_levels = range(mid - 1, -1, -1) if mid is not None else range(len(levels) // 2 - 1, -1, -1)
        start = -centre
        for i in left_levels:
            ax.barh(
                y,
                -pct[i],
                left=start,
                color=colors[i],
                edgecolor="white",
                linewidth=0.6,
                label=levels[i] if row == 0 else None,
            )
            start -= pct[i]
        if mid is not None:
            ax.barh(
                y,
                pct[mid],
                left=-centre,
                color=colors[mid],
                edgecolor="white",
                linewidth=0.6,
                label=levels[mid] if row == 0 else None,
            )
        right_start = mid + 1 if mid is not None else len(levels) // 2
        start = centre
        for i in range(right_start, len(levels)):
            ax.barh(
                y,
                pct[i],
                left=start,
                color=colors[i],
                edgecolor="white",
                linewidth=0.6,
                label=levels[i] if row == 0 else None,
            )
            start += pct[i]
    ax.axvline(0, color=style.REFERENCE_LINE_COLOR, linewidth=0.8)
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels(list(reversed(item_labels)))
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{abs(v):.0f}%"))
    ax.set_xlabel("Percent of respondents (less often to the left, more often to the right)")
    limit = 100
    ax.set_xlim(-limit, limit)
    handles, names = ax.get_legend_handles_labels()
    order = [names.index(level) for level in levels if level in names]
    ax.legend(
        [handles[i] for i in order],
        [names[i] for i in order],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.28),
        ncol=len(levels),
        frameon=False,
    )
    if title:
        ax.set_title(title)
    return finish(fig)


def bar_with_ci(
    freq: pd.DataFrame,
    label_column: str | None = None,
    ax=None,
    xlabel: str = "Percent (95% CI)",
    title: str | None = None,
    annotate: bool = True,
):
    """Horizontal bars of percentages with Wilson 95% CI whiskers, first row on top.

    `freq`: :func:`helpers.analysis.describe.frequency_table` or :func:`~helpers.analysis.describe.multiple_response`
    output (label taken from `label_column`, default 'label' if present, else 'level').
    """
    if label_column is None:
        label_column = "label" if "label" in freq.columns else "level"
    labels = [str(v) for v in freq[label_column]]
    pct = freq["percent"].to_numpy(dtype=float)
    low = freq["ci_low"].to_numpy(dtype=float)
    high = freq["ci_high"].to_numpy(dtype=float)
    y = np.arange(len(freq))[::-1]
    fig, ax = _new_axes(ax, height=1.0 + 0.4 * len(freq))
    ax.barh(y, pct, color=style.BAR_COLOR, height=0.65)
    ax.errorbar(
        pct, y, xerr=np.vstack([pct - low, high - pct]), fmt="none", ecolor="#222222", elinewidth=1.0, capsize=2
    )
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    top = np.nanmax(high) if np.isfinite(high).any() else 100
    ax.set_xlim(0, min(100, top * 1.12 + 4) if top < 88 else 105)
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax.set_xlabel(xlabel)
    if annotate and {"n", "denominator"} <= set(freq.columns):
        for yi, hi, n, d in zip(y, high, freq["n"], freq["denominator"]):
            # a count hidden by disclosure control (NaN) shows the marker, and no bar
            text = f"{int(n)}/{int(d)}" if n == n else f"{SUPPRESSED}/{int(d)}"
            ax.annotate(
                text,
                (0 if hi != hi else hi, yi),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=mpl.rcParams["font.size"] - 2,
                color="#333333",
            )
    if title:
        ax.set_title(title)
    return finish(fig)
