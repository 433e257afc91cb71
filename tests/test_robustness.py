"""Precision and power (helpers.analysis.power), sensitivity analyses (helpers.analysis.sensitivity) and the
chapter's display helpers (helpers.review.robustness).

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
from helpers.review import robustness
from helpers.analysis.power import (
    exposure_r2,
    minimum_detectable_or,
    power_for_or,
    power_table,
    power_two_rates,
    rates_for_or,
    sample_size_logistic_binary,
)
from helpers.analysis.sensitivity import (
    SENSITIVITY_COLUMNS,
    cut_label,
    cutpoint_analysis,
    dichotomisation_analysis,
    firth_vs_ml,
    fit_term,
    imputation_analysis,
    imputation_method,
    mice,
    mice_imputations,
    pmm_draw,
    rubin_pool,
)
from helpers.analysis.imputation import (
    category_probabilities,
    convergence_table,
    expected_cc_bias,
    impose_outcome_exposure_missing,
    polyreg_draw,
    rhat,
)
from helpers.analysis.simulation import Estimand, published_estimands


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
    assert "power_at_published" not in table.columns  # observed power is not reported


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


AMPUTED = ("education", "ethnicity", "employer_type")


def _amputed(df, seed=4, high=0.15, low=0.03):
    return impose_outcome_exposure_missing(
        df, AMPUTED, "patient_outcomes_often", "aware_info_standard", high, low, seed
    )


def test_missingness_is_seeded_and_depends_on_outcome_and_exposure(toy):
    a, b = _amputed(toy, high=0.4, low=0.05), _amputed(toy, high=0.4, low=0.05)
    pd.testing.assert_frame_equal(a, b)
    both = (toy["aware_info_standard"] == "Yes") & (toy["patient_outcomes_often"] == "Yes")
    for var in AMPUTED:
        assert 0.3 < a.loc[both, var].isna().mean() < 0.5
        assert a.loc[~both, var].isna().mean() < 0.1
    untouched = [c for c in toy.columns if c not in AMPUTED]
    pd.testing.assert_frame_equal(a[untouched], toy[untouched])
    assert expected_cc_bias(3, 0.15, 0.03) == pytest.approx(math.log(0.85**3 / 0.97**3))


def test_nominal_variables_get_polyreg_and_ordered_ones_pmm(toy):
    methods = {c: imputation_method(toy[c]) for c in COVARIATES}
    assert methods["gender"] == methods["ethnicity"] == methods["employer_type"] == "polyreg"
    assert methods["education"] == methods["age_group"] == methods["training"] == "pmm"


def test_mice_keeps_observed_values_and_imputes_observed_levels(toy):
    amputed = _amputed(toy)
    cols = ["patient_outcomes_often", "aware_info_standard", *COVARIATES]
    first = mice_imputations(amputed, cols, m=3, iterations=3, seed=8)
    again = mice_imputations(amputed, cols, m=3, iterations=3, seed=8)
    for filled, twin in zip(first, again):
        pd.testing.assert_frame_equal(filled, twin)
        for var in AMPUTED:
            assert filled[var].notna().all()
            obs = amputed[var].notna()
            assert (filled.loc[obs, var] == amputed.loc[obs, var]).all()
            assert filled[var].dtype == toy[var].dtype
            assert set(filled[var].unique()) <= set(amputed.loc[obs, var].unique())
    miss = amputed["employer_type"].isna()
    assert not all((first[0].loc[miss, "employer_type"] == f.loc[miss, "employer_type"]).all() for f in first[1:])


def _nominal_problem(n=600, seed=0):
    # A 4-level nominal variable that depends on a binary and a 3-level predictor.
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, n)
    b = rng.integers(0, 3, n)
    X = np.column_stack([np.ones(n), a, b == 1, b == 2]).astype(float)
    logits = np.column_stack([np.zeros(n), 0.8 * a, -0.5 + 1.0 * (b == 2), -1.5 + 0.5 * a])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    codes = (p.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)
    observed = rng.random(n) > 0.3
    return X, codes, observed


def test_polyreg_probabilities_do_not_depend_on_the_order_of_levels():
    X, codes, observed = _nominal_problem()
    base = category_probabilities(X, codes, observed, 4)
    for perm in ([3, 2, 1, 0], [1, 0, 3, 2], [2, 3, 0, 1]):
        relabelled = np.asarray(perm)[codes]  # old level l is now called perm[l]
        probs = category_probabilities(X, relabelled, observed, 4)
        np.testing.assert_allclose(probs[:, perm], base, atol=1e-7)


def _imputed_shares(draw, X, codes, observed, perm, reps=300):
    # Share of imputations at each ORIGINAL level, imputing under the labelling `perm`.
    inverse = np.argsort(perm)
    relabelled = np.asarray(perm)[codes]
    counts = np.zeros(4)
    rng = np.random.default_rng(5)
    for _ in range(reps):
        counts += np.bincount(inverse[draw(rng, X, relabelled, observed)], minlength=4)
    return counts / counts.sum()


def test_nominal_imputation_is_order_free_and_pmm_on_codes_is_not():
    # Relabelling the levels must permute the imputations' distribution, not change it. PMM on
    # the level codes (what the chapter did for nominal variables before) fails this check.
    X, codes, observed = _nominal_problem()
    perm = [2, 0, 3, 1]
    poly = lambda rng, X, c, o: polyreg_draw(rng, X, c, o, 4)  # noqa: E731
    pmm = lambda rng, X, c, o: pmm_draw(rng, X, c.astype(float), o).astype(int)  # noqa: E731
    identity = [0, 1, 2, 3]
    poly_gap = np.abs(
        _imputed_shares(poly, X, codes, observed, perm) - _imputed_shares(poly, X, codes, observed, identity)
    )
    pmm_gap = np.abs(
        _imputed_shares(pmm, X, codes, observed, perm) - _imputed_shares(pmm, X, codes, observed, identity)
    )
    # ~ 54,000 imputations each: a share's Monte Carlo SE is about 0.003 (more with the
    # between-draw variation of the coefficients); PMM's order effect is far larger.
    assert poly_gap.max() < 0.02
    assert pmm_gap.max() > 0.04


def test_polyreg_draws_do_not_depend_on_last_bit_noise():
    X, codes, observed = _nominal_problem()
    base = polyreg_draw(np.random.default_rng(9), X, codes, observed, 4)
    for scale in (1e-15, -1e-15, 3e-14):
        noisy = X * (1 + scale * np.random.default_rng(2).standard_normal(X.shape))
        np.testing.assert_array_equal(polyreg_draw(np.random.default_rng(9), noisy, codes, observed, 4), base)


def test_polyreg_is_finite_with_an_empty_cell():
    # A level seen only where a = 0 (quasi-separation): plain ML diverges, the prior keeps it finite.
    X, codes, observed = _nominal_problem()
    codes = np.where((codes == 3) & (X[:, 1] == 1), 0, codes)
    probs = category_probabilities(X, codes, observed, 4)
    assert np.isfinite(probs).all() and probs[X[~observed, 1] == 1, 3].max() < 0.05


def test_rhat_flags_chains_that_have_not_mixed():
    rng = np.random.default_rng(0)
    mixed = rng.standard_normal((20, 10))
    stuck = mixed + np.arange(20)[:, None]  # every chain around its own level
    assert rhat(mixed) < 1.1
    assert rhat(stuck) > 1.5
    assert np.isnan(rhat(np.ones((5, 10))))
    table = convergence_table({"mixed": mixed[:, :, None], "stuck": stuck[:, :, None]})
    assert list(table["converged"]) == [True, False]


def test_mice_traces_have_one_row_per_chain_and_iteration(toy):
    amputed = _amputed(toy)
    cols = ["patient_outcomes_often", "aware_info_standard", *COVARIATES]
    _, traces = mice(amputed, cols, m=4, iterations=6, seed=8)
    assert set(traces) == set(AMPUTED)
    assert traces["education"].shape == (4, 6, 1)  # mean imputed level
    assert traces["employer_type"].shape == (4, 6, 4)  # share at each level
    np.testing.assert_allclose(traces["employer_type"].sum(axis=2), 1.0)


def test_pmm_recovers_a_deterministic_relation():
    rng = np.random.default_rng(0)
    g = rng.integers(0, 3, size=120)
    X = np.column_stack([np.ones(120), g == 1, g == 2]).astype(float)
    y = (2 * g).astype(float)  # y is a function of X: the residual variance is 0
    observed = rng.random(120) > 0.2
    imputed = pmm_draw(rng, X, y, observed)
    np.testing.assert_array_equal(imputed, y[~observed])


def _tied_pmm_problem():
    """Indicators of a 4-level predictor (many exactly tied predictive means), a 5-level
    outcome, 15% missing."""
    rng = np.random.default_rng(1)
    g = rng.integers(0, 4, size=300)
    X = np.column_stack([np.ones(300), g == 1, g == 2, g == 3]).astype(float)
    return X, rng.integers(0, 5, size=300).astype(float), rng.random(300) > 0.15


def test_pmm_donors_do_not_depend_on_last_bit_noise():
    # Categorical predictors give many exactly tied predictive means. Noise of the size of
    # floating-point rounding (what another CPU's SIMD kernels produce) must not change which
    # donors are chosen; the same seed must give the same imputations.
    X, y, observed = _tied_pmm_problem()
    base = pmm_draw(np.random.default_rng(9), X, y, observed)
    for scale in (1e-15, -1e-15, 3e-14):
        noisy = X * (1 + scale * np.random.default_rng(2).standard_normal(X.shape))
        np.testing.assert_array_equal(pmm_draw(np.random.default_rng(9), noisy, y, observed), base)


def test_pmm_without_rounding_would_be_fragile(monkeypatch):
    # The check above can fail: with matching at full precision, ties fall to noise.
    import helpers.analysis.sensitivity as sensitivity

    monkeypatch.setattr(sensitivity, "MATCH_DECIMALS", 17)
    X, y, observed = _tied_pmm_problem()
    base = pmm_draw(np.random.default_rng(9), X, y, observed)
    changed = False
    for seed in range(5):
        noisy = X * (1 + 1e-15 * np.random.default_rng(seed).standard_normal(X.shape))
        changed |= not np.array_equal(pmm_draw(np.random.default_rng(9), noisy, y, observed), base)
    assert changed


def test_imputation_analysis_structure(toy):
    ests = published_estimands()[:2]
    frame = imputation_analysis(toy, ests, m=5, iterations=4, seed=3)
    assert list(frame.columns) == SENSITIVITY_COLUMNS
    assert list(frame["variant"]) == ["Before imposed missingness", "Complete case", "Multiple imputation (m = 5)"] * 2
    full, cc, mi = frame.iloc[0], frame.iloc[1], frame.iloc[2]
    assert full["primary"] and not cc["primary"] and not mi["primary"]
    assert full["n"] == len(toy) == mi["n"] and cc["n"] < len(toy)
    assert frame.attrs["m"] == 5 and frame.attrs["iterations"] == 4
    assert {r["variable"] for r in frame.attrs["convergence"]} == set(AMPUTED)


@pytest.mark.slow
def test_complete_case_bias_under_outcome_and_exposure_missingness_is_reduced_by_imputation():
    # Missingness of three covariates depends on the headline outcome AND exposure: complete
    # cases are biased by about log(0.6^3 / 0.95^3) = -1.38 per... (here high = 0.4, low = 0.05);
    # imputation with the outcome and exposure in the model recovers the full-data estimate.
    df = toy_survey(1500, seed=21)[0]
    est = published_estimands()[:1]
    frame = imputation_analysis(df, est, high=0.4, low=0.05, m=10, iterations=6, seed=5)
    full, cc, mi = (frame.iloc[i]["estimate"] for i in range(3))
    expected = expected_cc_bias(3, 0.4, 0.05)
    assert cc - full == pytest.approx(expected, abs=0.3)  # the bias is there ...
    assert abs(mi - full) < 0.25 * abs(cc - full)  # ... and imputation removes most of it


def test_outcome_only_missingness_would_not_bias_complete_cases(toy):
    # Why the mechanism depends on the exposure too: with the outcome alone, the expected
    # complete-case bias is exactly zero (the same response odds ratio in both exposure groups).
    from helpers.analysis.misspecification import Scenario

    assert Scenario("s", "s", response=(0.5, 0.8, 0.5, 0.8)).expected_bias == pytest.approx(0.0)
    assert Scenario("s", "s", response=(0.5, 0.5, 0.5, 0.8)).expected_bias == pytest.approx(math.log(1.6))


# --------------------------------------------------------------------------------------------
# Estimator, ordinal outcome, dichotomisation
# --------------------------------------------------------------------------------------------


def test_firth_vs_ml_ml_row_is_statsmodels_glm(toy):
    # The fast Newton fit of helpers.stats.logit against statsmodels' GLM (what helpers.models
    # fits); both Firth rows come from the one helpers.stats.logit.firth.
    from helpers.analysis.models import fit_logistic as models_fit

    est = published_estimands()[0]
    frame = firth_vs_ml(toy, [est])
    ml, firth = frame.iloc[0], frame.iloc[1]
    assert ml["method"] == "ml" and firth["method"] == "firth" and ml["primary"]
    ref_ml = (
        models_fit(toy, est.outcome, est.exposure, list(est.covariates), firth=False)
        .tidy()
        .set_index("term")
        .loc[est.term]
    )
    assert ml["estimate"] == pytest.approx(ref_ml["estimate"], abs=1e-6)
    assert ml["std_error"] == pytest.approx(ref_ml["std_error"], rel=1e-5)
    assert abs(firth["estimate"]) < abs(ml["estimate"])  # Firth shrinks towards 0


def test_fit_term_falls_back_to_firth_on_separation(toy):
    df = toy.copy()
    y = df["aware_info_standard"].astype(object).to_numpy().copy()
    df["perfect"] = pd.Categorical(y, categories=["No", "Yes"])  # the exposure predicts it exactly
    est = Estimand("x", "perfect", "aware_info_standard", "aware_info_standard[Yes]", covariates=("age_group",))
    fit = fit_term(df, "perfect", est)
    assert fit.method == "firth" and "separation detected" in fit.warning
    assert np.isfinite(fit.estimate) and fit.estimate > 2


@pytest.fixture(scope="module")
def cuts(toy):
    return cutpoint_analysis(toy)  # read by two tests: computed once


def test_cutpoint_analysis_structure(toy, cuts):
    frame = cuts
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
    assert (block["conf_low"].iloc[1:] < po["odds_ratio"]).all() and (
        block["conf_high"].iloc[1:] > po["odds_ratio"]
    ).all()


def test_dichotomisation_structure(toy, cuts):
    frame = dichotomisation_analysis(toy)
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
    check = pd.DataFrame(
        {
            "estimand": power["estimand"],
            "mdor": power["mdor"],
            "formula_power": 0.8,
            "simulated_power": 0.79,
            "mc_se": 0.02,
            "replicates": 400,
            "separated": 0,
        }
    )
    assert "Simulated power at that OR (MC SE)" in robustness.power_display_frame(power, check).columns
    robustness.power_display(power, check).as_raw_html()
    assert "the formula holds" in robustness.power_check_statement(power, check)
    # ... and the check can fail: a simulated power far from 80% is reported as such.
    off = check.assign(simulated_power=[0.79, 0.6, 0.8, 0.81])
    assert "the formula is off for 1 of 4" in robustness.power_check_statement(power, off)
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
    synthetic = robustness.design_statement(df, 500, 2025)
    assert "equal the published ones by construction" in synthetic and "textbook property" in synthetic
    assert "nothing about the paper" in synthetic
    df.attrs["source"] = "real"
    real = robustness.design_statement(df, 500, 2025)
    assert "parametric bootstrap" in real and "fitted to the survey file" in real


def test_notebook_header_and_parameters():
    text = (Path(__file__).resolve().parents[1] / "notebooks" / "08_robustness.pct.py").read_text(encoding="utf-8")
    header = (
        "# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,.pct.py:percent\n"
        "#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version,"
        "-jupytext.text_representation.format_version\n#     text_representation:\n"
        "#       extension: .py\n#       format_name: percent\n#   kernelspec:\n#     display_name: Python 3\n"
        "#     language: python\n#     name: python3\n# ---\n"
    )
    assert text.startswith(header)
    params = text.split('# %% tags=["parameters"]\n', 1)[1].split("\n\n", 1)[0]
    assert params.splitlines() == [
        "data_file = None",
        "output_dir = None",
        "seed = 2025",
        "min_cell_count = 5",
        "replicates = 500",
        "scenario_replicates = 200",
    ]
    for label in (
        "tbl-simulation",
        "fig-sampling",
        "tbl-misspecification",
        "tbl-power",
        "tbl-sensitivity",
        "fig-sensitivity",
        "tbl-imputation-convergence",
    ):
        assert f"#| label: {label}" in text
    assert "def " not in text and "class " not in text


def test_nearest_donors_equals_a_stable_sort():
    from helpers.analysis.sensitivity import nearest_donors

    rng = np.random.default_rng(11)
    for shape, levels in (((50, 300), 4), ((7, 40), 2), ((30, 200), 1000)):
        dist = np.round(rng.integers(0, levels, size=shape) / 7, 8)  # many exact ties
        for d in (1, 5, shape[1]):
            expected = np.argsort(dist, axis=1, kind="stable")[:, :d]
            np.testing.assert_array_equal(nearest_donors(dist, d), expected)
