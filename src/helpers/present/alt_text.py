"""Text alternatives of the report's figures, written from the frames the figures draw.

Each function returns one or two sentences that say what the figure shows (the pattern and its
numbers), not what it is: a screen reader already hears the caption. Used with
:func:`helpers.figures.show`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from helpers.present.prose import listing

__all__ = ["forest", "likert", "bars", "comparison", "sampling", "sensitivity", "spec_curve", "short_label"]

MORE_OFTEN = ("Often", "Very often")
LESS_OFTEN = ("Never", "Rarely")


def short_label(label: str) -> str:
    """'Aware of the SP Information Standard → records ...' -> 'aware of the SP Information Standard'."""
    head = str(label).split("→")[0].strip()
    return head[:1].lower() + head[1:] if head[1:2].islower() else head


def _or(value: float) -> str:
    return f"{value:.2f}"


def forest(rows: pd.DataFrame, labels: Mapping | None = None) -> str:
    """Odds ratios of Models 1-3 (one row per exposure and model): which lie above and below 1
    in the most adjusted model, and how far adjustment moves them."""
    labels = labels or {}
    models = list(dict.fromkeys(rows["model"]))
    first, last = models[0], models[-1]
    above, below, moves, crossed = [], [], [], 0
    for exposure, block in rows.groupby("exposure", sort=False):
        name = short_label(labels.get(exposure, exposure))
        final = block.loc[block["model"] == last].iloc[0]
        start = block.loc[block["model"] == first].iloc[0]
        text = f"{name} ({_or(final['odds_ratio'])})"
        if final["conf_low"] > 1:
            above.append(text)
        elif final["conf_high"] < 1:
            below.append(text)
        moves.append(abs(np.log(final["odds_ratio"] / start["odds_ratio"])))
        crossed += int((final["odds_ratio"] > 1) != (start["odds_ratio"] > 1))
    parts = []
    if above:
        parts.append(f"lie above 1 for {listing(above)}")
    if below:
        parts.append(f"below 1 for {listing(below)}")
    spanning = len(moves) - len(above) - len(below)
    if spanning:
        parts.append(f"{spanning} interval{'s' if spanning > 1 else ''} include{'' if spanning > 1 else 's'} 1")
    shift = 100 * (np.exp(max(moves)) - 1) if moves else 0.0
    cross = "none crosses 1" if not crossed else f"{crossed} cross{'' if crossed > 1 else 'es'} 1"
    return (
        f"In {last} the odds ratios with their 95% intervals {'; '.join(parts)}. "
        f"Adjustment from {first} to {last} moves no odds ratio by more than {shift:.0f}%, and {cross}."
    )


def likert(dist: pd.DataFrame) -> str:
    """Five-level frequency items: the share at the 'often' end and at the 'never' end of each."""
    label = "label" if "label" in dist.columns else "item"
    parts, right = [], 0
    for item, block in dist.groupby("item", sort=False):
        pct = block.set_index(block["level"].astype(str))["percent"]
        more = float(pct.reindex(MORE_OFTEN).sum())
        less = float(pct.reindex(LESS_OFTEN).sum())
        name = str(block[label].iloc[0])
        right += int(more > less)
        parts.append(f"{name[:1].lower() + name[1:]}: {more:.0f}% often or very often, {less:.0f}% never or rarely")
    lead = {
        len(parts): "Every bar reaches further right (more often) than left",
        0: "Every bar reaches further left (less often) than right",
    }
    return (
        lead.get(right, f"{right} of {len(parts)} bars reach further right (more often) than left")
        + ": "
        + "; ".join(parts)
        + "."
    )


def bars(freq: pd.DataFrame, label_column: str | None = None) -> str:
    """Percentages of several options: the highest, the lowest and how many there are."""
    if label_column is None:
        label_column = "label" if "label" in freq.columns else "level"
    shown = freq.dropna(subset=["percent"]).sort_values("percent", ascending=False, kind="stable")
    if shown.empty:
        return "Every count in this figure is suppressed by disclosure control."
    top, bottom = shown.iloc[0], shown.iloc[-1]
    text = (
        f"{len(freq)} bars; the longest is {top[label_column]} at {top['percent']:.0f}%"
        f" and the shortest {bottom[label_column]} at {bottom['percent']:.0f}%"
    )
    if len(shown) > 2:
        second = shown.iloc[1]
        text += f"; next to the longest comes {second[label_column]} ({second['percent']:.0f}%)"
    return text + "."


def comparison(table: pd.DataFrame) -> str:
    """2023 against 2025, figure by figure."""
    rows = table[table["comparable"]]
    parts = [f"{r.what}: {r.value_2023:.0f}% in 2023 and {r.value_2025:.0f}% in 2025" for r in rows.itertuples()]
    return "Each pair of points compares the two waves: " + "; ".join(parts) + "."


def sampling(replicates: pd.DataFrame, summary: pd.DataFrame, labels: Mapping) -> str:
    """Simulated odds ratios: where each distribution centres against the true value."""
    parts = []
    for r in summary.itertuples():
        use = replicates[(replicates["estimand"] == r.estimand) & replicates["usable"]]
        centre = float(np.exp(use["log_or"].median())) if len(use) else float("nan")
        parts.append(
            f"{short_label(labels.get(r.estimand, r.estimand))}: median {_or(centre)}, true {_or(r.true_value)}"
        )
    return "Median simulated odds ratio against the true value: " + "; ".join(parts) + "."


def sensitivity(rows: pd.DataFrame, labels: Mapping) -> str:
    """Every analysis of each association: the range of odds ratios and which side of 1."""
    parts, crossing = [], 0
    for estimand, block in rows.groupby("estimand", sort=False):
        lo, hi = block["odds_ratio"].min(), block["odds_ratio"].max()
        primary = block.loc[block["primary"].astype(bool), "odds_ratio"]
        side = "above" if (primary > 1).all() else "below"
        same = ((block["odds_ratio"] > 1) == (side == "above")).all()
        crossing += int(not same)
        parts.append(
            f"{short_label(labels.get(estimand, estimand))} from {_or(lo)} to {_or(hi)} "
            f"({'all' if same else 'not all'} {side} 1)"
        )
    per = int((~rows["primary"].astype(bool)).groupby(rows["estimand"]).sum().max()) + 1
    return (
        f"Across the primary specification and up to {per - 1} alternatives the odds ratios run: "
        + "; ".join(parts)
        + "."
    )


def spec_curve(specs: pd.DataFrame, labels: Mapping) -> str:
    """Each published odds ratio over the grid: its range and how many specifications agree."""
    ors = specs[specs["kind"] == "odds_ratio"]
    parts = []
    for claim, block in ors.groupby("claim_id", sort=False):
        agree = int(block["decision_agrees"].astype(bool).sum())
        parts.append(
            f"{short_label(labels.get(claim, claim))} {_or(block['estimate'].min())} to "
            f"{_or(block['estimate'].max())}, {agree} of {len(block)} agreeing with the paper's decision"
        )
    return "Sorted estimates rise from left to right in each panel: " + "; ".join(parts) + "."
