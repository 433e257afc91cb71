"""Missing data for the robustness chapter: a mechanism that biases complete-case analysis, an
imputation model for nominal variables, and a convergence check of the imputation chains.

* `impose_outcome_exposure_missing`: values of Model 3 covariates go missing more often among
  respondents who are exposed *and* have the outcome. Complete-case analysis then selects on
  the outcome and the exposure jointly, and the exposure's log OR among complete cases is off by
  ``log(c11 c00 / (c10 c01))``, c_xy the probability of a complete row (`expected_cc_bias`).
  (Missingness that depends on the outcome alone, or on the covariates alone, leaves a logistic
  regression's ORs unbiased under complete-case analysis; it would show nothing.) The mechanism
  is MAR given the outcome and the exposure, both in the imputation model, so multiple
  imputation can undo the bias.
* `polyreg_draw`: imputation of an unordered (nominal) variable by multinomial logistic
  regression with a draw of the coefficients from their approximate posterior (van Buuren 2018,
  section 3.6; R mice's ``polyreg`` fits the same model, though it draws from the predicted
  probabilities without drawing the coefficients). The model is the symmetric (softmax)
  parametrisation with a weak Gaussian prior, SD `PRIOR_SD`, on every coefficient: levels are
  treated alike, so relabelling or reordering the levels permutes the imputations' distribution
  instead of changing it (treatment coding with a penalty would favour the reference level), and
  the sparse levels of these data (8 "Another gender") give finite estimates where plain maximum
  likelihood separates. statsmodels' MNLogit has neither a penalty nor convergence on these
  data, hence the few lines of Newton-Raphson here.
* `rhat`: the Gelman-Rubin potential scale reduction of a chain statistic across the m
  imputation chains (values near 1 mean the chains have mixed; above 1.1 is the usual alarm).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
from scipy.special import softmax

PRIOR_SD = 2.5  # log-odds scale: weak (Gelman et al. 2008 use 2.5 for standardised inputs)
MATCH_DECIMALS = 8  # as helpers.analysis.sensitivity.pmm_draw: discrete steps ignore last-bit noise
RHAT_ALARM = 1.1


# --------------------------------------------------------------------------------------------
# Missingness that biases complete-case analysis
# --------------------------------------------------------------------------------------------


def _is_yes(series: pd.Series) -> np.ndarray:
    return (series.astype(object) == "Yes").to_numpy()


def impose_outcome_exposure_missing(
    df: pd.DataFrame,
    variables: tuple[str, ...],
    outcome: str,
    exposure: str,
    high: float = 0.15,
    low: float = 0.03,
    seed: int = 2025,
) -> pd.DataFrame:
    """A copy of `df` in which each of `variables` is set missing, independently, with probability
    `high` for respondents with exposure = Yes and outcome = Yes and `low` for everyone else
    (seeded numpy Generator; values already missing stay missing)."""
    rng = np.random.default_rng(seed)
    out = df.copy()
    both = _is_yes(df[exposure]) & _is_yes(df[outcome])
    p = np.where(both, high, low)
    for var in variables:
        drop = df[var].notna().to_numpy() & (rng.random(len(df)) < p)
        values = out[var].copy()
        values[drop] = pd.NA
        out[var] = values
    out.attrs = dict(df.attrs)
    return out


def expected_cc_bias(n_variables: int, high: float = 0.15, low: float = 0.03) -> float:
    """Expected complete-case bias of the exposure's log OR under `impose_outcome_exposure_missing`:
    log(c11 c00 / (c10 c01)) with c = (1 - p)^n_variables the probability of a complete row."""
    c_both, c_other = (1 - high) ** n_variables, (1 - low) ** n_variables
    return math.log(c_both / c_other)


# --------------------------------------------------------------------------------------------
# Multinomial logistic imputation (nominal variables)
# --------------------------------------------------------------------------------------------


@cache
def _upper_pairs(size: int) -> tuple[np.ndarray, np.ndarray]:
    # np.triu_indices(size), read-only: asked for at every Newton step, and slow to rebuild.
    iu, ju = np.triu_indices(size)
    iu.flags.writeable = ju.flags.writeable = False
    return iu, ju


def _products(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # (rows, columns, X_u * X_v) for every pair of design columns u <= v: computed once per fit,
    # they turn every Hessian block into one column of a single large matrix product.
    # Built column pair by column pair on the transpose (contiguous rows of X.T: several times
    # faster than gathering X[:, iu] * X[:, ju]); returned as its (n x pairs) transposed view.
    p = X.shape[1]
    iu, ju = _upper_pairs(p)
    XT = np.ascontiguousarray(X.T)
    out = np.empty((iu.size, X.shape[0]))
    start = 0
    for u in range(p):
        np.multiply(XT[u], XT[u:], out=out[start : start + p - u])
        start += p - u
    return iu, ju, out.T


def _neg_hessian(
    X: np.ndarray, P: np.ndarray, lam: float, weights: np.ndarray | None = None, products: tuple | None = None
) -> np.ndarray:
    # -d2 loglik / dB2 of the softmax model, parameters ordered level by level (K blocks of p);
    # `weights`: frequency weights of the rows. Block (a, b) is X' diag(P_a (1{a=b} - P_b) w) X:
    # all blocks at once as (weights of every block)' @ (products of every column pair), and
    # laid out by index arrays rather than a Python loop over the K (K + 1) / 2 blocks.
    n, p = X.shape
    K = P.shape[1]
    iu, ju, XX = _products(X) if products is None else products
    a, b = _upper_pairs(K)  # the blocks (a, b), a <= b
    V = P[:, a] * ((a == b).astype(float) - P[:, b])
    if weights is not None:
        V *= np.asarray(weights, dtype=float)[:, None]
    sums = V.T @ XX  # (blocks x column pairs)
    blocks = np.empty((a.size, p, p))
    blocks[:, iu, ju] = sums
    blocks[:, ju, iu] = sums
    H = np.empty((K, K, p, p))
    H[a, b] = blocks
    H[b, a] = blocks
    return H.transpose(0, 2, 1, 3).reshape(K * p, K * p) + lam * np.eye(K * p)


def fit_multinomial(
    X: np.ndarray,
    codes: np.ndarray,
    k: int,
    prior_sd: float = PRIOR_SD,
    max_iter: int = 100,
    tol: float = 1e-10,
    start: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mode B (p x k) of the symmetric multinomial logit with N(0, prior_sd^2) priors,
    and the negative Hessian of the log posterior there (the inverse posterior covariance),
    by Newton-Raphson with step-halving from `start` (default zeros). The log posterior is
    strictly concave, so the mode does not depend on the start (beyond the tolerance).
    `weights`: frequency weights (a row standing for that many respondents; see `collapsed`)."""
    n, p = X.shape
    lam = 1.0 / prior_sd**2
    Y = (codes[:, None] == np.arange(k)[None, :]).astype(float)
    if weights is not None:
        Y = Y * np.asarray(weights, dtype=float)[:, None]
    m = Y.sum(axis=1)  # respondents per row (1 without weights)
    products = _products(X)

    def log_post(B):
        # (log posterior, softmax(X B)): the probabilities are scipy.special.softmax's own
        # steps (max, shifted exp, sum, divide), taken from the log-sum-exp's intermediates.
        eta = X @ B
        top = eta.max(axis=1, keepdims=True)
        e = np.exp(eta - top)
        total = e.sum(axis=1, keepdims=True)
        lse = (m * (top[:, 0] + np.log(total[:, 0]))).sum()
        return float((Y * eta).sum() - lse - 0.5 * lam * (B**2).sum()), e / total

    B = np.zeros((p, k)) if start is None or start.shape != (p, k) else start.copy()
    current, P = log_post(B)
    for _ in range(max_iter):
        grad = X.T @ (Y - m[:, None] * P) - lam * B
        H = _neg_hessian(X, P, lam, weights, products)
        step = np.linalg.solve(H, grad.T.reshape(-1)).reshape(k, p).T
        t = 1.0
        for _ in range(30):
            candidate, P_candidate = log_post(B + t * step)
            if candidate >= current - 1e-12 * abs(current):
                break
            t *= 0.5
        else:  # no step accepted: B moves by the last halving, which no candidate evaluated
            P_candidate = None
        B = B + t * step
        P = softmax(X @ B, axis=1) if P_candidate is None else P_candidate
        gain, current = candidate - current, candidate
        if np.abs(t * step).max() < tol or abs(gain) < tol * (abs(current) + 1.0):
            break
    return B, _neg_hessian(X, P, lam, weights, products)


def collapsed(X: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(rows, codes, weights): one row per distinct (row of X, level) with the number of
    respondents who have it. The multinomial log-likelihood is a sum over respondents of a
    function of (x, level), so `fit_multinomial` on this gives the fit to the respondents, at the
    cost of the distinct rows (helpers.analysis.patterns). Few repeats: (X, codes, None)."""
    from helpers.analysis.patterns import useful_patterns

    pat = useful_patterns(np.column_stack([X, codes]))
    if pat is None:
        return X, codes, None
    return pat.X[:, :-1], pat.X[:, -1].astype(int), pat.counts.astype(float)


def category_probabilities(
    X: np.ndarray, codes: np.ndarray, observed: np.ndarray, k: int, B: np.ndarray | None = None
) -> np.ndarray:
    """P(level | predictors) for the rows of X not `observed`, from the posterior mode fitted to
    the observed rows (or from coefficients `B`), rounded to MATCH_DECIMALS."""
    if B is None:
        B, _ = fit_multinomial(X[observed], codes[observed], k)
    return np.round(softmax(X[~observed] @ B, axis=1), MATCH_DECIMALS)


def polyreg_draw(
    rng: np.random.Generator,
    X: np.ndarray,
    codes: np.ndarray,
    observed: np.ndarray,
    k: int,
    prior_sd: float = PRIOR_SD,
    state: dict | None = None,
) -> np.ndarray:
    """Imputed level codes for the rows of X not `observed`: fit the multinomial logit to the
    observed rows, draw its coefficients from the normal approximation to their posterior, and
    draw each missing row's level from its predicted probabilities.

    The level draw is discrete: probabilities are rounded to MATCH_DECIMALS before their
    cumulative sums meet the uniform draw, so last-bit differences between CPUs cannot change it.
    `state` (a dict kept by the caller per chain and variable) carries the last posterior mode
    as the next fit's starting point: fewer Newton steps, the same mode.
    """
    present = np.unique(codes[observed])  # only observed levels are imputed (as mice)
    local = np.searchsorted(present, codes)
    kp = present.size
    state = {} if state is None else state
    Xc, cc, wc = collapsed(X[observed], local[observed])
    B, H = fit_multinomial(Xc, cc, kp, prior_sd, start=state.get("mode"), weights=wc)
    state["mode"] = B
    L = np.linalg.cholesky(np.linalg.inv(H))
    B_dot = B + (L @ rng.standard_normal(L.shape[0])).reshape(kp, -1).T
    probs = category_probabilities(X, local, observed, kp, B_dot)
    cumulative = np.round(np.cumsum(probs, axis=1), MATCH_DECIMALS)
    u = rng.random(len(probs)) * cumulative[:, -1]
    drawn = np.minimum((cumulative < u[:, None]).sum(axis=1), kp - 1)
    return present[drawn]


# --------------------------------------------------------------------------------------------
# Convergence of the chains
# --------------------------------------------------------------------------------------------


def rhat(traces: np.ndarray) -> float:
    """Gelman-Rubin potential scale reduction of one statistic, `traces` (chains x iterations):
    sqrt(((T - 1)/T W + B/T) / W), W the mean within-chain variance and B/T the variance of the
    chain means. NaN when the statistic does not vary within chains (W = 0) or with one chain."""
    traces = np.asarray(traces, dtype=float)
    m, T = traces.shape
    if m < 2 or T < 2:
        return float("nan")
    W = float(traces.var(axis=1, ddof=1).mean())
    B_over_T = float(traces.mean(axis=1).var(ddof=1))
    if W <= 0:
        return float("nan")
    return math.sqrt(((T - 1) / T * W + B_over_T) / W)


def chain_statistics(codes: np.ndarray, k: int, nominal: bool) -> np.ndarray:
    """What is tracked over iterations for one variable's imputed values: the mean level code of
    an ordered variable; the share imputed at each level of a nominal one (no order)."""
    if codes.size == 0:
        return np.zeros(k if nominal else 1)
    if nominal:
        return np.bincount(codes, minlength=k) / codes.size
    return np.array([codes.mean()])


def convergence_table(traces: dict[str, np.ndarray], burn_in: int = 0) -> pd.DataFrame:
    """One row per imputed variable: the largest R-hat over its tracked statistics, over the
    iterations after `burn_in`. `traces[var]` has shape (chains, iterations, statistics)."""
    rows = []
    for var, arr in traces.items():
        kept = arr[:, burn_in:, :]
        values = [rhat(kept[:, :, s]) for s in range(kept.shape[2])]
        finite = [v for v in values if np.isfinite(v)]
        rows.append(
            {
                "variable": var,
                "chains": int(arr.shape[0]),
                "iterations": int(arr.shape[1]),
                "rhat_max": max(finite) if finite else float("nan"),
                "converged": bool(finite) and max(finite) < RHAT_ALARM,
            }
        )
    return pd.DataFrame(rows, columns=["variable", "chains", "iterations", "rhat_max", "converged"])


__all__ = [
    "impose_outcome_exposure_missing",
    "expected_cc_bias",
    "fit_multinomial",
    "category_probabilities",
    "polyreg_draw",
    "rhat",
    "chain_statistics",
    "convergence_table",
    "PRIOR_SD",
    "RHAT_ALARM",
]
