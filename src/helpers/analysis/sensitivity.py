"""Sensitivity analyses of the published associations (Model 3), one tidy frame each.

(a) `firth_vs_ml`            Firth-penalised vs maximum-likelihood logistic regression.
(b) `imputation_analysis`    complete-case vs multiple imputation (chained equations, Rubin's
                             rules) under missingness of three confounders that depends on the
                             outcome and the exposure (helpers.analysis.imputation).
(c) `cutpoint_analysis`      proportional-odds model on the 5-level item vs a binary logit at
                             each of its four cut-points.
(d) `dichotomisation_analysis`  the published cut (often or very often) vs sometimes or more.

Every frame has the columns of SENSITIVITY_COLUMNS: one row per (estimand, variant), the
exposure's log OR and SE, the OR and its 95% CI, p, n, the fitting method, the CI method,
whether the row is the primary (published) specification, and a note. They stack into one frame
for the combined forest plot (`helpers.review.robustness.plot_sensitivity`).

Logistic fits go through `fit_term`, which applies helpers.analysis.models.fit_logistic's rule (maximum
likelihood; Firth's penalised likelihood with profile CI and penalised LR p-value when ML
separates, fails or gives a huge SE) in numpy, profiling the exposure term only; the ordinal
fits are helpers.analysis.models.fit_ordinal's (checked against R in tests/test_models_reference.py). Everything is seeded: the same inputs give the same frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.models import TIDY_COLUMNS, fit_ordinal
from helpers.analysis.patterns import distinct_points, useful_patterns
from helpers.stats.logit import HUGE_SE, Z975, estimable_columns, firth, separated, separated_exactly
from helpers.analysis.simulation import (
    Estimand,
    analysis_rows,
    design_matrix,
    event_indicator,
    fit_logistic,
    published_estimands,
    with_derived,
)


# The tidy frame's statistics (helpers.analysis.models.TIDY_COLUMNS, one definition), for the
# exposure term only (so no "term"; a variant's caveats go in "note", not "warning"), between the
# row's identity and what says how it was computed.
SENSITIVITY_COLUMNS = [
    "estimand",
    "analysis",
    "variant",
    *(c for c in TIDY_COLUMNS if c not in ("term", "warning")),
    "ci_method",
    "primary",
    "note",
]

ANALYSES = {
    "estimator": "Estimator: Firth vs maximum likelihood",
    "missing_data": "Missing data: complete case vs multiple imputation",
    "cutpoints": "Ordinal outcome: proportional odds vs each cut-point",
    "dichotomisation": "Dichotomisation of the outcome",
}


def _row(
    est: Estimand,
    analysis: str,
    variant: str,
    b: float,
    se: float,
    n: int,
    method: str,
    ci: tuple[float, float] | None = None,
    ci_method: str = "Wald",
    primary: bool = False,
    note: str = "",
    df_t: float | None = None,
) -> dict:
    if ci is None:
        q = Z975 if df_t is None or not np.isfinite(df_t) else stats.t.ppf(0.975, df_t)
        ci = (b - q * se, b + q * se)
    if df_t is None or not np.isfinite(df_t):
        p = 2 * stats.norm.sf(abs(b / se)) if se > 0 else float("nan")
    else:
        p = 2 * stats.t.sf(abs(b / se), df_t)
    return {
        "estimand": est.name,
        "analysis": analysis,
        "variant": variant,
        "estimate": b,
        "std_error": se,
        "odds_ratio": math.exp(b),
        "conf_low": math.exp(ci[0]),
        "conf_high": math.exp(ci[1]),
        "p_value": float(p),
        "n": int(n),
        "method": method,
        "ci_method": ci_method,
        "primary": bool(primary),
        "note": note,
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def _estimands(estimands):
    return published_estimands() if estimands is None else list(estimands)


def _cut_estimands(df: pd.DataFrame, estimands):
    """(estimand, its 5-level source item, the item's levels) for estimands whose outcome is cut
    from an ordinal item; the others (uses_outcome_measures) are skipped."""
    for est in _estimands(estimands):
        source = ordinal_source(est.outcome)
        if source is not None:
            yield est, source, list(df[source].cat.categories)


# --------------------------------------------------------------------------------------------
# (a) Firth vs maximum likelihood
# --------------------------------------------------------------------------------------------


@dataclass
class TermFit:
    """One exposure term from a Model 3 logistic fit (ML, or Firth after separation)."""

    estimate: float
    std_error: float
    conf_low: float  # log scale
    conf_high: float
    p_value: float
    n: int
    method: str  # 'ml' | 'firth'
    warning: str = ""


def firth_term(X: np.ndarray, y: np.ndarray, j: int) -> tuple[float, float, tuple[float, float], float]:
    """Firth logistic regression for column j of a design with its intercept in column 0:
    (estimate, SE from the Fisher information at the penalised estimate, profile penalised-likelihood
    95% CI, penalised likelihood-ratio p), i.e. what R's logistf and helpers.analysis.models report,
    with the profile computations for column j only."""
    fit = firth(X, y.astype(int), features=[j])
    b, se = float(fit.params[j]), float(np.sqrt(fit.cov[j, j]))
    return b, se, (float(fit.conf_int[j, 0]), float(fit.conf_int[j, 1])), float(fit.p_values[j])


def fit_term(df: pd.DataFrame, outcome: str, est: Estimand, firth="auto") -> TermFit:
    """Model 3 (exposure + est.covariates) for `outcome`, the exposure term only, complete cases.

    The decision rule of helpers.analysis.models.fit_logistic: maximum likelihood (Wald CI and p), and with
    firth='auto' Firth's penalised likelihood when ML separates, fails to converge or gives a
    standard error above 10; firth=True always Firth, False never. Fast: numpy Newton-Raphson,
    and the Firth profile CI / LR test for the exposure term only.
    """
    spec = Estimand(est.name, outcome, est.exposure, est.term, covariates=tuple(est.covariates))
    X, names, complete = analysis_rows(df, spec)
    X, y = X[complete], event_indicator(df[outcome])[complete]
    if np.all(y == y[0]):  # as helpers.analysis.models.fit_logistic: no odds ratio to estimate
        raise ValueError(f"outcome '{outcome}' has a single level in the analysed sample")
    cols = estimable_columns(X)[0]
    if not cols.all():  # absent or aliased columns among these rows: the fit without them, as glm's
        X, names = X[:, cols], [name for name, kept in zip(names, cols) if kept]
        if est.term not in names:
            raise ValueError(f"{est.term} is aliased with other terms of Model 3 in this sample")
    j = names.index(est.term)
    n = int(complete.sum())
    problems: list[str] = []
    if firth is not True:
        # On the covariate patterns where they repeat: the same fit and separation check as on the
        # rows, at the cost of the distinct rows (helpers.analysis.patterns).
        pat = useful_patterns(X)
        if pat is None:
            fit = fit_logistic(X, y, names=names)
        else:
            share, counts = pat.shares(y)
            fit = fit_logistic(pat.X, share, weights=counts, names=names)
        if not fit.converged:
            problems.append("maximum likelihood did not converge")
        if not np.all(np.isfinite(fit.std_errors)) or np.any(fit.std_errors > HUGE_SE):
            problems.append("huge standard errors")
        if separated_exactly(X, y, None, fit.params):
            problems.insert(0, "separation detected")
        if firth is False or not problems:
            b, se = fit.coef(est.term)
            p = float(2 * stats.norm.sf(abs(b / se)))
            return TermFit(b, se, b - Z975 * se, b + Z975 * se, p, n, "ml", "; ".join(problems))
    b, se, (lo, hi), p = firth_term(X, y, j)
    note = "; ".join([*problems, "Firth penalised likelihood (profile-likelihood CI, penalised LR p-value)"])
    return TermFit(b, se, lo, hi, p, n, "firth", note)


def _term_row(est: Estimand, analysis: str, variant: str, fit: TermFit, primary: bool = False, note: str = "") -> dict:
    return {
        "estimand": est.name,
        "analysis": analysis,
        "variant": variant,
        "estimate": fit.estimate,
        "std_error": fit.std_error,
        "odds_ratio": math.exp(fit.estimate),
        "conf_low": math.exp(fit.conf_low),
        "conf_high": math.exp(fit.conf_high),
        "p_value": fit.p_value,
        "n": fit.n,
        "method": fit.method,
        "ci_method": "profile penalised likelihood" if fit.method == "firth" else "Wald",
        "primary": bool(primary),
        "note": "; ".join(x for x in (note, fit.warning) if x),
    }


def firth_vs_ml(df: pd.DataFrame, estimands=None) -> pd.DataFrame:
    """Model 3 under the report's rule (maximum likelihood with Wald CI and p, Firth if the fit is
    separated) and by Firth's penalised likelihood throughout (profile penalised-likelihood CI and
    penalised LR p, as R's logistf), as helpers.analysis.models."""
    df = with_derived(df)
    rows = []
    for est in _estimands(estimands):
        rows.append(
            _term_row(
                est,
                "estimator",
                "Maximum likelihood (Firth if separated)",
                fit_term(df, est.outcome, est),
                primary=True,
            )
        )
        rows.append(
            _term_row(est, "estimator", "Firth penalised likelihood", fit_term(df, est.outcome, est, firth=True))
        )
    return _frame(rows)


# --------------------------------------------------------------------------------------------
# (b) Complete case vs multiple imputation
# --------------------------------------------------------------------------------------------


def rubin_pool(estimates, variances, df_complete: float | None = None) -> dict[str, float]:
    """Rubin's rules for one scalar across m imputations (Rubin 1987; Barnard & Rubin 1999 df).

    estimate = mean Q_l; within W = mean U_l; between B = var(Q_l, ddof=1);
    total T = W + (1 + 1/m) B; se = sqrt(T); lambda = (1 + 1/m) B / T;
    df_old = (m - 1) / lambda^2; with `df_complete` (the complete-data residual df, n - p) the
    Barnard-Rubin df = 1 / (1/df_old + 1/df_obs), df_obs = (v+1)/(v+3) v (1 - lambda).
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = q.size
    qbar = float(q.mean())
    w = float(u.mean())
    b = float(q.var(ddof=1)) if m > 1 else 0.0
    t = w + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t if t > 0 else 0.0
    df_old = (m - 1) / lam**2 if lam > 0 else float("inf")
    dof = df_old
    if df_complete is not None and np.isfinite(df_complete):
        df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        dof = 1 / (1 / df_old + 1 / df_obs) if np.isfinite(df_old) else df_obs
    riv = (1 + 1 / m) * b / w if w > 0 else float("nan")
    return {
        "estimate": qbar,
        "within": w,
        "between": b,
        "total": t,
        "std_error": math.sqrt(t),
        "df": dof,
        "lambda": lam,
        "riv": riv,
        "m": m,
    }


def _dummies(codes: np.ndarray, k: int) -> np.ndarray:
    # Treatment-coded indicators of levels 1..k-1 (level 0 = reference).
    return (codes[:, None] == np.arange(1, k)[None, :]).astype(float)


MATCH_DECIMALS = 8


def pmm_draw(
    rng: np.random.Generator, X: np.ndarray, y: np.ndarray, observed: np.ndarray, donors: int = 5, ridge: float = 1e-5
) -> np.ndarray:
    """Predictive mean matching with a Bayesian draw of the regression (van Buuren 2018,
    Flexible Imputation of Missing Data, algorithm 3.3; R mice's ``pmm``, type-1 matching).

    Fit y ~ X on the observed rows (ridge `ridge` as mice), draw sigma^2 and beta from their
    posterior, predict the missing rows with the drawn beta and the observed rows with the
    estimate, and give each missing row the observed value of one of its `donors` nearest
    observed rows (chosen at random). Returns the imputed values of the missing rows.
    """
    Xo, yo, Xm = X[observed], y[observed], X[~observed]
    xtx = Xo.T @ Xo
    V = np.linalg.inv(xtx + ridge * np.diag(np.diag(xtx)) + 1e-12 * np.eye(len(xtx)))
    beta = V @ Xo.T @ yo
    resid = yo - Xo @ beta
    dof = max(int(observed.sum()) - X.shape[1], 1)
    sigma = math.sqrt(float(resid @ resid) / rng.chisquare(dof))
    L = np.linalg.cholesky((V + V.T) / 2)
    beta_dot = beta + sigma * (L @ rng.standard_normal(X.shape[1]))
    # Donor choice is discrete: last-bit differences between CPUs' SIMD kernels must not
    # reorder donors. Predictions are rounded to MATCH_DECIMALS before matching (far below any
    # real difference between predictive means, far above floating-point noise) and ties go to
    # the observed row that comes first (a stable sort, not argpartition's arbitrary order).
    yhat_obs = np.round(Xo @ beta, MATCH_DECIMALS)
    yhat_mis = np.round(Xm @ beta_dot, MATCH_DECIMALS)
    d = min(donors, len(yo))
    nearest = nearest_observed(yhat_mis, yhat_obs, d)
    pick = nearest[np.arange(len(Xm)), rng.integers(0, d, size=len(Xm))]
    return yo[pick]


def nearest_donors(dist: np.ndarray, d: int) -> np.ndarray:
    """Per row of `dist`, the column indices of its d smallest entries in (distance, index)
    order: exactly ``np.argsort(dist, axis=1, kind="stable")[:, :d]``, in linear rather than
    n log n time per row (a partition finds the d-th distance; ties at it go to the lowest
    indices), which matters at thousands of respondents."""
    rows = np.arange(len(dist))[:, None]
    if d >= dist.shape[1]:
        return np.argsort(dist, axis=1, kind="stable")
    threshold = np.partition(dist, d - 1, axis=1)[:, d - 1 : d]
    below = dist < threshold
    tied = dist == threshold
    room = d - below.sum(axis=1, keepdims=True)
    chosen = below | (tied & (np.cumsum(tied, axis=1) <= room))
    columns = np.nonzero(chosen)[1].reshape(len(dist), d)  # ascending index within each row
    return columns[rows, np.argsort(dist[rows, columns], axis=1, kind="stable")]


def _distances(yhat_mis: np.ndarray, yhat_obs: np.ndarray) -> np.ndarray:
    return np.round(np.abs(yhat_mis[:, None] - yhat_obs[None, :]), MATCH_DECIMALS)


def nearest_observed(yhat_mis: np.ndarray, yhat_obs: np.ndarray, d: int, window: int | None = None) -> np.ndarray:
    """``nearest_donors(round(|yhat_mis - yhat_obs|), d)`` without the missing x observed
    distance matrix (quadratic in n): the same donors in the same order, in n log n time.

    Observed rows with the same predictive mean form a group (categorical predictors give many);
    within a group, rows are taken in index order, so only a group's first d rows can be donors.
    Groups sorted by value are nearer the further in they are from a missing row's value, so the
    d nearest rows lie in the `window` (d + 1) groups on either side of it: the distances are
    computed for those candidates only, in index order, and `nearest_donors` picks among them.
    Where the outermost candidate group of a side is not strictly farther than the d-th donor
    (possible only with rounding ties), that row falls back to the full comparison.
    """
    yhat_mis, yhat_obs = np.asarray(yhat_mis, dtype=float), np.asarray(yhat_obs, dtype=float)
    n_obs = yhat_obs.size
    if d >= n_obs or yhat_mis.size == 0:
        return nearest_donors(_distances(yhat_mis, yhat_obs), d)
    window = d + 1 if window is None else window
    order = np.argsort(yhat_obs, kind="stable")  # by (value, index)
    values, starts, sizes = np.unique(yhat_obs[order], return_index=True, return_counts=True)
    # members[g, r]: the r-th lowest index of group g (r < d); n_obs pads smaller groups.
    offsets = np.arange(d)
    members = np.where(offsets < sizes[:, None], order[np.minimum(starts[:, None] + offsets, n_obs - 1)], n_obs)
    groups = values.size
    pos = np.searchsorted(values, yhat_mis)
    span = np.arange(-window, window)
    cand_groups = pos[:, None] + span[None, :]
    inside = (cand_groups >= 0) & (cand_groups < groups)
    cand = np.where(inside[:, :, None], members[np.clip(cand_groups, 0, groups - 1)], n_obs).reshape(len(pos), -1)
    cand.sort(axis=1)  # index order: ties go to the lowest index, as in the full comparison
    padded = np.append(yhat_obs, np.nan)
    dist = np.round(np.abs(yhat_mis[:, None] - padded[cand]), MATCH_DECIMALS)
    dist[cand == n_obs] = np.inf
    picked = nearest_donors(dist, d)
    rows = np.arange(len(pos))[:, None]
    out = cand[rows, picked]
    # Exactness check: beyond each side of the window, every group must be farther than the d-th donor.
    last = dist[rows[:, 0], picked[:, -1]]
    left, right = pos - window, pos + window - 1
    with np.errstate(invalid="ignore"):
        left_far = (left <= 0) | (
            np.round(np.abs(yhat_mis - values[np.clip(left, 0, groups - 1)]), MATCH_DECIMALS) > last
        )
        right_far = (right >= groups - 1) | (
            np.round(np.abs(yhat_mis - values[np.clip(right, 0, groups - 1)]), MATCH_DECIMALS) > last
        )
    unsure = np.flatnonzero(~(left_far & right_far))
    if unsure.size:
        out[unsure] = nearest_donors(_distances(yhat_mis[unsure], yhat_obs), d)
    return out


def mice_imputations(
    df: pd.DataFrame,
    columns: list[str],
    m: int = 20,
    iterations: int = 10,
    donors: int = 5,
    seed: int = 2025,
) -> list[pd.DataFrame]:
    """m completed copies of `df` by chained equations (`mice`, without its chain traces)."""
    return mice(df, columns, m, iterations, donors, seed)[0]


def imputation_method(series: pd.Series) -> str:
    """'polyreg' for an unordered categorical with more than two levels (nominal: gender,
    ethnicity, employer type), 'pmm' for an ordered or a binary one (R mice's defaults are
    polyreg, polr and logreg; PMM on the level index keeps the order of an ordinal variable)."""
    nominal = not series.cat.ordered and len(series.cat.categories) > 2
    return "polyreg" if nominal else "pmm"


def mice(
    df: pd.DataFrame,
    columns: list[str],
    m: int = 20,
    iterations: int = 10,
    donors: int = 5,
    seed: int = 2025,
) -> tuple[list[pd.DataFrame], dict[str, np.ndarray]]:
    """m completed copies of `df` by multivariate imputation by chained equations (MICE), and
    the chain traces for the convergence check (helpers.analysis.imputation.convergence_table).

    Every column in `columns` must be categorical. Each incomplete column is imputed in turn
    from indicators of every other column's levels (current imputations included; outcomes and
    exposures among them): nominal columns by multinomial logistic regression with a draw of the
    coefficients (`helpers.analysis.imputation.polyreg_draw`), ordered and binary ones by predictive mean
    matching on the level index (`pmm_draw`); imputed values are always observed levels. m
    independent chains of `iterations` cycles (R mice's defaults are 5 and 5; 20 and 10 here),
    started from random draws of the observed values; one seeded numpy Generator. The traces
    hold, per incomplete column, an array (chains x iterations x statistics) of
    `helpers.analysis.imputation.chain_statistics` of its imputed values after each cycle.
    """
    from helpers.analysis.imputation import chain_statistics, polyreg_draw

    rng = np.random.default_rng(np.random.SeedSequence(seed))
    codes = {c: df[c].cat.codes.to_numpy().astype(int) for c in columns}
    k = {c: len(df[c].cat.categories) for c in columns}
    missing = {c: codes[c] < 0 for c in columns}
    incomplete = [c for c in columns if missing[c].any()]
    if not incomplete:
        return [df.copy() for _ in range(m)], {}
    method = {c: imputation_method(df[c]) for c in incomplete}
    fixed = {c: _dummies(codes[c], k[c]) for c in columns if c not in incomplete}
    traces = {c: np.zeros((m, iterations, k[c] if method[c] == "polyreg" else 1)) for c in incomplete}
    completed = []
    for chain in range(m):
        current = {c: codes[c].copy() for c in incomplete}
        warm = {c: {} for c in incomplete}  # polyreg's last posterior mode, per variable
        for c in incomplete:
            observed_values = codes[c][~missing[c]]
            current[c][missing[c]] = rng.choice(observed_values, size=int(missing[c].sum()))
        for it in range(iterations):
            for c in incomplete:
                blocks = [np.ones((len(df), 1))]
                blocks += [fixed[o] for o in columns if o in fixed]
                blocks += [_dummies(current[o], k[o]) for o in incomplete if o != c]
                X = np.hstack(blocks)
                keep = (X[~missing[c]].std(axis=0) > 0) | (np.arange(X.shape[1]) == 0)
                X = X[:, keep]
                if method[c] == "polyreg":
                    current[c][missing[c]] = polyreg_draw(rng, X, current[c], ~missing[c], k[c], state=warm[c])
                else:
                    current[c][missing[c]] = pmm_draw(rng, X, current[c].astype(float), ~missing[c], donors).astype(int)
                traces[c][chain, it] = chain_statistics(current[c][missing[c]], k[c], method[c] == "polyreg")
        filled = df.copy()
        for c in incomplete:
            filled[c] = pd.Categorical.from_codes(current[c], dtype=df[c].dtype)
        completed.append(filled)
    return completed, traces


IMPUTED_VARIABLES = ("education", "ethnicity", "employer_type")


def imputation_analysis(
    df: pd.DataFrame,
    estimands=None,
    variables: tuple[str, ...] = IMPUTED_VARIABLES,
    high: float = 0.15,
    low: float = 0.03,
    m: int = 20,
    iterations: int = 10,
    seed: int = 2025,
) -> pd.DataFrame:
    """Data before vs complete case vs multiple imputation after imposing missingness that
    biases complete-case analysis.

    Mechanism (helpers.analysis.imputation.impose_outcome_exposure_missing): each of `variables` (an
    ordinal and two nominal Model 3 covariates) goes missing with probability `high` (15%) among
    respondents exposed and with the outcome of the first estimand (the headline association),
    `low` (3%) otherwise; complete cases then under-represent that cell, biasing the headline OR
    by about `expected_cc_bias` on the log scale (other associations share some of it through
    their correlation with that exposure and outcome). The imputation model holds every Model 3
    variable and every estimand's exposure and outcome, so the mechanism is MAR given it;
    Model 3 is fitted to each of the m completed data sets and pooled by Rubin's rules
    (Barnard-Rubin df). The row before imposed missingness is the benchmark the two methods
    should approach (on a real file, itself a complete-case fit of the data as observed; any
    missing values already there are imputed along with the imposed ones). The chains'
    convergence (R-hat per imputed variable, second half of the iterations) is in
    ``attrs['convergence']`` (records) with m and the number of iterations.
    """
    from helpers.analysis.imputation import convergence_table, expected_cc_bias, impose_outcome_exposure_missing

    df = with_derived(df)
    estimands = _estimands(estimands)
    driver = estimands[0]
    amputed = impose_outcome_exposure_missing(df, variables, driver.outcome, driver.exposure, high, low, seed)
    columns = list(dict.fromkeys([c for e in estimands for c in (e.outcome, e.exposure, *e.covariates)]))
    completed, traces = mice(amputed, columns, m=m, iterations=iterations, seed=seed)
    n_missing = {v: int(amputed[v].isna().sum() - df[v].isna().sum()) for v in variables}
    expected = expected_cc_bias(len(variables), high, low)
    mech = (
        f"missing more often if {driver.exposure} and {driver.outcome} ({100 * high:g}% vs {100 * low:g}%): "
        f"{', '.join(f'{v} {k}' for v, k in n_missing.items())} values missing"
    )
    rows = []
    for est in estimands:
        rows.append(
            _term_row(est, "missing_data", "Before imposed missingness", fit_term(df, est.outcome, est), primary=True)
        )
        note = mech + (f"; expected complete-case bias {expected:+.2f} (log OR)" if est is driver else "")
        rows.append(_term_row(est, "missing_data", "Complete case", fit_term(amputed, est.outcome, est), note=note))
        qs, us, methods = [], [], set()
        for filled in completed:
            fit = fit_term(filled, est.outcome, est)
            qs.append(fit.estimate)
            us.append(fit.std_error**2)
            methods.add(fit.method)
        n_params = design_matrix(filled, [est.exposure, *est.covariates])[0].shape[1]
        pooled = rubin_pool(qs, us, df_complete=float(fit.n) - n_params)
        rows.append(
            _row(
                est,
                "missing_data",
                f"Multiple imputation (m = {m})",
                pooled["estimate"],
                pooled["std_error"],
                int(fit.n),
                "/".join(sorted(methods)) + ", Rubin's rules",
                ci_method=f"t ({pooled['df']:.0f} df)",
                df_t=pooled["df"],
                note=f"fraction of missing information {pooled['lambda']:.3f}",
            )
        )
    out = _frame(rows)
    convergence = convergence_table(traces, burn_in=iterations // 2)
    convergence["method"] = [imputation_method(df[v]) for v in convergence["variable"]]
    out.attrs.update(
        {
            "m": m,
            "iterations": iterations,
            "expected_cc_bias": expected,
            "driver": driver.name,
            "high": high,
            "low": low,
            "convergence": convergence.to_dict("records"),
        }
    )
    return out


# --------------------------------------------------------------------------------------------
# (c) Proportional odds vs binary logits at each cut-point; (d) dichotomisation
# --------------------------------------------------------------------------------------------


def ordinal_source(outcome: str) -> str | None:
    """The 5-level item a derived binary outcome is cut from (codebook `derived`), or None."""
    from helpers.data.codebook import load_codebook

    derived = load_codebook().derived.get(outcome)
    return derived.source if derived is not None else None


def cut_label(levels: list[str], k: int) -> str:
    """Name of the binary outcome 'level k or higher vs below', e.g. 'Sometimes or more vs Never/Rarely'."""
    lower, upper = levels[:k], levels[k:]
    up = upper[0] if len(upper) == 1 else f"{upper[0]} or more"
    return f"{up} vs {'/'.join(lower)}"


CUT_COLUMN = "_cut_outcome"


def _with_cut(df: pd.DataFrame, source: str, k: int) -> pd.DataFrame:
    # Binary 'level k or higher' of the ordinal item as a No/Yes Categorical (NA stays NA).
    codes = df[source].cat.codes.to_numpy()
    values = np.where(codes < 0, None, np.where(codes >= k, "Yes", "No"))
    out = df.copy()
    out[CUT_COLUMN] = pd.Categorical(values, categories=["No", "Yes"])
    return out


def cutpoint_analysis(df: pd.DataFrame, estimands=None) -> pd.DataFrame:
    """For estimands whose outcome is cut from a 5-level item: the proportional-odds OR (Model 3,
    helpers.analysis.models.fit_ordinal, polr's sign) and the binary-logit OR of 'level k or higher' at each
    of the four cut-points. Under proportional odds the cut-point ORs scatter around the single
    ordinal OR. Outcomes without an ordinal source (uses_outcome_measures) are skipped."""
    from helpers.data.codebook import load_codebook

    cb = load_codebook()
    df = with_derived(df)
    rows = []
    for est, source, levels in _cut_estimands(df, estimands):
        spec = Estimand(est.name, source, est.exposure, est.term, covariates=tuple(est.covariates))
        X, names, complete = analysis_rows(df, spec)
        X, codes = X[complete], df[source].cat.codes.to_numpy()[complete]
        fit = fit_ordinal(df, source, est.exposure, list(est.covariates))
        j = fit.names.index(est.term)
        b, s_b = float(fit.params[j]), float(fit.std_errors[j])
        notes = [w for w in fit.warnings if w == "maximum likelihood did not converge"]
        # The cuts with respondents on both sides: a level absent at an end of the scale leaves
        # one outcome at the cut beyond it, which is no split of the fitted model (it fits the
        # thresholds between the observed levels) and has no binary odds ratio.
        seen = np.bincount(codes, minlength=len(levels)) > 0
        cuts = [k for k in range(1, len(levels)) if seen[:k].any() and seen[k:].any()]
        if len(cuts) < len(levels) - 1:
            absent = [level for level, s in zip(levels, seen) if not s]
            notes.append(
                f"no respondent at level(s) {', '.join(absent)}: the cut-point(s) with one outcome only not fitted"
            )
        for cut in cuts:
            if separated(*distinct_points(X, (codes >= cut).astype(float))):
                notes.append(f"separation detected at split {levels[cut - 1]}|{levels[cut]}")
                break
        term = TermFit(
            b,
            s_b,
            b - Z975 * s_b,
            b + Z975 * s_b,
            float(2 * stats.norm.sf(abs(b / s_b))),
            int(complete.sum()),
            "ml (ordinal)",
            "; ".join(notes),
        )
        rows.append(_term_row(est, "cutpoints", "Proportional odds (5 levels)", term, note=cb.label(source)))
        published = set(cb.derived[est.outcome].events)
        for k in cuts:
            fit = fit_term(_with_cut(df, source, k), CUT_COLUMN, est)
            rows.append(_term_row(est, "cutpoints", cut_label(levels, k), fit, primary=set(levels[k:]) == published))
    return _frame(rows)


def dichotomisation_analysis(df: pd.DataFrame, estimands=None, alternative: str = "Sometimes") -> pd.DataFrame:
    """The published binary outcome (often or very often) vs the looser cut (`alternative` or
    more often), Model 3 logistic, for estimands whose outcome is cut from a 5-level item."""
    from helpers.data.codebook import load_codebook

    cb = load_codebook()
    df = with_derived(df)
    rows = []
    for est, source, levels in _cut_estimands(df, estimands):
        k_pub = min(levels.index(e) for e in cb.derived[est.outcome].events)
        k_alt = levels.index(alternative)
        for k, variant, primary in (
            (k_pub, f"{levels[k_pub]} or more often (published cut)", True),
            (k_alt, f"{levels[k_alt]} or more often", False),
        ):
            data = _with_cut(df, source, k)
            share = float((data[CUT_COLUMN] == "Yes").sum() / data[CUT_COLUMN].notna().sum())
            rows.append(
                _term_row(
                    est,
                    "dichotomisation",
                    variant,
                    fit_term(data, CUT_COLUMN, est),
                    primary=primary,
                    note=f"{100 * share:.1f}% in the outcome group",
                )
            )
    return _frame(rows)


def all_sensitivity(df: pd.DataFrame, estimands=None, seed: int = 2025, m: int = 20) -> pd.DataFrame:
    """(a)-(d) stacked in one tidy frame."""
    estimands = _estimands(estimands)
    parts = [
        firth_vs_ml(df, estimands),
        imputation_analysis(df, estimands, m=m, seed=seed),
        cutpoint_analysis(df, estimands),
        dichotomisation_analysis(df, estimands),
    ]
    imputation_attrs = dict(parts[1].attrs)
    for part in parts:
        part.attrs = {}
    out = pd.concat(parts, ignore_index=True)
    out.attrs["imputation"] = imputation_attrs  # m, iterations, convergence, expected bias
    return out


__all__ = [
    "SENSITIVITY_COLUMNS",
    "ANALYSES",
    "TermFit",
    "fit_term",
    "firth_term",
    "separated",
    "firth_vs_ml",
    "rubin_pool",
    "pmm_draw",
    "mice_imputations",
    "mice",
    "imputation_method",
    "imputation_analysis",
    "ordinal_source",
    "cut_label",
    "cutpoint_analysis",
    "dichotomisation_analysis",
    "all_sensitivity",
]
