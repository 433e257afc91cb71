"""Design matrices for the model helpers: complete cases, reference levels, term names.

Term names follow ARCHITECTURE.md: ``column[level]`` for a level of a categorical column (the
first level is the reference and gets no term), the column name for a numeric column,
``(Intercept)`` for an intercept. Categorical means a pandas Categorical (its category order is
kept, so a codebook column has its reference first), a bool column (levels False, True) or a
string/object column (levels sorted). Levels absent from the analysed sample are dropped, and a
warning says so (an absent reference level makes the first present level the reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from helpers.stats.logit import independent_columns

INTERCEPT = "(Intercept)"


def term_name(column: str, level: object | None = None) -> str:
    """'aware_info_standard[Yes]' for a level; the column name itself for a numeric column."""
    return column if level is None else f"{column}[{level}]"


def parse_term(term: str) -> tuple[str, str | None]:
    """Inverse of :func:`term_name`: ('aware_info_standard', 'Yes') or ('age', None).

    Intercept and threshold names ('Never|Rarely') come back as (term, None).
    """
    if term.endswith("]") and "[" in term:
        column, level = term[:-1].split("[", 1)
        return column, level
    return term, None


def is_categorical(series: pd.Series) -> bool:
    return (
        isinstance(series.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(series.dtype)
        or pd.api.types.is_object_dtype(series.dtype)
        or pd.api.types.is_string_dtype(series.dtype)
    )


def levels_of(series: pd.Series) -> list:
    """All levels of a categorical column in model order (reference first)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    if pd.api.types.is_bool_dtype(series.dtype):
        return [False, True]
    return sorted(series.dropna().unique().tolist(), key=str)


def _present_codes(series: pd.Series) -> np.ndarray:
    # Per category of a Categorical, whether it occurs (counted on the integer codes: no hashing).
    codes = series.array.codes
    return np.bincount(codes[codes >= 0], minlength=len(series.cat.categories)) > 0


def observed_levels(series: pd.Series) -> list:
    """Levels present in `series` (non-missing), in model order."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [level for level, seen in zip(series.cat.categories, _present_codes(series)) if seen]
    present = set(series.dropna().unique().tolist())
    return [level for level in levels_of(series) if level in present]


def _unique(names: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for name in names:
        if name is not None and name not in seen:
            seen.append(name)
    return seen


def complete_cases(df: pd.DataFrame, columns: Sequence[str | None]) -> pd.DataFrame:
    """Rows of `df` with no missing value in any of `columns` (None entries ignored)."""
    columns = _unique(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the data: {', '.join(missing)}")
    keep = np.ones(len(df), dtype=bool)
    for column in columns:
        keep &= _not_missing(df[column])
    return df[columns] if keep.all() else df.loc[keep, columns]


def _not_missing(series: pd.Series) -> np.ndarray:
    """Which values of `series` are not missing, as a bool array. A Categorical's integer codes
    say it (-1 = missing) without the Series that .notna() builds, attrs copied and all: the
    designs ask this of every column of every fit."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.array.codes >= 0
    return series.notna().to_numpy()


def frequency_weights(df: pd.DataFrame, weights: str | None) -> np.ndarray:
    """The frequency weights of the rows of `df` (ones when `weights` is None); checked >= 0."""
    if weights is None:
        return np.ones(len(df))
    w = pd.to_numeric(df[weights], errors="raise").to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weights column '{weights}' must be finite and non-negative")
    return w


def total_n(w: np.ndarray) -> int | float:
    """n reported with a fit: the number of rows, or the sum of the frequency weights."""
    total = float(np.sum(w))
    return int(round(total)) if abs(total - round(total)) < 1e-9 else total


def indicators(codes: np.ndarray, positions: Sequence[int], missing: float = 0.0) -> np.ndarray:
    """The one dummy coder of the project's design matrices: (n x k) columns, 1.0 where a row's
    level code equals each of `positions` and 0.0 elsewhere, `missing` where the code is -1 (no
    answer). Every design is built from it: `build_design` and `design_matrix` from a frame's
    Categorical codes, the synthetic generator from its own codes."""
    codes = np.asarray(codes)
    out = np.empty((codes.size, len(positions)))
    for k, position in enumerate(positions):
        out[:, k] = codes == position
    if missing != 0.0 and out.size:
        out[codes < 0] = missing
    return out


def _categorical_columns(series: pd.Series, levels: Sequence, declared: Sequence) -> np.ndarray:
    # 0/1 columns of `levels` of a categorical series (0 where it is missing).
    if isinstance(series.dtype, pd.CategoricalDtype):  # integer codes, not objects
        position = {level: j for j, level in enumerate(declared)}
        return indicators(series.array.codes, [position[level] for level in levels])
    values = series.to_numpy(dtype=object)
    return (
        np.column_stack([(values == level).astype(float) for level in levels]) if levels else np.empty((len(series), 0))
    )


@dataclass
class Design:
    """A model matrix with its term names and, per source column, the columns it produced."""

    X: np.ndarray
    names: list[str]
    columns: dict[str, list[int]]
    reference: dict[str, object]
    warnings: list[str] = field(default_factory=list)

    def indices(self, column: str) -> list[int]:
        return self.columns[column]


def build_design(data: pd.DataFrame, columns: Sequence[str], intercept: bool = True) -> Design:
    """The model matrix of `columns` over the rows of `data` (which must be complete)."""
    blocks: list[np.ndarray] = []
    names: list[str] = []
    index: dict[str, list[int]] = {}
    reference: dict[str, object] = {}
    warnings: list[str] = []
    if intercept:
        blocks.append(np.ones((len(data), 1)))
        names.append(INTERCEPT)
    for column in _unique(columns):
        series = data[column]
        start = len(names)
        if is_categorical(series):
            declared = levels_of(series)
            present = observed_levels(series)
            if len(present) < 2:
                raise ValueError(f"'{column}' has fewer than two levels in the analysed sample: {present}")
            dropped = [level for level in declared if level not in present]
            if dropped:
                if declared and declared[0] in dropped:
                    warnings.append(
                        f"{column}: reference level '{declared[0]}' absent from the sample; "
                        f"'{present[0]}' is the reference"
                    )
                warnings.append(f"{column}: level(s) {', '.join(map(str, dropped))} absent from the sample, dropped")
            reference[column] = present[0]
            blocks.append(_categorical_columns(series, present[1:], declared))
            names += [term_name(column, level) for level in present[1:]]
        else:
            blocks.append(pd.to_numeric(series).to_numpy(dtype=float)[:, None])
            names.append(column)
        index[column] = list(range(start, len(names)))
    X = np.hstack(blocks) if blocks else np.empty((len(data), 0))
    # The logistic core's rank decision (in order, to 1e-7 of each column's norm), so a term is
    # aliased here exactly where the simulations and sensitivity fits leave it out.
    kept = set(independent_columns(X))
    if len(kept) < X.shape[1]:
        aliased = [name for k, name in enumerate(names) if k not in kept]
        raise ValueError(
            "the model matrix is rank deficient (collinear terms) for columns: "
            + ", ".join(_unique(columns))
            + f"; aliased (each a linear combination of earlier terms): {', '.join(aliased)}"
        )
    return Design(X=X, names=names, columns=index, reference=reference, warnings=warnings)


def design_matrix(df: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Treatment-coded design matrix of `columns` with an intercept over every row of `df`, for
    fits that select their rows later (the simulations, the sensitivity analyses).

    Returns (X, names, complete): `complete` marks the rows with every column observed; X has
    all rows of `df` (incomplete rows hold zeros; select them with `complete`). Categorical
    columns give one dummy per non-reference level (the declared first level is the
    reference), named ``column[level]``; levels unobserved among complete rows are dropped
    (their column would be all zeros).
    """
    n = len(df)
    complete = np.ones(n, dtype=bool)
    # Each column read once; a Categorical's integer codes straight from its array (-1 = missing),
    # without the Series that .cat.codes builds (see `_not_missing`).
    series = [df[col] for col in columns]
    codes = [s.array.codes if isinstance(s.dtype, pd.CategoricalDtype) else None for s in series]
    for s in series:
        complete &= _not_missing(s)
    blocks = [np.ones((n, 1))]
    names = [INTERCEPT]
    for col, s, c in zip(columns, series, codes):
        if c is not None:
            categories = s.dtype.categories
            seen = np.bincount(c[complete & (c >= 0)], minlength=len(categories)) > 0
            kept = [k for k in range(1, len(categories)) if seen[k]]
            blocks.append(indicators(c, kept))
            names += [term_name(col, categories[k]) for k in kept]
        else:
            values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            blocks.append(np.nan_to_num(values)[:, None])
            names.append(col)
    return np.hstack(blocks), names, complete


def binary_outcome(series: pd.Series) -> tuple[np.ndarray, object, object]:
    """(y as 0/1 floats, event level, non-event level) for a binary outcome column.

    Categorical No/Yes: the event is the last level. bool: True. Numeric 0/1: 1. Strings: the
    alphabetically last of the two values.
    """
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=float), True, False
    if isinstance(series.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        levels = levels_of(series)
        present = observed_levels(series)
        if len(levels) != 2:
            if len(present) == 2:
                levels = present
            else:
                raise ValueError(f"binary outcome '{series.name}' must have two levels, has {levels}")
        if isinstance(series.dtype, pd.CategoricalDtype):
            event = list(series.cat.categories).index(levels[1])
            y = (series.array.codes == event).astype(float)
        else:
            y = (series.to_numpy(dtype=object) == levels[1]).astype(float)
        return y, levels[1], levels[0]
    values = pd.to_numeric(series).to_numpy(dtype=float)
    if not set(np.unique(values)) <= {0.0, 1.0}:
        raise ValueError(f"binary outcome '{series.name}' must be 0/1, bool or two-level categorical")
    return values, 1, 0


def ordinal_outcome(series: pd.Series) -> tuple[np.ndarray, list, list[str]]:
    """(integer codes 0..J-1 over the observed levels, observed levels, warnings)."""
    if not (isinstance(series.dtype, pd.CategoricalDtype) and series.cat.ordered):
        raise TypeError(f"ordinal outcome '{series.name}' must be an ordered pandas Categorical")
    declared = list(series.cat.categories)
    present = observed_levels(series)
    warnings = []
    if len(present) < 3:
        raise ValueError(f"ordinal outcome '{series.name}' needs at least three observed levels: {present}")
    if len(present) < len(declared):
        absent = [level for level in declared if level not in present]
        warnings.append(
            f"{series.name}: level(s) {', '.join(map(str, absent))} absent from the sample, "
            "thresholds fitted between the observed levels"
        )
    if series.isna().any():
        raise ValueError(f"ordinal outcome '{series.name}' has missing values")
    # category code -> position among the observed levels
    lookup = np.cumsum(_present_codes(series)) - 1
    codes = lookup[series.array.codes].astype(int)
    return codes, present, warnings
