"""Covariate patterns: the distinct rows of a design matrix, with how many respondents share each.

A logistic (or multinomial logistic) likelihood depends on the data only through, per distinct
row x of the design, the number of respondents m_x there and the number with each outcome level:
sum_i [y_i eta(x_i) - log(1 + e^eta(x_i))] = sum_x [s_x eta(x) - m_x log(1 + e^eta(x))]. So a fit
to the patterns, with the counts as frequency weights and the share s_x / m_x as a fractional
response, has the same log-likelihood, score, information, estimates and standard errors as the
fit to the rows (up to the order of floating-point sums), at the cost of the number of patterns
instead of the number of rows. Categorical designs repeat: the cost of such fits then grows with
the number of patterns, which is bounded by the product of the levels, not with n.

Only for likelihoods that are sums over rows of a function of (x_i, y_i): not for the linear-
programming separation check (it depends only on the *set* of distinct (x, y) points, so the
distinct rows give the same answer; see `distinct_points`) and not where a row's own random draw
matters (draw per row, then sum per pattern: `sums`).

The call sites collapse only where the patterns are at most half the rows (`worth_collapsing`):
with fewer repeats the cost barely falls, and the rows' own fit stays the reference (fits on
patterns agree with it to rounding, not to the last bit, and a figure's coordinates show that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse


@dataclass(frozen=True)
class Patterns:
    """The distinct rows of a matrix: `X` (K x p), `counts` (K,), and `inverse` (n,), the pattern
    of every original row (``X[inverse]`` is the original matrix)."""

    X: np.ndarray
    counts: np.ndarray
    inverse: np.ndarray

    @property
    def size(self) -> int:
        return int(self.X.shape[0])

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Per pattern, the sum of `values` (n,) or (n, R) over its rows: (K,) or (K, R)."""
        values = np.asarray(values, dtype=float)
        n = self.inverse.size
        member = sparse.csr_matrix((np.ones(n), (self.inverse, np.arange(n))), shape=(self.size, n))
        out = member @ values
        return np.asarray(out)

    def shares(self, y: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(fractional response, frequency weights) per pattern for a 0/1 response `y` (n,) or
        (n, R), with optional row weights of the same shape (a zero weight leaves a row out): the
        arguments that make a weighted logistic fit to the patterns equal the fit to the rows."""
        y = np.asarray(y, dtype=float)
        if weights is None:
            m = self.counts.astype(float)
            s = self.sums(y)
            m_full = m if y.ndim == 1 else np.repeat(m[:, None], y.shape[1], axis=1)
        else:
            w = np.asarray(weights, dtype=float)
            if w.ndim == 1 and y.ndim == 2:
                w = np.repeat(w[:, None], y.shape[1], axis=1)
            m_full = self.sums(w)
            s = self.sums(w * y)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(m_full > 0, s / np.where(m_full > 0, m_full, 1.0), 0.0)
        return share, m_full


MIN_SAVING = 2  # collapse when the rows are at least this many times the patterns


def worth_collapsing(n_patterns: int, n_rows: int) -> bool:
    """Whether fitting `n_patterns` patterns instead of `n_rows` rows saves enough to do it."""
    return n_patterns * MIN_SAVING <= n_rows


BITS_PER_CODE = 60  # 0/1 columns coded together as one integer (int64: below 2**62)


def _row_groups(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # (group of each row, first row of each group), groups numbered in order of first
    # appearance. Exact and linear in n: each column's values are coded as integers, the codes
    # combined into one integer key (re-factorised before it could overflow), the key factorised.
    # Any one-to-one coding of the rows will do (only the final factorisation numbers the
    # groups): the 0/1 columns of a float matrix, most of a design, are read as the bits of one
    # integer (BITS_PER_CODE at a time: one pass instead of one per column); integer columns
    # are their own codes; other columns are factorised (hashing).
    n, p = X.shape
    coded: list[tuple[np.ndarray, int]] = []
    rest = range(p)
    if X.dtype.kind == "f" and p:
        binary = np.all((X == 0.0) | (X == 1.0), axis=0)
        if binary.any():
            bits = X[:, binary] == 1.0
            for start in range(0, bits.shape[1], BITS_PER_CODE):
                chunk = bits[:, start : start + BITS_PER_CODE]
                # factorised, as any column: at most n levels, so combining never overflows
                codes, uniques = pd.factorize(chunk.astype(np.int64) @ (1 << np.arange(chunk.shape[1], dtype=np.int64)))
                coded.append((codes, len(uniques)))
            rest = np.flatnonzero(~binary)
    for j in rest:
        column = X[:, j]
        if column.dtype.kind in "iu" and column.size and column.min() >= 0 and column.max() < 2**20:
            coded.append((column.astype(np.int64), int(column.max()) + 1))
        else:  # NaN a value of its own (the sentinel -1 would collide with other codes)
            codes, uniques = pd.factorize(column, use_na_sentinel=False)
            coded.append((codes, len(uniques)))
    key = np.zeros(n, dtype=np.int64)
    size = 1
    for codes, levels in coded:
        if size * levels >= 2**62:
            key, uniques_key = pd.factorize(key)
            size = len(uniques_key)
        key = key * levels + codes
        size *= max(levels, 1)
    group, uniques = pd.factorize(key)
    first = np.full(len(uniques), -1, dtype=np.intp)
    first[group[::-1]] = np.arange(n)[::-1]  # the smallest row index of each group
    return group.astype(np.intp), first


def patterns(X: np.ndarray) -> Patterns:
    """The distinct rows of `X` (in order of first appearance: deterministic), counts, inverse."""
    X = np.asarray(X, dtype=float)
    group, first = _row_groups(X)
    return Patterns(X[first], np.bincount(group, minlength=first.size), group)


def useful_patterns(X: np.ndarray) -> Patterns | None:
    """`patterns(X)` when they are worth fitting instead of the rows (`worth_collapsing`), else None."""
    pat = patterns(X)
    return pat if worth_collapsing(pat.size, pat.inverse.size) else None


def distinct_points(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (row of X, y) points, in their order of first appearance: what a separation
    check needs (whether a hyperplane separates the points does not depend on repeats)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    _, first = _row_groups(np.column_stack([X, y]))
    return X[first], y[first]


WEIGHT = "_respondents"  # the frequency-weight column of a collapsed frame


def collapse_frame(df: pd.DataFrame, columns, weights: str | None = None) -> tuple[pd.DataFrame, str | None]:
    """(frame, weight column): the distinct rows of ``df[columns]`` (first-appearance order,
    dtypes kept, so categorical levels and reference levels stay as they are) with the number
    of respondents (or the sum of `weights`) each stands for. A logistic or proportional-odds
    fit of any model on a subset of `columns`, with that column as frequency weights, is the fit
    to `df` (its n, the sum of the weights, too). `df` must be complete on `columns`.
    When the distinct rows are not worth it (`worth_collapsing`): ``(df, weights)`` unchanged."""
    columns = list(dict.fromkeys(c for c in columns if c is not None and c != weights))
    if not all(isinstance(df[c].dtype, pd.CategoricalDtype) for c in columns):
        return _collapse_by_groupby(df, columns, weights)
    # Categorical columns: group on their integer codes (as groupby does, without its overhead)
    codes = np.column_stack([df[c].array.codes for c in columns]) if columns else np.zeros((len(df), 0))
    group, first = _row_groups(codes)
    if not worth_collapsing(first.size, len(df)):
        return df, weights
    if weights is None:
        counts = np.bincount(group, minlength=first.size).astype(np.int64)
    else:  # pandas' (compensated) sum, as before
        counts = pd.Series(df[weights].astype(float).to_numpy()).groupby(group, sort=True).sum().to_numpy()
    out = pd.DataFrame(
        {c: pd.Categorical.from_codes(codes[first, j], dtype=df[c].dtype) for j, c in enumerate(columns)}
    )
    out[WEIGHT] = counts
    out.attrs = dict(df.attrs)
    return out, WEIGHT


def _collapse_by_groupby(df: pd.DataFrame, columns: list[str], weights: str | None):
    counts = df[weights].astype(float) if weights is not None else pd.Series(1, index=df.index, dtype="int64")
    grouped = counts.groupby([df[c] for c in columns], observed=True, sort=False, dropna=False).sum()
    if not worth_collapsing(len(grouped), len(df)):
        return df, weights
    out = grouped.rename(WEIGHT).reset_index()
    out.columns = [*columns, WEIGHT]
    for c in columns:
        if out[c].dtype != df[c].dtype:
            out[c] = out[c].astype(df[c].dtype)
    out.attrs = dict(df.attrs)
    return out, WEIGHT


def sequential(df: pd.DataFrame, outcome: str, exposure: str, kind: str = "logistic") -> pd.DataFrame:
    """`helpers.analysis.models.sequential` (Models 1-3, default blocks) fitted to the covariate patterns
    of its shared complete-case sample: the same tidy frame, n included."""
    from helpers.analysis import models
    from helpers.stats.design import complete_cases

    columns = [outcome, exposure, *models.adjustment_sets(exposure, outcome)["Model 3"]]
    collapsed, weight = collapse_frame(complete_cases(df, columns), columns)
    if weight is None:  # few repeats: the rows themselves
        return models.sequential(df, outcome, exposure, kind=kind)
    return models.sequential(collapsed, outcome, exposure, kind=kind, weights=weight)


def wald_test_terms(
    df: pd.DataFrame, outcome: str, exposure: str, covariates=(), kind: str = "logistic", terms=None
) -> pd.DataFrame:
    """`helpers.analysis.models.wald_test_terms` fitted to the covariate patterns of the complete cases:
    the same tests, n included."""
    from helpers.analysis import models
    from helpers.stats.design import complete_cases

    columns = [outcome, exposure, *covariates]
    collapsed, weight = collapse_frame(complete_cases(df, columns), columns)
    if weight is None:  # few repeats: the rows themselves
        return models.wald_test_terms(df, outcome, exposure, covariates, kind=kind, terms=terms)
    return models.wald_test_terms(collapsed, outcome, exposure, covariates, kind=kind, weights=weight, terms=terms)


def brant_test(df: pd.DataFrame, outcome: str, exposure: str, covariates=()) -> pd.DataFrame:
    """`helpers.analysis.brant.brant_test` on the covariate patterns of the complete cases (it honours
    frequency weights in every binary logit and in the covariance): the same test, n included."""
    from helpers.analysis import brant
    from helpers.stats.design import complete_cases

    columns = [outcome, exposure, *covariates]
    collapsed, weight = collapse_frame(complete_cases(df, columns), columns)
    if weight is None:  # few repeats: the rows themselves
        return brant.brant_test(df, outcome, exposure, covariates)
    return brant.brant_test(collapsed, outcome, exposure, covariates, weights=weight)


__all__ = [
    "Patterns",
    "patterns",
    "useful_patterns",
    "worth_collapsing",
    "distinct_points",
    "collapse_frame",
    "WEIGHT",
    "sequential",
    "wald_test_terms",
    "brant_test",
]
