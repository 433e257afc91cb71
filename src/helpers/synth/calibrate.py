"""Numerical building blocks of the calibrated synthetic data (used by helpers.synth.generator).

Everything here is deterministic given its inputs (numpy Generator passed in, stable sorts):
  largest_remainder   integer counts with an exact total from shares
  rank_assign         ordinal levels with exact counts from a latent score
  select_exact        exactly k units, drawn without replacement with odds exp(logit)
  controlled_round    0/1 outcomes whose running sums track expected probabilities (exact total)
  solve_intercept     the intercept that makes sum(p) equal a target count (brentq)
  wald_p              two-sided p-values of single terms and the joint Wald test of a term set
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit


def largest_remainder(shares, total: int) -> np.ndarray:
    """Integer counts proportional to `shares` that sum exactly to `total` (Hamilton's method;
    ties broken by position, so the result is deterministic)."""
    shares = np.asarray(shares, dtype=float)
    quota = total * shares / shares.sum()
    counts = np.floor(quota).astype(int)
    remainder = quota - counts
    short = total - counts.sum()
    order = np.argsort(-remainder, kind="stable")
    counts[order[:short]] += 1
    return counts


def rank_assign(latent: np.ndarray, counts) -> np.ndarray:
    """Codes 0..K-1 with exactly counts[k] units at code k: the lowest-latent units get code 0."""
    counts = np.asarray(counts, dtype=int)
    if counts.sum() != len(latent):
        raise ValueError(f"counts sum to {counts.sum()}, not {len(latent)}")
    order = np.argsort(latent, kind="stable")
    codes = np.empty(len(latent), dtype=int)
    codes[order] = np.repeat(np.arange(len(counts)), counts)
    return codes


def select_exact(rng: np.random.Generator, logit: np.ndarray, k: int, eligible: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of exactly `k` units drawn without replacement, unit i with odds exp(logit_i)
    (Gumbel top-k). Only `eligible` units can be drawn. Always consumes len(logit) draws."""
    logit = np.asarray(logit, dtype=float)
    gumbel = rng.gumbel(size=len(logit))
    key = logit + gumbel
    if eligible is not None:
        if k > int(np.sum(eligible)):
            raise ValueError(f"cannot select {k} of {int(np.sum(eligible))} eligible units")
        key = np.where(eligible, key, -np.inf)
    order = np.argsort(-key, kind="stable")
    mask = np.zeros(len(logit), dtype=bool)
    mask[order[:k]] = True
    return mask


def controlled_round(p: np.ndarray, order: np.ndarray, offset: float = 0.5) -> np.ndarray:
    """0/1 outcomes from probabilities by controlled (systematic) rounding along `order`.

    Walking the units in `order`, a unit is 1 when the running sum of p crosses an integer
    (shifted by `offset`). Every run of consecutive units then has sum(y) within 1 of sum(p),
    so sorting by covariate pattern makes each pattern's count its expected count rounded, the
    residual carried to the next pattern; the total is round(sum(p)) exactly.
    """
    p = np.asarray(p, dtype=float)
    cum = np.cumsum(p[order])
    hits = np.floor(cum + offset)
    prev = np.concatenate([[np.floor(offset)], hits[:-1]])
    y = np.empty(len(p), dtype=int)
    y[order] = (hits - prev).astype(int)
    if y.min() < 0 or y.max() > 1:
        raise ValueError("controlled_round needs 0 <= p <= 1")
    return y


def solve_intercept(eta: np.ndarray, count: float) -> float:
    """The intercept a with sum(expit(a + eta)) == count (brentq; count strictly inside (0, n))."""

    def gap(a: float) -> float:
        return float(np.sum(expit(a + eta)) - count)

    lo, hi = -30.0, 30.0
    return float(brentq(gap, lo, hi, xtol=1e-14, rtol=1e-15, maxiter=200))


def wald_p(beta: np.ndarray, cov: np.ndarray, index: list[int]) -> tuple[float, float]:
    """(smallest two-sided p of the single terms, p of their joint Wald chi-square test)."""
    from scipy.stats import chi2, norm

    b = beta[index]
    v = cov[np.ix_(index, index)]
    single = 2 * norm.sf(np.abs(b) / np.sqrt(np.diag(v)))
    stat = float(b @ np.linalg.solve(v, b))
    return float(single.min()), float(chi2.sf(stat, len(index)))
