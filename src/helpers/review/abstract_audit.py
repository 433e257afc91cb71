"""What the abstract itself reveals about the analysis behind it (additions to helpers.review.audit).

- `information_limit()`: the smallest SE(log OR) any 2 x 2 table of n = 409 can have, given the
  outcome's published margin and the published OR (Woolf's SE, minimised over the unknown
  exposure margin; the range covers the rounding of the printed OR), beside the SE the printed CI
  implies (its range covers the rounding of the two limits). Adjusting for covariates as a rule
  makes the SE of a logistic log OR larger, so a published SE at the crude limit is unlikely to
  come from a fully adjusted model.
- `ci_symmetry(df)`: a Wald CI is symmetric about the estimate on the log scale; a profile
  likelihood CI is not. The asymmetry ln(hi/OR) - ln(OR/lo) the printed figures allow (given
  their rounding) against the asymmetry of a profile CI of the same association in the data.
- `times_more_likely(df)`: the abstract's "times more likely" against standardised risk ratios.
- `change_since_2023()`: "modest improvements since 2023" against 42% -> 57.5%.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.stats as st
from scipy.optimize import brentq
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from helpers import paths, yamlfile
from helpers.analysis import models, patterns
from helpers.stats.design import binary_outcome, complete_cases
from helpers.data.published import load_claims, load_targets
from helpers.review.scorecard import CI_DIVISOR, printed_decimals

WORDING = paths.PUBLISHED / "abstract-wording.yaml"
CHI2_95 = st.chi2.ppf(0.95, 1)
# A printed SE within this factor of the crude 2 x 2 minimum is "at the information limit".
NEAR_LIMIT = 1.02


def _half(value: float) -> float:
    return 0.5 * 10 ** -printed_decimals(value)


# --- Information limit ------------------------------------------------------------------------------
def table_cells(n: float, events: float, exposed: float, odds_ratio: float) -> tuple[float, float, float, float] | None:
    """The (real-valued) 2 x 2 cells a, b, c, d (exposed events, exposed non-events, unexposed
    events, unexposed non-events) with the given margins and odds ratio; None if impossible."""
    lo, hi = max(0.0, exposed + events - n), min(exposed, events)
    if hi - lo <= 0:
        return None

    def gap(a):
        return math.log(a * (n - events - exposed + a)) - math.log((exposed - a) * (events - a)) - math.log(odds_ratio)

    eps = 1e-9 * max(1.0, hi - lo)
    a = brentq(gap, lo + eps, hi - eps, xtol=1e-12)
    return a, exposed - a, events - a, n - events - exposed + a


def woolf_se(cells) -> float:
    return math.sqrt(sum(1.0 / c for c in cells))


def min_se(n: int, events: int, odds_ratio: float) -> tuple[float, int]:
    """The smallest Woolf SE(log OR) over every exposure margin 1..n-1: (SE, exposure count)."""
    best = (math.inf, 0)
    for exposed in range(1, n):
        cells = table_cells(n, events, exposed, odds_ratio)
        if cells is not None:
            best = min(best, (woolf_se(cells), exposed))
    return best


def _outcome_count(outcome: str) -> int | None:
    for t in load_targets():
        if (
            t.get("kind") == "percentage"
            and t.get("variable") == outcome
            and t.get("population") == "all"
            and not t.get("assumed")
        ):
            return int(t["count"])
    return None


def information_limit(df: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per published OR: printed SE range, smallest attainable crude SE range, their ratio,
    and (with `df`) the file's own Model 1 and Model 3 SE of the association."""
    from helpers.analysis.spec import load_spec

    spec = load_spec()
    claims = load_claims().set_index("claim_id")
    n = int(claims.loc["n_analysed", "value"])
    rows = []
    for t in load_targets():
        if t.get("kind") != "odds_ratio":
            continue
        c = claims.loc[t["claim_id"]]
        value, lo, hi = float(c["value"]), float(c["ci_low"]), float(c["ci_high"])
        outcome = spec.outcome(t["claim_id"])
        events = _outcome_count(outcome)
        row = {"claim_id": t["claim_id"], "outcome": outcome, "events": events, "n": n,
               "se_published": (math.log(hi) - math.log(lo)) / CI_DIVISOR,
               "se_published_low": (math.log(hi - _half(c["ci_high"])) - math.log(lo + _half(c["ci_low"]))) / CI_DIVISOR,
               "se_published_high": (math.log(hi + _half(c["ci_high"])) - math.log(lo - _half(c["ci_low"]))) / CI_DIVISOR}  # fmt: skip
        if events is None:
            rows.append(row)
            continue
        limits = [min_se(n, events, v)[0] for v in (value - _half(c["value"]), value, value + _half(c["value"]))]
        row.update(se_min=limits[1], se_min_low=min(limits), se_min_high=max(limits),
                   exposed_at_min=min_se(n, events, value)[1], ratio=row["se_published"] / limits[1])  # fmt: skip
        if df is not None:
            fits = patterns.sequential(df, outcome, t["exposure"])
            hit = fits[fits["term"] == t["term"]].set_index("model")["std_error"]
            row.update(se_model1=float(hit["Model 1"]), se_model3=float(hit["Model 3"]))
        rows.append(row)
    return pd.DataFrame(rows)


def information_sentence(frame: pd.DataFrame) -> str:
    parts = []
    for r in frame.dropna(subset=["se_min"]).itertuples():
        text = (f"`{r.claim_id}`: printed SE {r.se_published_low:.3f}-{r.se_published_high:.3f}, "
                f"crude minimum {r.se_min_low:.3f}-{r.se_min_high:.3f} (ratio {r.ratio:.2f})")  # fmt: skip
        if hasattr(r, "se_model3") and not pd.isna(getattr(r, "se_model3", np.nan)):
            text += f"; in this file Model 3 / Model 1 SE = {r.se_model3 / r.se_model1:.2f}"
        parts.append(text)
    tight = frame[(frame["se_published_low"] <= frame["se_min_high"] * NEAR_LIMIT)]
    lead = (
        "The smallest standard error a 2 x 2 table of this sample can give, with the outcome's published margin and the "
        "published odds ratio, against the standard error each printed interval implies: "
    )
    tail = (
        f" {len(tight)} of {len(frame)} printed intervals are within {100 * (NEAR_LIMIT - 1):.0f}% of the crude limit"
        + (f" ({', '.join(f'`{c}`' for c in tight['claim_id'])}): so narrow that a fully adjusted model of this sample, "
           "whose standard error is as a rule larger than the crude one, is an unlikely source." if len(tight) else ".")
    )  # fmt: skip
    return lead + "; ".join(parts) + "." + tail


# --- CI symmetry: Wald vs profile likelihood --------------------------------------------------------
def profile_ci(
    df: pd.DataFrame, outcome: str, exposure: str, covariates=(), level: str = "Yes"
) -> tuple[float, float, float]:
    """(log OR, lower, upper) of the exposure term: profile-likelihood 95% CI of a logistic model
    (the interval R's confint() gives for a glm)."""
    columns = [outcome, exposure, *[c for c in covariates if c not in (exposure, outcome)]]
    # On the covariate patterns with their counts: the same fits and deviances (helpers.analysis.patterns).
    data, weight = patterns.collapse_frame(complete_cases(df, columns), columns)
    w = None if weight is None else data[weight].to_numpy(dtype=float)
    fit = models.fit_logistic(
        df if weight is None else data, outcome, exposure, covariates, weights=weight, firth=False
    )
    if "separation" in fit.warning or "huge" in fit.warning:
        raise ValueError(f"no profile-likelihood CI: {fit.warning}")
    y, _, _ = binary_outcome(data[outcome])
    X = fit.design.X
    j = fit.names.index(f"{exposure}[{level}]")
    rest = np.delete(X, j, axis=1)
    b_hat, se = float(fit.params[j]), float(fit.std_errors[j])
    deviance_hat = float(GLM(y, X, family=families.Binomial(), freq_weights=w).fit().deviance)

    def excess(b):
        constrained = GLM(y, rest, family=families.Binomial(), offset=b * X[:, j], freq_weights=w).fit()
        return float(constrained.deviance) - deviance_hat - CHI2_95

    with np.errstate(over="ignore"):
        lo = brentq(excess, b_hat - 6 * se, b_hat, xtol=1e-10)
        hi = brentq(excess, b_hat, b_hat + 6 * se, xtol=1e-10)
    return b_hat, lo, hi


def ci_symmetry(df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Printed asymmetry ln(hi/OR) - ln(OR/lo) with its rounding range, and (with `df`) the Wald
    and profile asymmetry of the primary model of each association in the file."""
    from helpers.analysis.spec import load_spec

    spec = load_spec()
    claims = load_claims().set_index("claim_id")
    level = spec["model_level"].primary
    rows = []
    for t in load_targets():
        if t.get("kind") != "odds_ratio":
            continue
        c = claims.loc[t["claim_id"]]
        v, lo, hi = float(c["value"]), float(c["ci_low"]), float(c["ci_high"])
        hv, hl, hh = _half(c["value"]), _half(c["ci_low"]), _half(c["ci_high"])
        row = {"claim_id": t["claim_id"], "asymmetry": math.log(hi * lo / v**2),
               "asymmetry_low": math.log((hi - hh) * (lo - hl) / (v + hv) ** 2),
               "asymmetry_high": math.log((hi + hh) * (lo + hl) / (v - hv) ** 2)}  # fmt: skip
        row["wald_compatible"] = row["asymmetry_low"] <= 0 <= row["asymmetry_high"]
        if df is not None:
            outcome = spec.outcome(t["claim_id"])
            sets = models.adjustment_sets(t["exposure"], outcome)
            shared = complete_cases(df, [outcome, t["exposure"], *sets["Model 3"]])
            try:
                b, plo, phi = profile_ci(shared, outcome, t["exposure"], sets[level])
            except ValueError:  # separated, or no bracket: no profile interval to compare
                b, plo, phi = np.nan, np.nan, np.nan
            row.update(profile_low=math.exp(plo), profile_high=math.exp(phi), profile_asymmetry=(phi - b) - (b - plo))
            row["profile_distinguishable"] = bool(np.isfinite(b)) and not (
                row["asymmetry_low"] <= row["profile_asymmetry"] <= row["asymmetry_high"]
            )
        rows.append(row)
    return pd.DataFrame(rows)


def symmetry_sentence(frame: pd.DataFrame) -> str:
    wald = int(frame["wald_compatible"].sum())
    text = (f"{wald} of {len(frame)} printed intervals are symmetric about their odds ratio on the log scale up to "
            "rounding, as Wald intervals are.")  # fmt: skip
    if "profile_asymmetry" in frame:
        seen = frame[frame["profile_distinguishable"]]
        text += (
            f" Profile-likelihood intervals of the same models in this file are asymmetric by "
            f"{frame['profile_asymmetry'].abs().min():.3f} to {frame['profile_asymmetry'].abs().max():.3f} on the log scale; "
            f"for {len(seen)} of {len(frame)} associations that asymmetry lies outside what the printed rounding allows, "
            "so the printed figures "
            + ("point to Wald intervals there." if len(seen) else "cannot tell the two methods apart.")
        )
    return text


# --- Wording ----------------------------------------------------------------------------------------
def load_wording() -> dict:
    return yamlfile.safe_load(WORDING.read_text(encoding="utf-8"))


def times_more_likely(absolute: pd.DataFrame, wording: list[dict] | None = None) -> pd.DataFrame:
    """The abstract's 'times more likely' multiples (default: abstract-wording.yaml) against the
    standardised risk ratios (`absolute`: helpers.review.effects.absolute_effects)."""
    by_claim = absolute.set_index("claim_id")
    rows = []
    for w in load_wording()["times_more_likely"] if wording is None else wording:
        r = by_claim.loc[w["claim_id"]]
        rows.append({"claim_id": w["claim_id"], "phrase": w["phrase"], "verified": bool(w["verified"]),
                     "multiple": float(w["multiple"]), "odds_ratio": float(r["odds_ratio"]),
                     "risk_ratio": float(r["risk_ratio"]), "rr_low": float(r["rr_low"]), "rr_high": float(r["rr_high"]),
                     "multiple_in_rr_ci": bool(r["rr_low"] <= float(w["multiple"]) <= r["rr_high"])})  # fmt: skip
    return pd.DataFrame(rows)


def wording_sentence(frame: pd.DataFrame) -> str:
    outside = frame[~frame["multiple_in_rr_ci"]]
    parts = [f"`{r.claim_id}` reads as {r.multiple:g} times; standardised RR {r.risk_ratio:.2f} ({r.rr_low:.2f}-{r.rr_high:.2f})"
             for r in frame.itertuples()]  # fmt: skip
    return (
        "The abstract reads odds ratios as 'times more likely'; an odds ratio approximates a risk ratio only for rare "
        "outcomes, and these outcomes are common. " + "; ".join(parts) + ". "
        f"For {len(outside)} of {len(frame)} the stated multiple lies outside the risk ratio's 95% CI in this file."
    )


def change_since_2023() -> dict:
    """42% (2023) -> 57.5% (2025): the difference in points (Newcombe CI over the 2023 count's
    rounding range), the relative change and the phrase the abstract uses."""
    from helpers.review import compare2023
    from helpers.data.published import load_2023

    wording = load_wording()["change_since_2023"]
    figures = load_2023().set_index("claim_id")
    claims = load_claims().set_index("claim_id")
    p23 = float(figures.loc[wording["figure_2023"], "value"])
    n23 = int(figures.loc[wording["figure_2023"], "responses"])
    target = {t["claim_id"]: t for t in load_targets()}[wording["figure_2025"]]
    k25, n25 = int(target["count"]), int(target["denominator"])
    k23, k23_lo, k23_hi = compare2023.reconstruct_count(
        p23, n23, printed_decimals(figures.loc[wording["figure_2023"], "value"])
    )
    lows, highs = zip(*(compare2023.newcombe_difference(k25, n25, k, n23) for k in (k23_lo, k23, k23_hi)))
    p25 = float(claims.loc[wording["figure_2025"], "value"])
    return {"phrase": wording["phrase"], "verified": bool(wording["verified"]), "p2023": p23, "p2025": p25,
            "difference": p25 - p23, "diff_low": min(lows), "diff_high": max(highs), "relative": p25 / p23 - 1,
            "n2023": n23, "n2025": n25}  # fmt: skip


def change_sentence(change: dict) -> str:
    source = (
        "The abstract calls"
        if change["verified"]
        else "The abstract is read (issue 15; the words were not seen here) as calling"
    )
    return (
        f'{source} the change since 2023 "{change["phrase"]}": the share recording outcomes frequently went from '
        f"{change['p2023']:g}% to {change['p2025']:g}%, {change['difference']:+.1f} points (95% CI {change['diff_low']:.1f} to "
        f"{change['diff_high']:.1f}, over the 2023 count's rounding), a relative increase of {100 * change['relative']:.0f}%. "
        "Whether that is modest is a judgement the numbers do not settle; the two surveys' items are worded differently "
        "(chapter 7), so the change itself is an assumption too."
    )


# --- Tables for the report -------------------------------------------------------------------------
def information_table(frame: pd.DataFrame):
    from helpers.review.scorecard import html_table

    shown = pd.DataFrame({
        "Figure": frame["claim_id"], "Outcome (events of n)": [f"{o} ({e} of {n})" for o, e, n in frame[["outcome", "events", "n"]].to_numpy()],
        "Printed SE(log OR)": [f"{a:.3f}-{b:.3f}" for a, b in frame[["se_published_low", "se_published_high"]].to_numpy()],
        "Smallest crude SE": [f"{a:.3f}-{b:.3f}" for a, b in frame[["se_min_low", "se_min_high"]].to_numpy()],
        "Printed / smallest": frame["ratio"].map(lambda v: f"{v:.2f}"),
        "This file: Model 3 / Model 1 SE": (frame["se_model3"] / frame["se_model1"]).map(lambda v: f"{v:.2f}"),
    })  # fmt: skip
    return html_table(shown, "tbl-information-gt")


def symmetry_table(frame: pd.DataFrame):
    from helpers.review.scorecard import html_table

    shown = pd.DataFrame({
        "Figure": frame["claim_id"],
        "Printed asymmetry (rounding range)": [f"{a:+.3f} ({lo:+.3f} to {hi:+.3f})" for a, lo, hi in frame[["asymmetry", "asymmetry_low", "asymmetry_high"]].to_numpy()],
        "Wald (0) within range": frame["wald_compatible"].map({True: "yes", False: "no"}),
        "Profile CI in this file": [f"{lo:.2f}-{hi:.2f}" if np.isfinite(lo) else "not computable"
                                    for lo, hi in frame[["profile_low", "profile_high"]].to_numpy()],
        "Profile asymmetry": frame["profile_asymmetry"].map(lambda v: f"{v:+.3f}" if np.isfinite(v) else "-"),
        "Outside the range": frame["profile_distinguishable"].map({True: "yes", False: "no"}),
    })  # fmt: skip
    return html_table(shown, "tbl-symmetry-gt")


def wording_table(frame: pd.DataFrame):
    from helpers.review.scorecard import html_table

    shown = pd.DataFrame({
        "Figure": frame["claim_id"], "Abstract": frame["phrase"],
        "Words seen": frame["verified"].map({True: "yes", False: "no (issue 15's reading)"}),
        "OR": frame["odds_ratio"].map(lambda v: f"{v:.2f}"),
        "Standardised RR (95% CI)": [f"{v:.2f} ({lo:.2f}-{hi:.2f})" for v, lo, hi in frame[["risk_ratio", "rr_low", "rr_high"]].to_numpy()],
    })  # fmt: skip
    return html_table(shown, "tbl-wording-gt")


__all__ = [
    "table_cells", "woolf_se", "min_se", "information_limit", "information_sentence", "profile_ci", "ci_symmetry",
    "symmetry_sentence", "times_more_likely", "information_table", "symmetry_table", "wording_table", "wording_sentence", "change_since_2023", "change_sentence",
]  # fmt: skip
