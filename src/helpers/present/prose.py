"""Numbers in sentences: every figure quoted in the report's prose is formatted here, from data."""

from __future__ import annotations

import math

import pandas as pd

SYNTHETIC_STATEMENT = (
    "**Synthetic data.** These results are computed on a synthetic dataset of {n} respondents, "
    "calibrated to the figures published in the paper's abstract. It is not the survey: "
    "wherever it agrees with the paper, it agrees by construction, so it shows that the analysis "
    "code works, not that the paper's findings hold."
)
REAL_STATEMENT = (
    "**Survey data.** These results are computed on the survey file `{file}` ({n} respondents). "
    "Counts below {threshold}, and the cells from which one could be worked out, are shown as [c]."
)


def data_statement(df: pd.DataFrame, min_cell_count: int = 5) -> str:
    """What data a chapter ran on, at the top of every chapter: for a survey file, its name and
    the disclosure threshold. For the synthetic file nothing: the caveat is said once, in the
    summary (and on the title page, running header and banner), and again only in the chapters
    where it changes what a result means (the scorecard, the 2023 comparison)."""
    if is_synthetic(df):
        return ""
    return REAL_STATEMENT.format(file=df.attrs.get("file", "(unnamed)"), n=len(df), threshold=min_cell_count)


def synthetic_statement(df: pd.DataFrame) -> str:
    """The synthetic-data caveat as one paragraph (where a chapter needs it)."""
    return SYNTHETIC_STATEMENT.format(n=len(df))


def is_synthetic(df: pd.DataFrame) -> bool:
    return df.attrs.get("source") == "synthetic"


def percent(value: float, decimals: int = 1) -> str:
    """58.0 -> '58.0%'; NaN -> 'n/a'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{decimals}f}%"


def count_of(n: int, denominator: int, decimals: int = 1, min_count: int = 0, both_sides: bool = True) -> str:
    """'235 of 409 (57.5%)'; '[c] of 409' when `n` (or, with `both_sides`, the rest
    `denominator - n`) is a count of 1 to min_count - 1 (disclosure control, as in the tables)."""
    from helpers.present.disclosure import MARKER

    small = lambda c: min_count > 1 and 0 < c < min_count  # noqa: E731
    if small(n) or (both_sides and small(denominator - n)):
        return f"{MARKER} of {denominator:,} (a suppressed count)"
    share = 100 * n / denominator if denominator else float("nan")
    return f"{n:,} of {denominator:,} ({percent(share, decimals)})"


def odds_ratio(or_value: float, low: float, high: float, p_value: float | None = None) -> str:
    """'OR 2.29 (95% CI 1.53 to 3.42; p < 0.001)'."""
    text = f"OR {or_value:.2f} (95% CI {low:.2f} to {high:.2f}"
    if p_value is not None:
        text += f"; {p_text(p_value)}"
    return text + ")"


def p_text(p_value: float) -> str:
    """'p < 0.001', 'p = 0.012', 'p = 0.34'."""
    if p_value < 0.001:
        return "p < 0.001"
    if p_value < 0.01:
        return f"p = {p_value:.3f}"
    return f"p = {p_value:.2f}"


def listing(items: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
