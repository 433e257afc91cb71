"""Precision and power of a logistic regression with a binary exposure.

Formula: Hsieh, Bloch & Larsen (1998), "A simple method of sample size calculation for linear and
logistic regression", Stat Med 17:1623-1634, formula (2) for one binary covariate (the
two-proportion normal approximation with unpooled variance under the alternative):

    n = ( z_{1-a/2} sqrt(P (1-P) / B) + z_{1-b} sqrt(P1 (1-P1) + P2 (1-P2) (1-B) / B) )^2
        / ( (P1 - P2)^2 (1 - B) )

with B = Pr(exposed), P1 = Pr(outcome | unexposed), P2 = Pr(outcome | exposed) and
P = (1 - B) P1 + B P2 the overall outcome prevalence. Adjustment for other covariates inflates n
by the variance inflation factor 1 / (1 - rho^2), rho^2 the squared multiple correlation of the
exposure with the covariates (Hsieh et al. 1998, section 3). Solving the formula for the power
gives `power_for_or`; solving it for the odds ratio gives `minimum_detectable_or`. Power ignores
rejection in the opposite direction, as R's power.prop.test (strict = FALSE).

Reference values checked in tests/test_robustness.py: Hsieh et al. (1998) Table I (P1 = 0.4,
P2 = 0.5, B = 0.5, alpha = 0.05, power 0.95: n = 1281) and R's power.prop.test help examples
(p1 = 0.50, p2 = 0.75: power 0.740 with 50 per group; 76.7 per group for power 0.90), which the
formula reproduces with B = 0.5.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

_N = NormalDist()

POWER_COLUMNS = [
    "estimand",
    "n",
    "exposure_prevalence",
    "outcome_prevalence",
    "r2_exposure",
    "n_effective",
    "published_or",
    "mdor",
]


def _z(q: float) -> float:
    return _N.inv_cdf(q)


def sample_size_logistic_binary(
    p1: float, p2: float, exposure_prevalence: float, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Total n to detect P1 vs P2 with a binary exposure of prevalence B (Hsieh 1998, formula 2)."""
    B = exposure_prevalence
    P = (1 - B) * p1 + B * p2
    num = _z(1 - alpha / 2) * math.sqrt(P * (1 - P) / B) + _z(power) * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2) * (1 - B) / B
    )
    return num**2 / ((p1 - p2) ** 2 * (1 - B))


def power_two_rates(n: float, p1: float, p2: float, exposure_prevalence: float, alpha: float = 0.05) -> float:
    """Power of the test of OR = 1 with total sample `n` (Hsieh 1998 formula 2 solved for power)."""
    B = exposure_prevalence
    P = (1 - B) * p1 + B * p2
    z = (math.sqrt(n * (p1 - p2) ** 2 * (1 - B)) - _z(1 - alpha / 2) * math.sqrt(P * (1 - P) / B)) / math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2) * (1 - B) / B
    )
    return _N.cdf(z)


def rates_for_or(odds_ratio: float, exposure_prevalence: float, outcome_prevalence: float) -> tuple[float, float]:
    """(P1, P2) with odds(P2) = OR odds(P1) and (1 - B) P1 + B P2 = overall prevalence P."""
    B, P, lor = exposure_prevalence, outcome_prevalence, math.log(odds_ratio)

    def gap(l1: float) -> float:
        return (1 - B) * expit(l1) + B * expit(l1 + lor) - P

    l1 = brentq(gap, -40.0, 40.0, xtol=1e-13)
    return float(expit(l1)), float(expit(l1 + lor))


def power_for_or(
    odds_ratio: float,
    n: float,
    exposure_prevalence: float,
    outcome_prevalence: float,
    alpha: float = 0.05,
    r2: float = 0.0,
) -> float:
    """Power to detect `odds_ratio` (two-sided `alpha`) with `n` respondents.

    `outcome_prevalence` is the overall prevalence (held fixed as the OR varies); `r2` the squared
    multiple correlation of the exposure with the adjustment covariates (n_eff = n (1 - r2)).
    """
    if odds_ratio == 1:
        return alpha / 2
    p1, p2 = rates_for_or(odds_ratio, exposure_prevalence, outcome_prevalence)
    return power_two_rates(n * (1 - r2), p1, p2, exposure_prevalence, alpha)


def minimum_detectable_or(
    n: float,
    exposure_prevalence: float,
    outcome_prevalence: float,
    alpha: float = 0.05,
    power: float = 0.8,
    r2: float = 0.0,
    direction: str = "above",
) -> float:
    """Smallest OR (> 1 for direction 'above', largest OR < 1 for 'below') detected with `power`."""
    sign = 1.0 if direction == "above" else -1.0

    def gap(lor: float) -> float:
        return power_for_or(math.exp(sign * lor), n, exposure_prevalence, outcome_prevalence, alpha, r2) - power

    hi = 1.0
    while gap(hi) < 0:
        hi *= 2
        if hi > 30:
            return float("nan")
    return math.exp(sign * brentq(gap, 1e-9, hi, xtol=1e-12))


def exposure_r2(X: np.ndarray, j: int) -> float:
    """R^2 of column j of a design (with intercept in column 0) regressed on the other columns."""
    x = X[:, j]
    others = np.delete(X, j, axis=1)
    coef, *_ = np.linalg.lstsq(others, x, rcond=None)
    resid = x - others @ coef
    tss = ((x - x.mean()) ** 2).sum()
    return float(1 - (resid**2).sum() / tss) if tss > 0 else float("nan")


def power_table(df: pd.DataFrame, estimands=None, alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
    """Per published association: the design's n, prevalences, R^2 of the exposure with the Model 3
    covariates and the minimum detectable OR (same direction as the published OR) at `power`.

    No "power at the published OR": power computed at an observed estimate is a function of its
    p-value and says nothing more (Hoenig & Heisey 2001). The formula is checked instead by
    simulation at the minimum detectable OR (helpers.analysis.misspecification.power_at_mdor)."""
    from helpers.analysis.simulation import analysis_rows, event_indicator, published_estimands

    estimands = published_estimands() if estimands is None else estimands
    rows = []
    for est in estimands:
        X, names, complete = analysis_rows(df, est)
        Xs = X[complete]
        j = names.index(est.term)
        B = float(Xs[:, j].mean())
        P = float(np.nanmean(event_indicator(df[est.outcome])[complete]))
        n = int(complete.sum())
        r2 = exposure_r2(Xs, j)
        pub = est.published_or
        direction = "above" if not pub < 1 else "below"
        rows.append(
            {
                "estimand": est.name,
                "n": n,
                "exposure_prevalence": B,
                "outcome_prevalence": P,
                "r2_exposure": r2,
                "n_effective": n * (1 - r2),
                "published_or": pub,
                "mdor": minimum_detectable_or(n, B, P, alpha, power, r2, direction),
            }
        )
    return pd.DataFrame(rows, columns=POWER_COLUMNS)


__all__ = [
    "sample_size_logistic_binary",
    "power_two_rates",
    "rates_for_or",
    "power_for_or",
    "minimum_detectable_or",
    "exposure_r2",
    "power_table",
]
