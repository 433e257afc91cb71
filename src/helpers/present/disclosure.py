"""Disclosure control for tables of counts: primary and complementary suppression, and the
attacker that checks them.

Primary suppression hides every count in 1..k-1 (k = ``min_cell_count``). That alone is undone
by subtraction: a table with its total and all but one cell shows the hidden one. So each
protected table is described as a *puzzle*, the linear facts a reader can take from what is
published (cells shown, totals, sums published elsewhere), and hidden cells are added
(complementary suppression, the smallest usable count first) until the attacker, an integer
program (``scipy.optimize.milp``), can no longer pin any hidden cell down to fewer than k values.

Every hidden cell shows the same marker, whatever the reason it is hidden: a ``<5`` marker
would itself tell the reader the cell is 1-4. Zero counts are never hidden (they disclose
nobody), so a reader knows a hidden cell is at least 1; the attacker is given that too.

A cell *locked* by the caller is published elsewhere in the report (e.g. the overall count of a
cross-tab, also in a figure): hiding it here would protect nothing, so it is never chosen as a
complement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

MARKER = "[c]"
NOTE = f"{MARKER}: suppressed, fewer than {{k}} respondents or a cell from which such a count could be derived."
# Upper bound given to a hidden count when nothing else bounds it (any large number).
_UNBOUNDED = 10**7


@dataclass
class Puzzle:
    """Integer unknowns with bounds and linear facts ``lo <= sum(coef * x) <= hi``."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    facts: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def unknown(self, lo: float = 0, hi: float = _UNBOUNDED) -> int:
        self.lower.append(float(lo))
        self.upper.append(float(hi))
        return len(self.lower) - 1

    def known(self, value: float) -> int:
        return self.unknown(value, value)

    def cell(self, value: int, hidden: bool, hi: float = _UNBOUNDED) -> int:
        """A count as a reader sees it: its value if shown, at least 1 if hidden."""
        return self.unknown(1, hi) if hidden else self.known(value)

    def fact(self, coefs: dict[int, float], lo: float, hi: float | None = None) -> None:
        self.facts.append((dict(coefs), float(lo), float(lo if hi is None else hi)))

    def sum_is(self, cells: Iterable[int], value: float) -> None:
        self.fact({c: 1.0 for c in cells}, value)

    def sums_equal(self, left: Iterable[int], right: Iterable[int]) -> None:
        coefs = {c: 1.0 for c in left}
        for c in right:
            coefs[c] = coefs.get(c, 0.0) - 1.0
        self.fact(coefs, 0.0)

    def percent_is(self, cell: int, denominator: Iterable[int], percent: float, decimals: int = 1) -> None:
        """A published percentage of `cell` over the sum of `denominator`, rounded to `decimals`."""
        half = 0.5 * 10 ** (-decimals)
        coefs = {c: -(percent + half) for c in denominator}
        coefs[cell] = coefs.get(cell, 0.0) + 100.0
        self.fact(coefs, -np.inf, 0.0)  # 100 x <= (p + h) D
        coefs = {c: -(percent - half) for c in denominator}
        coefs[cell] = coefs.get(cell, 0.0) + 100.0
        self.fact(coefs, 0.0, np.inf)  # 100 x >= (p - h) D

    def ranges(self, cells: Iterable[int]) -> dict[int, tuple[int, int]]:
        """The smallest and largest integer value each cell can take given every fact."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        n = len(self.lower)
        bounds = Bounds(np.array(self.lower), np.array(self.upper))
        constraints = []
        if self.facts:
            a = np.zeros((len(self.facts), n))
            lo = np.empty(len(self.facts))
            hi = np.empty(len(self.facts))
            for i, (coefs, l, h) in enumerate(self.facts):
                for j, c in coefs.items():
                    a[i, j] = c
                lo[i], hi[i] = l, h
            constraints = [LinearConstraint(a, lo, hi)]
        integrality = np.ones(n)
        out = {}
        for cell in cells:
            found = []
            for sign in (1.0, -1.0):
                c = np.zeros(n)
                c[cell] = sign
                res = milp(c, integrality=integrality, bounds=bounds, constraints=constraints)
                if res.x is None:
                    raise ValueError(f"inconsistent facts ({res.message})")
                found.append(int(round(res.x[cell])))
            out[cell] = (found[0], found[1])
        return out


def primary(counts: Sequence[int], k: int) -> np.ndarray:
    """Counts in 1..k-1."""
    values = np.asarray(counts, dtype=float)
    return (values > 0) & (values < k) if k and k > 1 else np.zeros(len(values), dtype=bool)


def is_protected(ranges: dict[int, tuple[int, int]], k: int) -> bool:
    """Every hidden cell can take at least k values."""
    return all(hi - lo + 1 >= k for lo, hi in ranges.values())


def protect(counts: Sequence[int], k: int, facts, locked: Iterable[int] = (), neighbours=None) -> np.ndarray:
    """Which of `counts` to hide: primary suppression, then complements until protected.

    `facts(puzzle, cells)`: adds to a puzzle, given the puzzle index of each count (`cells`),
    the facts a reader knows beyond the shown counts (totals, published sums). `neighbours(i)`:
    counts sharing a fact with count i (complements are chosen among them first).
    """
    counts = [int(c) for c in counts]
    hidden = primary(counts, k)
    locked = set(locked)
    if not hidden.any():
        return hidden
    while True:
        puzzle = Puzzle()
        cells = [puzzle.cell(c, h) for c, h in zip(counts, hidden)]
        facts(puzzle, cells)
        ranges = puzzle.ranges([cells[i] for i in np.flatnonzero(hidden)])
        weak = [i for i in np.flatnonzero(hidden) if ranges[cells[i]][1] - ranges[cells[i]][0] + 1 < k]
        if not weak:
            return hidden
        usable = [i for i in range(len(counts)) if not hidden[i] and counts[i] > 0 and i not in locked]
        if not usable:
            return hidden  # nothing left to hide; the caller's audit reports it
        near = set(neighbours(weak[0])) if neighbours else set(usable)
        pool = [i for i in usable if i in near] or usable
        hidden[min(pool, key=lambda i: (counts[i], i))] = True


def protect_sums(counts: Sequence[int], k: int, subsets: Sequence[Sequence[int]], locked=()) -> np.ndarray:
    """Counts some of whose sums are published: each subset (indices into `counts`) sums to a
    known number (e.g. all levels of a question = its denominator)."""
    counts = [int(c) for c in counts]

    def facts(puzzle, cells):
        for subset in subsets:
            puzzle.sum_is([cells[i] for i in subset], sum(counts[i] for i in subset))

    def neighbours(i):
        return [j for s in subsets if i in s for j in s]

    return protect(counts, k, facts, locked, neighbours)


def protect_rows(
    matrix: np.ndarray, totals: Sequence[int], slack: Sequence[int], k: int, totals_hidden: Sequence[bool] | None = None
) -> np.ndarray:
    """A cross-tab whose rows are independent (tick-all options by group): in row i the group
    counts plus up to ``slack[i]`` respondents of no group sum to ``totals[i]``, published
    unless ``totals_hidden[i]``. Returns the mask of group cells to hide (the totals are
    published elsewhere, so they are never complements)."""
    matrix = np.asarray(matrix, dtype=int)
    out = np.zeros(matrix.shape, dtype=bool)
    hidden_totals = np.zeros(len(matrix), dtype=bool) if totals_hidden is None else np.asarray(totals_hidden)
    for i, row in enumerate(matrix):

        def facts(puzzle, cells, i=i):
            if hidden_totals[i]:
                return
            extra = puzzle.unknown(0, slack[i])
            puzzle.sum_is([*cells, extra], totals[i])

        out[i] = protect(row, k, facts)
    return out


def derived_sums() -> dict[str, list[list[str]]]:
    """Sums of levels the report publishes besides the levels themselves: each derived column
    (e.g. "often or very often") is the sum of its source's event levels; keyed by the source's
    name and label (describe frames carry either)."""
    from helpers.data.codebook import load_codebook

    book = load_codebook()
    out: dict[str, list[list[str]]] = {}
    for d in book.derived.values():
        for key in (d.source, book.label(d.source)):
            out.setdefault(key, []).append(list(d.events))
    return out


def hide(values: Sequence, mask: Sequence[bool], marker: str = MARKER) -> list:
    return [marker if m else v for v, m in zip(values, mask)]


def protect_frequencies(
    freq: pd.DataFrame, k: int, additive: bool | None = None, published_sums: dict | None = None
) -> pd.DataFrame:
    """A describe frame (frequency_table, likert_distribution, multiple_response) with a
    ``suppressed`` column and, in suppressed rows, n, percent and the CI set to NaN.

    additive (default: when the frame has a 'level' column): the rows of each item (or of the
    whole frame) are the levels of one question and sum to its denominator; otherwise (tick-all
    options) each row stands alone. `published_sums`: {item or None: [[level, ...], ...]} sums of
    levels published elsewhere (e.g. a derived "often or very often" count)."""
    out = freq.copy()
    additive = ("level" in out.columns) if additive is None else additive
    mask = np.zeros(len(out), dtype=bool)
    if k and k > 1:
        if not additive:
            mask = primary(out["n"], k)
        else:
            key = out["item"].astype(object).tolist() if "item" in out.columns else [""] * len(out)
            for item in dict.fromkeys(key):
                rows = np.flatnonzero([k_ == item for k_ in key])
                levels = [str(v) for v in out["level"].iloc[rows]]
                subsets = [list(range(len(rows)))]
                for extra in (published_sums or {}).get(item, []):
                    subsets.append([levels.index(str(lvl)) for lvl in extra if str(lvl) in levels])
                mask[rows] = protect_sums(out["n"].iloc[rows].to_numpy(), k, subsets)
    out["suppressed"] = mask
    if mask.any():
        for column in ("n", "percent", "ci_low", "ci_high"):
            if column in out.columns:
                out[column] = out[column].astype(float).where(~mask)
    return out
