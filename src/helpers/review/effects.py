"""Absolute effects beside the odds ratios, the null predictors' odds ratios, and block tests.

- `standardised_risks(df, outcome, exposure, covariates)`: marginal standardisation
  (g-computation) from a fitted logistic model: the average predicted risk with everyone
  exposed (r1) and with no one exposed (r0), the risk ratio r1/r0 and the risk difference
  r1 - r0, with delta-method 95% CIs (log scale for the risks and the ratio). Checked against
  the same computation in R (tests/results/effects_r.py).
- `block_tests(df, outcome, exposure)`: likelihood-ratio tests of each block the sequential
  models add (Model 2 vs 1: demographics; Model 3 vs 2: job and training), on the shared
  complete-case sample (R: anova(m1, m2, test = "LRT")).
- `null_predictor_rows(fits)`: the odds ratios and CIs of the predictors the abstract calls
  non-significant, in Model 3 of every published association: what the data can rule out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.stats as st
from scipy.special import expit

from helpers.analysis import models
from helpers.analysis.patterns import collapse_frame
from helpers.stats.logit import Z975
from helpers.stats.design import binary_outcome, complete_cases


RISK_COLUMNS = [
    "claim_id", "outcome", "exposure", "model", "n", "odds_ratio", "risk_unexposed", "risk_unexposed_low",
    "risk_unexposed_high", "risk_exposed", "risk_exposed_low", "risk_exposed_high", "risk_ratio", "rr_low",
    "rr_high", "risk_difference", "rd_low", "rd_high",
]  # fmt: skip


def _log_ci(value: float, se_log: float) -> tuple[float, float]:
    return value * math.exp(-Z975 * se_log), value * math.exp(Z975 * se_log)


def standardised_risks(df: pd.DataFrame, outcome: str, exposure: str, covariates=(), level: str = "Yes") -> dict:
    """Standardised risks r0, r1, RR and RD (with 95% CIs) of a logistic model of `outcome`.

    The model is fitted with helpers.analysis.models.fit_logistic (the rules of helpers.analysis.models.logistic);
    predictions average over the model's complete-case sample with the exposure set to its
    reference level (r0) and to `level` (r1).
    """
    fit = models.fit_logistic(df, outcome, exposure, covariates)
    term = f"{exposure}[{level}]"
    j = fit.names.index(term)
    X1, X0 = fit.design.X.copy(), fit.design.X.copy()
    X1[:, fit.design.columns[exposure]] = 0.0
    X0[:, fit.design.columns[exposure]] = 0.0
    X1[:, j] = 1.0
    p1, p0 = expit(X1 @ fit.params), expit(X0 @ fit.params)
    r1, r0 = float(p1.mean()), float(p0.mean())
    g1 = (p1 * (1 - p1)) @ X1 / len(p1)
    g0 = (p0 * (1 - p0)) @ X0 / len(p0)
    V = fit.cov
    se_log_r1 = math.sqrt(g1 @ V @ g1) / r1
    se_log_r0 = math.sqrt(g0 @ V @ g0) / r0
    g_log_rr = g1 / r1 - g0 / r0
    se_log_rr = math.sqrt(g_log_rr @ V @ g_log_rr)
    se_rd = math.sqrt((g1 - g0) @ V @ (g1 - g0))
    rr, rd = r1 / r0, r1 - r0
    return {
        "n": int(fit.n), "odds_ratio": math.exp(fit.params[j]),
        "risk_unexposed": r0, **dict(zip(("risk_unexposed_low", "risk_unexposed_high"), _log_ci(r0, se_log_r0))),
        "risk_exposed": r1, **dict(zip(("risk_exposed_low", "risk_exposed_high"), _log_ci(r1, se_log_r1))),
        "risk_ratio": rr, **dict(zip(("rr_low", "rr_high"), _log_ci(rr, se_log_rr))),
        "risk_difference": rd, "rd_low": rd - Z975 * se_rd, "rd_high": rd + Z975 * se_rd,
    }  # fmt: skip


def absolute_effects(df: pd.DataFrame, model: str | None = None) -> pd.DataFrame:
    """Standardised risks, RR and RD of every published association (primary specification)."""
    from helpers.analysis.analyses import associations
    from helpers.analysis.spec import load_spec

    model = model or load_spec()["model_level"].primary
    rows = []
    for assoc in associations("logistic"):
        sets = models.adjustment_sets(assoc["exposure"], assoc["outcome"])
        shared = complete_cases(df, [assoc["outcome"], assoc["exposure"], *sets["Model 3"]])
        result = standardised_risks(shared, assoc["outcome"], assoc["exposure"], sets[model])
        rows.append({**assoc, "model": model, **result})
    return pd.DataFrame(rows, columns=RISK_COLUMNS)


def absolute_display(frame: pd.DataFrame):
    """Odds ratio, standardised risks, RR and RD side by side, for the report."""
    from helpers.review.scorecard import html_table

    def pct(v, lo, hi):
        return f"{100 * v:.1f}% ({100 * lo:.1f}-{100 * hi:.1f})"

    shown = pd.DataFrame(
        {
            "Figure": frame["claim_id"],
            "OR": frame["odds_ratio"].map(lambda v: f"{v:.2f}"),
            "Risk if unexposed": [pct(*r) for r in frame[["risk_unexposed", "risk_unexposed_low", "risk_unexposed_high"]].to_numpy()],
            "Risk if exposed": [pct(*r) for r in frame[["risk_exposed", "risk_exposed_low", "risk_exposed_high"]].to_numpy()],
            "Risk ratio": [f"{v:.2f} ({lo:.2f}-{hi:.2f})" for v, lo, hi in frame[["risk_ratio", "rr_low", "rr_high"]].to_numpy()],
            "Risk difference (points)": [f"{100 * v:+.1f} ({100 * lo:+.1f} to {100 * hi:+.1f})" for v, lo, hi in frame[["risk_difference", "rd_low", "rd_high"]].to_numpy()],
            "n": frame["n"].astype(int),
        }
    )  # fmt: skip
    return html_table(shown, "tbl-absolute-gt")


# --- Likelihood-ratio tests of the sequential blocks ----------------------------------------------
def _loglik(shared: pd.DataFrame, outcome: str, exposure: str, covariates, weight: str | None) -> tuple[float, int]:
    # `shared`: the rows, or covariate patterns with their counts in `weight` (helpers.analysis.patterns).
    fit = models.fit_logistic(shared, outcome, exposure, covariates, weights=weight, firth=False)
    y, _, _ = binary_outcome(shared[outcome])
    eta = fit.design.X @ fit.params
    terms = y * eta - np.logaddexp(0.0, eta)
    if weight is not None:
        terms = shared[weight].to_numpy(dtype=float) * terms
    return float(np.sum(terms)), len(fit.params)


def block_tests(df: pd.DataFrame, outcome: str, exposure: str, demographics=None, job=None) -> pd.DataFrame:
    """LR test of each block added by the sequential models, on one shared complete-case sample
    (blocks default to the codebook's confounder groups, as in helpers.analysis.models.sequential)."""
    sets = models.adjustment_sets(exposure, outcome, demographics, job)
    columns = [outcome, exposure, *sets["Model 3"]]
    shared = complete_cases(df, columns)
    collapsed, weight = collapse_frame(shared, columns)
    fits = {name: _loglik(collapsed, outcome, exposure, cov, weight) for name, cov in sets.items()}
    rows = []
    for small, big, block in (("Model 1", "Model 2", "demographics"), ("Model 2", "Model 3", "job and training")):
        chi2 = 2 * (fits[big][0] - fits[small][0])
        dof = fits[big][1] - fits[small][1]
        rows.append({"outcome": outcome, "exposure": exposure, "comparison": f"{big} vs {small}", "block": block,
                     "chi2": chi2, "df": dof, "p_value": float(st.chi2.sf(chi2, dof)), "n": len(shared)})  # fmt: skip
    return pd.DataFrame(rows)


def all_block_tests(df: pd.DataFrame) -> pd.DataFrame:
    from helpers.analysis.analyses import associations

    frames = [
        block_tests(df, a["outcome"], a["exposure"]).assign(claim_id=a["claim_id"]) for a in associations("logistic")
    ]
    return pd.concat(frames, ignore_index=True)


def block_display(frame: pd.DataFrame):
    from helpers.review.scorecard import html_table

    shown = pd.DataFrame({
        "Figure": frame["claim_id"], "Block added": frame["block"], "Comparison": frame["comparison"],
        "LR chi-square": frame["chi2"].map(lambda v: f"{v:.2f}"), "df": frame["df"].astype(int),
        "p": frame["p_value"].map(lambda v: f"{v:.3f}"), "n": frame["n"].astype(int),
    })  # fmt: skip
    return html_table(shown, "tbl-blocks-gt")


# --- The null predictors ----------------------------------------------------------------------------
def null_predictor_rows(fits: pd.DataFrame, variables: list[str] | None = None, model: str = "Model 3") -> pd.DataFrame:
    """The terms of the abstract's null predictors in `model` of every association (a stacked
    frame from helpers.analysis.analyses.fit_associations): odds ratio, CI, p."""
    from helpers.data.published import target

    variables = variables or list(target("null_predictors")["variables"])
    terms = fits["term"].map(lambda t: models.parse_term(t)[0])
    rows = fits[(fits["model"] == model) & terms.isin(variables)].copy()
    rows.insert(0, "variable", terms[rows.index])
    return rows.reset_index(drop=True)


def null_display(rows: pd.DataFrame):
    from helpers.review.scorecard import html_table

    shown = pd.DataFrame({
        "Figure": rows["claim_id"], "Term": rows["term"].map(models.term_label),
        "OR (95% CI)": [f"{o:.2f} ({lo:.2f}-{hi:.2f})" for o, lo, hi in rows[["odds_ratio", "conf_low", "conf_high"]].to_numpy()],
        "p": rows["p_value"].map(lambda v: f"{v:.2f}"),
    })  # fmt: skip
    return html_table(shown, "tbl-null-or-gt")


def null_range_sentence(rows: pd.DataFrame) -> str:
    """What the null predictors' CIs rule out: the widest range of odds ratios they leave open."""
    lo, hi = rows["conf_low"].min(), rows["conf_high"].max()
    widest = rows.assign(width=np.log(rows["conf_high"]) - np.log(rows["conf_low"])).sort_values("width").iloc[-1]
    return (
        f"Across the {len(rows)} terms of the non-significant predictors, every 95% CI lies within "
        f"{lo:.2f} to {hi:.2f}; the widest is {models.term_label(widest['term'])} "
        f"({widest['conf_low']:.2f}-{widest['conf_high']:.2f}, `{widest['claim_id']}`). "
        "Not significant is not no association: these intervals say how large an association the data leave open."
    )


def block_sentence(frame: pd.DataFrame, alpha: float = 0.05) -> str:
    """How many of the added blocks improve the fit at `alpha`, block by block."""
    parts = []
    for block, rows in frame.groupby("block", sort=False):
        hits = rows[rows["p_value"] < alpha]
        text = f"the {block} block improves the fit (LR test p < {alpha}) in {len(hits)} of {len(rows)} associations"
        if len(hits):
            text += " (" + ", ".join(f"`{c}`: p = {p:.3f}" for c, p in zip(hits["claim_id"], hits["p_value"])) + ")"
        parts.append(text)
    return "In the sequential models, " + "; ".join(parts) + "."
