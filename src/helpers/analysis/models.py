"""Logistic and proportional-odds fits returning the project's tidy result frame.

Public API (stable; used outside this repository):

- ``logistic(df, outcome, exposure, covariates=(), weights=None)``
- ``ordinal(df, outcome, exposure, covariates=(), weights=None)``
- ``sequential(df, outcome, exposure, kind='logistic', demographics=None, job=None, weights=None)``
- ``adjustment_sets(exposure, outcome=None, demographics=None, job=None)``
- ``exposure_rows(tidy, exposure=None)``
- ``wald_test_terms(df, outcome, exposure, covariates=(), kind='logistic', weights=None, terms=None)``
- ``term_label(term, codebook=None)``, ``parse_term(term)``

Tidy frame columns (ARCHITECTURE.md): term, estimate, std_error, odds_ratio, conf_low, conf_high,
p_value, n, method ('ml' or 'firth'), warning; plus ``model`` first when models are stacked, and
``outcome`` and ``exposure`` last (so frames from several analyses can be stacked).
``estimate``/``std_error`` are on the log-odds scale; ``odds_ratio``/``conf_low``/``conf_high`` are
their exponentials (Wald 95% CI for maximum likelihood; for a Firth fit, the profile penalised
likelihood CI and penalised likelihood-ratio p-value, as R's ``logistf`` reports by default).

Conventions checked against R (tests/test_models_reference.py):

- logistic: ``glm(y ~ ..., family = binomial)``; the event is the last level of a No/Yes
  Categorical. Frequency weights = ``glm(..., weights = w)``; n is then the sum of the weights.
- ordinal: ``MASS::polr`` (= ``ordinal::clm``): logit P(Y <= j) = zeta_j - eta; thresholds are
  rows named like ``Never|Rarely`` with the cut-point estimate and its standard error from the
  observed information on the cut-point scale (what ``summary(polr)`` prints).
- Complete cases only, over outcome, exposure, covariates and weights.
- Separation (linear-programming check of Konis 2007 via ``firthmodels.detect_separation``;
  for an ordinal fit, at every cumulative split), non-convergence or absurd standard errors
  (> 10 on the log-odds scale) are reported in ``warning``; a logistic fit then falls back to
  Firth's penalised likelihood (``method = 'firth'``). Ordinal fits are only flagged. Empty or
  sparse (< 5) cells of exposure x outcome are reported too.
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.stats as st
from scipy.special import expit
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.numdiff import approx_fprime

from helpers.stats.logit import HUGE_SE, Z975, fisher_cov, separated, separated_exactly
from helpers.stats.logit import firth as firth_fit
from helpers.stats.design import (
    INTERCEPT,
    Design,
    binary_outcome,
    build_design,
    complete_cases,
    frequency_weights,
    is_categorical,
    observed_levels,
    ordinal_outcome,
    parse_term,
    total_n,
)

__all__ = [
    "TIDY_COLUMNS",
    "MODEL_NAMES",
    "logistic",
    "ordinal",
    "sequential",
    "adjustment_sets",
    "exposure_rows",
    "wald_test_terms",
    "term_label",
    "parse_term",
    "fit_logistic",
    "fit_ordinal",
    "ModelFit",
]

TIDY_COLUMNS = [
    "term",
    "estimate",
    "std_error",
    "odds_ratio",
    "conf_low",
    "conf_high",
    "p_value",
    "n",
    "method",
    "warning",
]
MODEL_NAMES = ("Model 1", "Model 2", "Model 3")

# Cells of exposure x outcome with fewer observations than this are reported as sparse.
SPARSE_CELL = 5


# --------------------------------------------------------------------------------------------
# The fitted model
# --------------------------------------------------------------------------------------------


@dataclass
class ModelFit:
    """A fitted model: parameters and covariance on the log-odds scale, plus bookkeeping."""

    kind: str  # 'logistic' | 'ordinal'
    outcome: str
    exposure: str
    names: list[str]
    params: np.ndarray
    cov: np.ndarray
    n: int | float
    method: str  # 'ml' | 'firth'
    design: Design
    warnings: list[str] = field(default_factory=list)
    p_values: np.ndarray | None = None  # overrides the Wald p-values (Firth: penalised LRT)
    conf_int: np.ndarray | None = None  # overrides the Wald CIs (Firth: profile likelihood)

    @property
    def std_errors(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0, None))

    @property
    def warning(self) -> str:
        return "; ".join(dict.fromkeys(w for w in self.warnings if w))

    def tidy(self) -> pd.DataFrame:
        se = self.std_errors
        if self.p_values is not None:
            p = self.p_values
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                p = 2 * st.norm.sf(np.abs(self.params / se))
        if self.conf_int is not None:
            low, high = self.conf_int[:, 0], self.conf_int[:, 1]
        else:
            low, high = self.params - Z975 * se, self.params + Z975 * se
        with np.errstate(over="ignore"):
            frame = pd.DataFrame(
                {
                    "term": self.names,
                    "estimate": self.params,
                    "std_error": se,
                    "odds_ratio": np.exp(self.params),
                    "conf_low": np.exp(low),
                    "conf_high": np.exp(high),
                    "p_value": p,
                    "n": self.n,
                    "method": self.method,
                    "warning": self.warning,
                }
            )
        frame["outcome"] = self.outcome
        frame["exposure"] = self.exposure
        return frame

    def wald(self, names: Sequence[str]) -> tuple[float, int, float]:
        """Joint Wald chi-square test that the parameters `names` are all zero."""
        idx = [self.names.index(name) for name in names]
        b = self.params[idx]
        V = self.cov[np.ix_(idx, idx)]
        chi2 = float(b @ np.linalg.solve(V, b))
        return chi2, len(idx), float(st.chi2.sf(chi2, len(idx)))


# --------------------------------------------------------------------------------------------
# Checks shared by both kinds of model
# --------------------------------------------------------------------------------------------


def _sparse_cell_warnings(data: pd.DataFrame, outcome: str, exposure: str, w: np.ndarray) -> list[str]:
    """Empty or sparse cells of exposure x outcome (categorical exposures only)."""
    if not is_categorical(data[exposure]):
        return []
    x, y = data[exposure], data[outcome]
    if isinstance(x.dtype, pd.CategoricalDtype) and isinstance(y.dtype, pd.CategoricalDtype):
        # the cross-table of the integer codes (the rows are complete), observed levels only
        nx, ny = len(x.cat.categories), len(y.cat.categories)
        cx, cy = x.cat.codes.to_numpy().astype(np.int64), y.cat.codes.to_numpy().astype(np.int64)
        cells = np.bincount(cx * ny + cy, weights=w, minlength=nx * ny).reshape(nx, ny)
        seen_x = np.bincount(cx, minlength=nx) > 0
        seen_y = np.bincount(cy, minlength=ny) > 0
        smallest = float(cells[np.ix_(seen_x, seen_y)].min())
    else:
        smallest = _smallest_cell(data, outcome, exposure, w)
    if smallest == 0:
        return [f"empty cell in {exposure} x {outcome}"]
    if smallest < SPARSE_CELL:
        return [f"sparse cell in {exposure} x {outcome} (smallest count {smallest:g})"]
    return []


def _smallest_cell(data: pd.DataFrame, outcome: str, exposure: str, w: np.ndarray) -> float:
    table = (
        pd.DataFrame(
            {"x": data[exposure].astype(object).to_numpy(), "y": data[outcome].astype(object).to_numpy(), "w": w}
        )
        .pivot_table(index="x", columns="y", values="w", aggfunc="sum", fill_value=0)
        .reindex(index=observed_levels(data[exposure]), columns=observed_levels(data[outcome]), fill_value=0)
    )
    return float(table.to_numpy().min())


def _covariate_list(exposure: str, covariates: Sequence[str], outcome: str) -> list[str]:
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    return [c for c in dict.fromkeys(covariates) if c not in (exposure, outcome)]


def _prepare(df, outcome, exposure, covariates, weights):
    covariates = _covariate_list(exposure, covariates, outcome)
    data = complete_cases(df, [outcome, exposure, *covariates, weights])
    w = frequency_weights(data, weights)
    if not np.all(w > 0):
        data, w = data.loc[w > 0], w[w > 0]
    if len(data) == 0:
        raise ValueError("no complete cases to fit")
    design = build_design(data, [exposure, *covariates], intercept=True)
    return data, w, covariates, design


# --------------------------------------------------------------------------------------------
# Logistic regression
# --------------------------------------------------------------------------------------------


def fit_logistic(df, outcome, exposure, covariates=(), weights=None, firth="auto") -> ModelFit:
    """Fit a logistic regression and return the :class:`ModelFit` (see :func:`logistic`).

    firth: 'auto' (fall back to Firth on separation or a failed ML fit), True (always Firth) or
    False (never).
    """
    data, w, covariates, design = _prepare(df, outcome, exposure, covariates, weights)
    y, event, _ = binary_outcome(data[outcome])
    if np.all(y == 1) or np.all(y == 0):
        raise ValueError(f"outcome '{outcome}' has a single level in the analysed sample")
    X = design.X
    notes = list(design.warnings)
    notes += _sparse_cell_warnings(data, outcome, exposure, w)

    problems: list[str] = []
    params = cov = None
    if firth is not True:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            try:
                result = GLM(y, X, family=families.Binomial(), freq_weights=w).fit(maxiter=100)
                params = np.asarray(result.params)
                # IRLS's own covariance uses the weights of the iteration before the last (off
                # in the 6th digit); the inverse information at the estimate is what R prints
                cov = fisher_cov(X, params, w)
                converged = bool(getattr(result, "converged", True))
            except Exception as exc:  # singular information, overflow, ...
                converged = False
                problems.append(f"maximum likelihood fit failed ({type(exc).__name__})")
        if params is not None:
            if not converged or any("converge" in str(c.message).lower() for c in caught):
                problems.append("maximum likelihood did not converge")
            se = np.sqrt(np.clip(np.diag(cov), 0, None))
            if not np.all(np.isfinite(se)) or np.any(se > HUGE_SE):
                problems.append("huge standard errors")
        if separated_exactly(X, y, w, params):
            problems.insert(0, "separation detected")

    use_firth = firth is True or (firth == "auto" and bool(problems))
    if use_firth:
        fit = firth_fit(X, y, w)
        params, cov, p_values, ci, converged = fit.params, fit.cov, fit.p_values, fit.conf_int, fit.converged
        notes += problems
        notes.append("Firth penalised likelihood (profile-likelihood CI, penalised LR p-value)")
        if not converged:
            notes.append("Firth fit did not converge")
        return ModelFit(
            "logistic",
            outcome,
            exposure,
            design.names,
            params,
            cov,
            total_n(w),
            "firth",
            design,
            notes,
            p_values=p_values,
            conf_int=ci,
        )
    notes += problems
    if params is None:
        raise RuntimeError(f"maximum likelihood fit of {outcome} failed: {'; '.join(problems)}")
    return ModelFit("logistic", outcome, exposure, design.names, params, cov, total_n(w), "ml", design, notes)


def logistic(df, outcome, exposure, covariates=(), weights=None) -> pd.DataFrame:
    """Binary logistic regression of `outcome` on `exposure` (+ `covariates`): the tidy frame.

    `outcome`: a No/Yes Categorical (event = last level), bool or 0/1 column. `exposure` and
    `covariates`: column names, categorical (``column[level]`` terms, reference = first level) or
    numeric. `weights`: a column of frequency weights (n = their sum). Complete cases only. On
    separation the fit falls back to Firth's penalised likelihood (method 'firth').
    """
    return fit_logistic(df, outcome, exposure, covariates, weights).tidy()


# --------------------------------------------------------------------------------------------
# Proportional-odds (ordinal) regression
# --------------------------------------------------------------------------------------------


def _ordinal_parts(theta, X, codes, k):
    beta, zeta = theta[:k], theta[k:]
    eta = X @ beta if k else np.zeros(len(codes))
    cuts = np.concatenate([[-np.inf], zeta, [np.inf]])
    F_up = expit(cuts[codes + 1] - eta)  # = scipy.stats.logistic.cdf, bit for bit
    F_lo = expit(cuts[codes] - eta)
    prob = np.clip(F_up - F_lo, 1e-300, None)
    return F_up, F_lo, prob


def _ordinal_loglike(theta: np.ndarray, X: np.ndarray, codes: np.ndarray, w: np.ndarray, k: int) -> float:
    """Log-likelihood of the proportional-odds model on polr's scale (beta, zeta)."""
    _, _, prob = _ordinal_parts(theta, X, codes, k)
    return float(np.sum(w * np.log(prob)))


def _ordinal_score(theta: np.ndarray, X: np.ndarray, codes: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """Analytic gradient of :func:`_ordinal_loglike` with respect to (beta, zeta)."""
    F_up, F_lo, prob = _ordinal_parts(theta, X, codes, k)
    f_up = F_up * (1 - F_up)  # logistic density at the upper cut (0 at +inf)
    f_lo = F_lo * (1 - F_lo)
    g_beta = -(X.T @ (w * (f_up - f_lo) / prob)) if k else np.zeros(0)
    J1 = len(theta) - k
    g_zeta = np.zeros(J1)
    up = codes < J1  # the upper cut is a finite threshold
    np.add.at(g_zeta, codes[up], (w * f_up / prob)[up])
    lo = codes > 0
    np.add.at(g_zeta, codes[lo] - 1, -(w * f_lo / prob)[lo])
    return np.concatenate([g_beta, g_zeta])


class _WeightedOrderedModel(OrderedModel):
    """statsmodels' OrderedModel with frequency weights and an analytic score."""

    def __init__(self, endog, exog, freq_weights=None, **kwargs):
        super().__init__(endog, exog, **kwargs)
        n = len(np.asarray(endog))
        self.freq_weights = np.ones(n) if freq_weights is None else np.asarray(freq_weights, float)
        self._codes = np.asarray(endog, dtype=int)
        self._X = np.asarray(exog, dtype=float)

    # Hessian on statsmodels' own scale for its result object (which fit_ordinal does not use):
    # the analytic score differentiated numerically, 2p score calls instead of ~2p^2 likelihood
    # calls. The Newton polish keeps statsmodels' own (`exact_hessian`), so its steps are as before.
    exact_hessian = False

    def cdf(self, x):
        return expit(x)  # what scipy's logistic cdf computes (the same bits), without its overhead

    def hessian(self, params):
        if self.exact_hessian:
            return super().hessian(params)
        hess = approx_fprime(np.asarray(params, dtype=float), self.score, centered=True)
        return (hess + hess.T) / 2

    def loglike(self, params):
        return float(np.sum(self.freq_weights * self.loglikeobs(params)))

    def score(self, params):
        # Chain rule from (beta, zeta) to statsmodels' (beta, first cut, log increments).
        params = np.asarray(params, dtype=float)
        k = self._X.shape[1]
        zeta = np.asarray(self.transform_threshold_params(params)[1:-1], dtype=float)
        grad = _ordinal_score(np.concatenate([params[:k], zeta]), self._X, self._codes, self.freq_weights, k)
        g_zeta = grad[k:]
        tail = np.cumsum(g_zeta[::-1])[::-1]  # sum over cuts at or above j
        g_internal = tail.copy()
        g_internal[1:] = tail[1:] * np.exp(params[k + 1 :])
        return np.concatenate([grad[:k], g_internal])


def fit_ordinal(df, outcome, exposure, covariates=(), weights=None) -> ModelFit:
    """Fit a proportional-odds model and return the :class:`ModelFit` (see :func:`ordinal`)."""
    data, w, covariates, design = _prepare(df, outcome, exposure, covariates, weights)
    codes, levels, outcome_notes = ordinal_outcome(data[outcome])
    X = design.X[:, 1:]  # no intercept: the thresholds take its place
    names = design.names[1:]
    k = X.shape[1]
    notes = list(design.warnings) + outcome_notes
    notes += _sparse_cell_warnings(data, outcome, exposure, w)

    model = _WeightedOrderedModel(codes, X, freq_weights=w, distr="logit")
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        result = model.fit(method="bfgs", disp=False, maxiter=2000, gtol=1e-8)
        converged = bool(result.mle_retvals.get("converged", True))
        if not converged:  # polish with Newton steps from where BFGS stopped
            model.exact_hessian = True
            result = model.fit(method="newton", start_params=result.params, disp=False, maxiter=100)
            converged = bool(result.mle_retvals.get("converged", True))
    # statsmodels stores the thresholds as (first cut, log increments): back to cut-points.
    beta = np.asarray(result.params[:k], dtype=float)
    zeta = np.asarray(model.transform_threshold_params(result.params)[1:-1], dtype=float)
    theta = np.concatenate([beta, zeta])
    # Observed information on the cut-point scale (as polr's summary): the analytic score
    # differentiated numerically.
    hess = approx_fprime(theta, _ordinal_score, args=(X, codes, w, k), centered=True)
    hess = (hess + hess.T) / 2
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        cov = np.full((len(theta), len(theta)), np.nan)
        notes.append("singular information matrix")
    if not converged:
        notes.append("maximum likelihood did not converge")
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    if not np.all(np.isfinite(se)) or np.any(se > HUGE_SE):
        notes.append("huge standard errors")
    # A proportional-odds estimate is infinite only when the data are separated at every
    # cumulative split (a level absent from one extreme category alone is harmless: the model
    # pools the splits), so flag separation only then.
    if all(separated(design.X, (codes > j).astype(float), w) for j in range(len(levels) - 1)):
        notes.insert(0, "separation detected (at every cumulative split)")
    threshold_names = [f"{levels[j]}|{levels[j + 1]}" for j in range(len(levels) - 1)]
    return ModelFit("ordinal", outcome, exposure, names + threshold_names, theta, cov, total_n(w), "ml", design, notes)


def ordinal(df, outcome, exposure, covariates=(), weights=None) -> pd.DataFrame:
    """Proportional-odds (cumulative logit) regression: the tidy frame.

    `outcome`: an ordered Categorical. Coefficients have MASS::polr's sign (a positive estimate
    means higher categories are more likely; odds_ratio is the odds of a higher rather than a
    lower category). Threshold rows are named ``'Never|Rarely'`` etc. with the cut-point and its
    standard error. Separation and sparse cells are flagged in ``warning`` (no fallback).
    """
    return fit_ordinal(df, outcome, exposure, covariates, weights).tidy()


# --------------------------------------------------------------------------------------------
# Sequential adjustment (the paper's Models 1-3)
# --------------------------------------------------------------------------------------------


def adjustment_sets(exposure, outcome=None, demographics=None, job=None) -> dict[str, list[str]]:
    """Covariates of Models 1-3 for `exposure`: {'Model 1': [], 'Model 2': demographics,
    'Model 3': demographics + job}. Defaults from the codebook groups; the exposure and the
    outcome are never their own covariates."""
    if demographics is None or job is None:
        from helpers.data.codebook import load_codebook

        book = load_codebook()
        demographics = book.confounders("demographics") if demographics is None else demographics
        job = book.confounders("job") if job is None else job
    drop = {exposure, outcome}
    demo = [c for c in demographics if c not in drop]
    work = [c for c in job if c not in drop and c not in demo]
    return {"Model 1": [], "Model 2": demo, "Model 3": demo + work}


def sequential(df, outcome, exposure, kind="logistic", demographics=None, job=None, weights=None) -> pd.DataFrame:
    """Models 1-3 on one shared complete-case sample, stacked with a ``model`` column.

    Model 1: the exposure alone; Model 2: + demographics; Model 3: + job and training. The
    sample is complete on outcome, exposure, every Model 3 covariate (and weights), so n is the
    same on every row.
    """
    if kind not in ("logistic", "ordinal"):
        raise ValueError("kind must be 'logistic' or 'ordinal'")
    sets = adjustment_sets(exposure, outcome, demographics, job)
    shared = complete_cases(df, [outcome, exposure, *sets["Model 3"], weights])
    fitter = fit_logistic if kind == "logistic" else fit_ordinal
    frames = []
    for model_name, covariates in sets.items():
        frame = fitter(shared, outcome, exposure, covariates, weights).tidy()
        frame.insert(0, "model", model_name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Helpers on tidy frames and joint tests
# --------------------------------------------------------------------------------------------


def exposure_rows(tidy: pd.DataFrame, exposure: str | Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of the exposure's terms only (its levels, or its name if numeric).

    `exposure` defaults to the frame's ``exposure`` column (row by row), so a stack of several
    analyses keeps each analysis's own exposure.
    """
    if exposure is None:
        if "exposure" not in tidy.columns:
            raise ValueError("no exposure given and the frame has no 'exposure' column")
        targets = tidy["exposure"].astype(str)
    else:
        names = [exposure] if isinstance(exposure, str) else list(exposure)
        targets = None
    columns = tidy["term"].map(lambda t: parse_term(t)[0])
    if targets is None:
        mask = columns.isin(names)
    else:
        mask = columns == targets
    return tidy.loc[mask].reset_index(drop=True)


def wald_test_terms(df, outcome, exposure, covariates=(), kind="logistic", weights=None, terms=None) -> pd.DataFrame:
    """Joint Wald tests, one per variable, that all of a variable's terms are zero.

    Fits the model once (same rules as :func:`logistic` / :func:`ordinal`) and tests each
    variable of `terms` (default: the exposure and every covariate). Columns: term (the
    variable), chi2, df, p_value, n, method, warning, outcome, exposure.
    """
    fitter = fit_logistic if kind == "logistic" else fit_ordinal
    fit = fitter(df, outcome, exposure, covariates, weights)
    variables = list(fit.design.columns) if terms is None else ([terms] if isinstance(terms, str) else list(terms))
    rows = []
    for variable in variables:
        if variable not in fit.design.columns:
            raise KeyError(f"'{variable}' is not a variable of the fitted model")
        names = [fit.design.names[i] for i in fit.design.columns[variable]]
        chi2, dof, p = fit.wald(names)
        rows.append(
            {
                "term": variable,
                "chi2": chi2,
                "df": dof,
                "p_value": p,
                "n": fit.n,
                "method": fit.method,
                "warning": fit.warning,
                "outcome": outcome,
                "exposure": exposure,
            }
        )
    return pd.DataFrame(rows)


def term_label(term: str, codebook=None) -> str:
    """A readable label for a term: 'Aware of the SP Information Standard' for its [Yes] level,
    'Age group: 35-44' for other levels, the codebook label for a numeric column; intercepts and
    thresholds unchanged."""
    if term == INTERCEPT or "|" in term:
        return term
    column, level = parse_term(term)
    if codebook is None:
        from helpers.data.codebook import load_codebook

        codebook = load_codebook()
    label = codebook.label(column)
    if level is None:
        return label
    levels: tuple = ()
    if codebook is not None and column in getattr(codebook, "variables", {}):
        levels = tuple(codebook.variables[column].levels)
    if levels == ("No", "Yes") and level == "Yes":
        return label
    return f"{label}: {level}"
