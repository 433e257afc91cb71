"""Brant (1990) test of the proportional-odds assumption, as R's ``brant::brant`` computes it.

For an ordinal outcome with J levels, fit the J-1 binary logits ``1{Y > j}`` on the same
terms, estimate the joint covariance of their slope vectors (Brant 1990, section 3:
Var(b_m) = (X'W_mm X)^-1, Cov(b_m, b_l) = (X'W_mm X)^-1 X'W_ml X (X'W_ll X)^-1 with
W_ml = diag(pi_l - pi_m pi_l) for m < l, pi_j the fitted P(Y > j)), and Wald-test that the
slopes are equal across the cut-points:

- ``Omnibus``: all slopes, df = (J-2) K;
- one row per term (``column[level]`` or a numeric column), df = J-2, as ``brant(model)``;
- with ``by_variable=True``, one row per variable (all its terms jointly), as
  ``brant(model, by.var = TRUE)``.

Unlike the R package, frequency weights are honoured (the R package refits its binary logits
without the polr weights). Validated against the published output of ``brant::brant`` on
``MASS::survey`` (tests/test_brant.py).
"""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.stats as st

from scipy.special import expit

from helpers.stats.logit import HUGE_SE, fit_logistic_batch
from helpers.stats.design import (
    build_design,
    complete_cases,
    frequency_weights,
    is_categorical,
    observed_levels,
    ordinal_outcome,
    total_n,
)

__all__ = ["brant_test", "brant_from_arrays"]


# A slope whose standard error exceeds this (log-odds scale) in a binary logit is not
# estimable (quasi-separation, e.g. a sparse level with an empty outcome cell); tests that
# involve it are not computable. A Wald quadratic form needs a positive definite matrix: an
# eigenvalue below RANK_TOL x the largest counts as zero.
HUGE_STD_ERROR = HUGE_SE
RANK_TOL = 1e-10
CONVERGED_STEP = 1e-8

NOT_COMPUTABLE = "not computable"


def brant_from_arrays(
    X: np.ndarray,
    codes: np.ndarray,
    w: np.ndarray | None = None,
    groups: dict[str, list[int]] | None = None,
    sparse: Sequence[int] = (),
):
    """The Brant statistics from a model matrix (intercept in column 0, K slopes after it).

    `codes`: outcome as integers 0..J-1. `groups`: name -> slope indices (0-based among the K
    slopes) to test jointly; default one group per slope. `sparse`: slopes of levels with an
    empty outcome cell, whose tests are not computable (the Wald test's asymptotics need every
    cell; one empty cell of 8 respondents gave a chi-square of 70 on this survey). Returns
    (omnibus (chi2, df, reason), the omnibus test without the excluded slopes (or None when
    nothing is excluded or the omnibus test is valid), per-group list of (name, chi2, df, reason),
    problems, excluded slope indices). A statistic that cannot be computed
    validly - a binary logit that did not converge, a slope that is not estimable in some binary
    logit, a variance matrix that is not positive definite - is NaN, with `reason` saying why
    (`reason` is empty for a valid statistic).
    """
    n, p = X.shape
    K = p - 1
    J = int(codes.max()) + 1
    w = np.ones(n) if w is None else np.asarray(w, dtype=float)
    problems: list[str] = []
    betas, pis, infos_inv = [], [], []
    unstable: dict[int, list[int]] = {}  # slope index -> cut-points where it is not estimable
    not_converged: list[int] = []
    # The J-1 binary logits 1{Y > j} share the design: one batch, one column of Z per cut-point.
    # tol=0: each stops on its Newton step alone (every coefficient's below 1e-10), not on the
    # deviance, so that `last_step` tells settled coefficients from diverging ones.
    Z = (codes[:, None] > np.arange(J - 1)[None, :]).astype(float)
    fits = fit_logistic_batch(X, Z, weights=w, max_iter=100, tol=0.0)
    for j in range(J - 1):
        # A column absent from the data has no estimate (NaN): it adds nothing to the fit.
        beta, last_step = np.nan_to_num(fits["params"][j]), fits["last_step"][j]
        # |log odds| capped at 30 in the fitted probabilities: a diverging coefficient then keeps
        # a tiny weight, hence a huge standard error, instead of an exact 0 (no information).
        pi = expit(np.clip(X @ beta, -30, 30))
        info = X.T @ (X * (w * pi * (1 - pi))[:, None])
        inv = np.linalg.pinv(info)
        se = np.sqrt(np.clip(np.diag(inv), 0, None))
        diverging = [k for k in range(p) if not np.isfinite(se[k]) or se[k] > HUGE_STD_ERROR]
        huge = [k - 1 for k in diverging if k > 0]
        if huge:
            problems.append(f"huge standard errors in the binary logit at cut {j + 1}")
        # Converged where it matters: every estimable coefficient has settled (diverging,
        # non-estimable slopes are excluded from the tests below anyway). A diverging intercept
        # (a reference level with an empty cell at this cut) leaves no finite fit to test.
        settled = np.delete(last_step, diverging)
        if 0 in diverging or not np.all(settled < CONVERGED_STEP):
            not_converged.append(j + 1)
            problems.append(f"binary logit at cut {j + 1} did not converge")
        for s in huge:
            unstable.setdefault(s, []).append(j + 1)
        betas.append(beta)
        pis.append(pi)
        infos_inv.append(inv)
    M = J - 1
    V = np.zeros((M * K, M * K))
    for m in range(M):
        V[m * K : (m + 1) * K, m * K : (m + 1) * K] = infos_inv[m][1:, 1:]
        for l in range(m + 1, M):
            Wml = w * (pis[l] - pis[m] * pis[l])
            block = infos_inv[m] @ (X.T @ (X * Wml[:, None])) @ infos_inv[l]
            V[m * K : (m + 1) * K, l * K : (l + 1) * K] = block[1:, 1:]
            V[l * K : (l + 1) * K, m * K : (m + 1) * K] = block[1:, 1:].T
    b_star = np.concatenate([b[1:] for b in betas])
    # Contrasts b_1 - b_m, m = 2..M, for every slope.
    D = np.zeros(((M - 1) * K, M * K))
    for i in range(M - 1):
        D[i * K : (i + 1) * K, 0:K] = np.eye(K)
        D[i * K : (i + 1) * K, (i + 1) * K : (i + 2) * K] = -np.eye(K)

    def wald(slopes: Sequence[int]) -> tuple[float, str]:
        if not_converged:
            cuts = ", ".join(map(str, not_converged))
            return float("nan"), f"binary logit at cut {cuts} did not converge"
        if any(s in sparse for s in slopes):
            return float("nan"), "a level with an empty outcome cell"
        bad = sorted({cut for s in slopes for cut in unstable.get(s, [])})
        if bad:
            return float("nan"), f"term not estimable at cut {', '.join(map(str, bad))} (sparse cells)"
        cols = [m * K + s for m in range(M) for s in slopes]
        rows = [i * K + s for i in range(M - 1) for s in slopes]
        Ds = D[np.ix_(rows, cols)]
        d = Ds @ b_star[cols]
        S = Ds @ V[np.ix_(cols, cols)] @ Ds.T
        S = (S + S.T) / 2
        eig = np.linalg.eigvalsh(S)
        if not np.all(np.isfinite(eig)) or eig[0] <= RANK_TOL * max(eig[-1], 0.0):
            return float("nan"), "variance matrix not positive definite"
        chi2 = float(d @ np.linalg.solve(S, d))
        return chi2, ""

    def test(slopes: Sequence[int]) -> tuple[float, int, str]:
        chi2, reason = wald(slopes)
        return chi2, (M - 1) * len(slopes), reason

    excluded = sorted(set(unstable) | set(sparse))
    omnibus = test(range(K))
    keep = [s for s in range(K) if s not in excluded]
    # The omnibus test over the estimable slopes, from the same fits, when some are excluded.
    without = test(keep) if omnibus[2] and excluded and keep else None
    groups = groups or {str(s): [s] for s in range(K)}
    per_group = [(name, *test(slopes)) for name, slopes in groups.items()]
    return omnibus, without, per_group, problems, excluded


def brant_test(
    df: pd.DataFrame,
    outcome: str,
    exposure: str,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    by_variable: bool = False,
) -> pd.DataFrame:
    """Brant test of the proportional-odds assumption for ``ordinal(df, outcome, exposure, covariates)``.

    Returns a tidy frame with columns term, chi2, df, p_value (first row ``'Omnibus'``),
    computable, reason, n, warning, outcome and exposure. Complete cases only. A test that cannot
    be computed validly has NaN chi2 and p_value, ``computable`` False and ``reason`` saying why
    (never a number: a negative or huge "chi-square" from an indefinite matrix or a term with
    an empty outcome cell is not a test). When the omnibus test is not computable because some
    terms are not estimable, a row "Omnibus without <terms>" tests the other terms jointly.
    ``warning`` reports combinations of the outcome with categorical predictors that do not
    occur (as the R package warns) and binary logits that fail to converge.
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    covariates = [c for c in dict.fromkeys(covariates) if c not in (exposure, outcome)]
    data = complete_cases(df, [outcome, exposure, *covariates, weights])
    w = frequency_weights(data, weights)
    data, w = data.loc[w > 0], w[w > 0]
    codes, levels, notes = ordinal_outcome(data[outcome])
    design = build_design(data, [exposure, *covariates], intercept=True)
    notes = notes + design.warnings
    if by_variable:
        groups = {col: [i - 1 for i in idx] for col, idx in design.columns.items()}
    else:
        groups = {name: [i - 1] for i, name in enumerate(design.names) if i > 0}
    # Empty cells of the outcome by each categorical predictor. (R's brant counts empty cells of
    # the full crossing of the outcome with all factors, which is nearly always non-zero with
    # several covariates at this sample size; the two-way tables say where the problem is.)
    sparse = []
    for column in [exposure, *covariates]:
        if not is_categorical(data[column]):
            continue
        observed = observed_levels(data[column])
        lookup = {level: i for i, level in enumerate(observed)}
        idx = np.array([lookup[v] for v in data[column].to_numpy(dtype=object)])
        table = np.zeros((len(lookup), len(levels)))
        np.add.at(table, (idx, codes), w)
        empty = int((table == 0).sum())
        if empty:
            notes.append(f"{empty} empty cell(s) in {outcome} x {column}")
        for level, row in zip(observed, table):
            name = f"{column}[{level}]"
            if (row == 0).any() and name in design.names:
                sparse.append(design.names.index(name) - 1)
    with np.errstate(all="ignore"), _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        omnibus, without, per_group, problems, excluded = brant_from_arrays(design.X, codes, w, groups, sparse)
    rows = [("Omnibus", *omnibus)]
    if without is not None:  # named for what it leaves out
        rows.append((f"Omnibus without {', '.join(design.names[s + 1] for s in excluded)}", *without))
    rows += per_group
    notes += problems
    frame = pd.DataFrame(rows, columns=["term", "chi2", "df", "reason"])
    frame["computable"] = frame["reason"] == ""
    frame["reason"] = [r if r == "" else f"{NOT_COMPUTABLE}: {r}" for r in frame["reason"]]
    frame["p_value"] = np.where(frame["computable"], st.chi2.sf(frame["chi2"], frame["df"]), np.nan)
    frame["n"] = total_n(w)
    frame["warning"] = "; ".join(dict.fromkeys(notes))
    frame["outcome"] = outcome
    frame["exposure"] = exposure
    return frame[["term", "chi2", "df", "p_value", "computable", "reason", "n", "warning", "outcome", "exposure"]]
