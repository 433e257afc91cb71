"""A small simulated survey for the robustness tests (no dependence on the synthetic data file).

`toy_survey(n, seed)` builds the columns the published associations need (the four exposures,
the Model 3 confounders, the two 5-level frequency items with their derived often/very often
outcomes, uses_outcome_measures) from a known logistic model, and returns the frame together with
the true probabilities of the three binary outcomes (what helpers.synth.generator.outcome_probabilities
gives for the real synthetic data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from helpers.data.codebook import load_codebook

COVARIATES = [
    "age_group",
    "gender",
    "ethnicity",
    "education",
    "training",
    "seniority",
    "years_in_role",
    "employer_type",
]
EXPOSURES = ["aware_info_standard", "shares_outcomes", "outcomes_inform_investment", "patient_record_access"]
EXPOSURE_SHARE = {
    "aware_info_standard": 0.55,
    "shares_outcomes": 0.75,
    "outcomes_inform_investment": 0.3,
    "patient_record_access": 0.8,
}
# Log odds ratios of the generating model (Model 3 form for the binary outcomes).
BETA = {
    "aware_info_standard": 0.8,
    "shares_outcomes": 1.6,
    "outcomes_inform_investment": 0.55,
    "patient_record_access": -1.4,
}
THRESHOLDS = np.array([-2.0, -1.0, 0.2, 1.4])  # latent logistic cut-points of the 5-level items


def _categorical(values, levels, ordered=False):
    return pd.Categorical(np.asarray(levels, dtype=object)[values], categories=list(levels), ordered=ordered)


def toy_survey(n: int = 400, seed: int = 11) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    cb = load_codebook()
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {"respondent_id": [f"T{i:04d}" for i in range(n)]}
    codes = {}
    for name in COVARIATES:
        k = len(cb[name].levels)
        weights = np.linspace(3, 1, k)
        codes[name] = rng.choice(k, size=n, p=weights / weights.sum())
        cols[name] = _categorical(codes[name], cb[name].levels, cb[name].ordered)
    for name in EXPOSURES:
        codes[name] = (rng.random(n) < EXPOSURE_SHARE[name]).astype(int)
        cols[name] = _categorical(codes[name], ["No", "Yes"])
    age = codes["age_group"] / 3
    senior = (codes["seniority"] > 0).astype(float)
    # Patient-level item: aware + investment; service-level item: shares.
    eta_patient = (
        BETA["aware_info_standard"] * codes["aware_info_standard"]
        + BETA["outcomes_inform_investment"] * codes["outcomes_inform_investment"]
        + 0.3 * age
        + 0.2 * senior
    )
    eta_service = BETA["shares_outcomes"] * codes["shares_outcomes"] - 0.2 * age + 0.3 * codes["training"]
    probs = {}
    for item, derived, eta in (
        ("patient_outcome_freq", "patient_outcomes_often", eta_patient),
        ("service_outcome_freq", "service_outcomes_often", eta_service),
    ):
        latent = eta + rng.logistic(size=n)
        item_codes = np.searchsorted(THRESHOLDS, latent)
        cols[item] = _categorical(item_codes, cb[item].levels, ordered=True)
        cols[derived] = _categorical((item_codes >= 3).astype(int), ["No", "Yes"])
        probs[derived] = expit(eta - THRESHOLDS[2])
    eta_measures = 0.9 + BETA["patient_record_access"] * codes["patient_record_access"] + 0.2 * codes["training"]
    probs["uses_outcome_measures"] = expit(eta_measures)
    cols["uses_outcome_measures"] = _categorical(
        (rng.random(n) < probs["uses_outcome_measures"]).astype(int), ["No", "Yes"]
    )
    df = pd.DataFrame(cols)
    df.attrs["source"] = "toy"
    return df, probs
