"""Descriptive statistics as tidy frames: frequencies, proportions, multiple response, Likert items.

Percentages and their Wilson 95% confidence intervals are on the 0-100 scale. Denominators are
the respondents who answered (non-missing), within an optional population: a boolean mask, or a
query string such as the codebook's skip logic (``"uses_outcome_measures == 'Yes'"``).
"""

from __future__ import annotations

from typing import NamedTuple
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from helpers.stats.design import levels_of

__all__ = [
    "wilson_ci",
    "frequency_table",
    "proportion",
    "Proportion",
    "multiple_response",
    "likert_distribution",
    "in_population",
]

YES_VALUES = ("Yes", True, 1, "yes", "TRUE", "True")


def wilson_ci(count, denominator) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% interval for count/denominator, in percent (NaN where the denominator is 0)."""
    count = np.asarray(count, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    safe = np.where(denominator > 0, denominator, 1)
    low, high = proportion_confint(count, safe, alpha=0.05, method="wilson")
    low = np.where(denominator > 0, 100 * np.asarray(low), np.nan)
    high = np.where(denominator > 0, 100 * np.asarray(high), np.nan)
    return low, high


def in_population(df: pd.DataFrame, population=None, variable: str | None = None) -> pd.DataFrame:
    """The rows of `df` in `population`: None or "all" = every row; "asked" = those the codebook's
    skip logic asks `variable` (every row when it has none, or without `variable`); a
    ``DataFrame.query`` string; or a boolean mask. The one definition of a population filter."""
    if population is None or (isinstance(population, str) and population in ("all", "asked")):
        if population == "asked" and variable is not None:
            from helpers.data.codebook import load_codebook

            book = load_codebook()
            rule = book[variable].asked_if if variable in book.variables else None
            return df.query(rule, engine="python") if rule else df
        return df
    if isinstance(population, str):
        return df.query(population, engine="python")
    mask = pd.Series(population, index=df.index) if not isinstance(population, pd.Series) else population
    return df.loc[mask.reindex(df.index).fillna(False).astype(bool)]


def _percent(n, denominator):
    n = np.asarray(n, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 100 * n / np.where(denominator > 0, denominator, 1), np.nan)


def frequency_table(df: pd.DataFrame, column: str, population=None) -> pd.DataFrame:
    """One row per level of `column`: level, n, denominator, percent, ci_low, ci_high.

    Levels in the column's order (a Categorical's categories, including those nobody chose);
    the denominator is everyone in `population` who answered.
    """
    data = in_population(df, population)[column]
    answered = data.dropna()
    levels = levels_of(df[column])
    counts = answered.value_counts().reindex(levels, fill_value=0)
    denominator = int(len(answered))
    low, high = wilson_ci(counts.to_numpy(), denominator)
    return pd.DataFrame(
        {
            "level": levels,
            "n": counts.to_numpy(dtype=int),
            "denominator": denominator,
            "percent": _percent(counts.to_numpy(), denominator),
            "ci_low": low,
            "ci_high": high,
        }
    )


class Proportion(NamedTuple):
    level: object
    n: int
    denominator: int
    percent: float
    ci_low: float
    ci_high: float


def proportion(df: pd.DataFrame, column: str, level="Yes", population=None) -> Proportion:
    """The share of answers equal to `level` (or any of a list of levels) with its Wilson CI."""
    answered = in_population(df, population)[column].dropna()
    wanted = list(level) if isinstance(level, (list, tuple, set)) else [level]
    n = int(answered.isin(wanted).sum())
    denominator = int(len(answered))
    low, high = wilson_ci(n, denominator)
    return Proportion(level, n, denominator, float(_percent(n, denominator)), float(low), float(high))


def _labels_for(columns: Sequence[str], labels) -> list[str]:
    if labels is None:
        from helpers.data.codebook import load_codebook

        book = load_codebook()
        return [book.label(c) for c in columns]
    if isinstance(labels, Mapping):
        return [labels.get(c, c) for c in columns]
    labels = list(labels)
    if len(labels) != len(columns):
        raise ValueError("labels must have one entry per column")
    return labels


def _is_yes(series: pd.Series) -> pd.Series:
    return series.astype(object).isin(YES_VALUES) & series.notna()


def multiple_response(
    df: pd.DataFrame, columns: Sequence[str], labels=None, population=None, sort: bool = True
) -> pd.DataFrame:
    """A tick-all-that-apply question: one row per option, sorted by percent (descending).

    Columns: option, label, n (ticked), denominator (respondents asked: at least one option
    non-missing), percent, ci_low, ci_high. `labels`: a mapping or list; default codebook labels.
    """
    columns = list(columns)
    data = in_population(df, population)[columns]
    asked = data.notna().any(axis=1)
    denominator = int(asked.sum())
    counts = np.array([int(_is_yes(data.loc[asked, c]).sum()) for c in columns])
    low, high = wilson_ci(counts, denominator)
    frame = pd.DataFrame(
        {
            "option": columns,
            "label": _labels_for(columns, labels),
            "n": counts,
            "denominator": denominator,
            "percent": _percent(counts, denominator),
            "ci_low": low,
            "ci_high": high,
        }
    )
    if sort:
        frame = frame.sort_values("percent", ascending=False, kind="stable").reset_index(drop=True)
    return frame


def likert_distribution(df: pd.DataFrame, columns: Sequence[str], labels=None, population=None) -> pd.DataFrame:
    """Long frame of Likert-type items for diverging bars: item, label, level, n, denominator, percent.

    `level` is an ordered Categorical of the items' (shared) levels; percent is of those who
    answered the item.
    """
    columns = list(columns)
    data = in_population(df, population)
    item_labels = _labels_for(columns, labels)
    frames = []
    all_levels: list = []
    for column, label in zip(columns, item_labels):
        table = frequency_table(data, column)
        for level in table["level"]:
            if level not in all_levels:
                all_levels.append(level)
        frames.append(table.assign(item=column, label=label)[["item", "label", "level", "n", "denominator", "percent"]])
    out = pd.concat(frames, ignore_index=True)
    out["level"] = pd.Categorical(out["level"], categories=all_levels, ordered=True)
    return out
