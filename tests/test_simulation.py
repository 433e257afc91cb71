"""The simulation study (helpers.analysis.simulation): fitting, true values, determinism, coverage.

Fast tests run on a small simulated survey (tests/_robustness_toy.py); the slow test runs the
default study (R = 500) on the bundled synthetic data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import expit

from _robustness_toy import COVARIATES, toy_survey
from helpers.analysis.simulation import (
    SIMULATION_COLUMNS,
    Estimand,
    analysis_rows,
    coverage,
    coverage_mc_se,
    design_matrix,
    event_indicator,
    fit_logistic,
    fit_logistic_batch,
    published_estimands,
    simulate,
    true_value,
    write_simulation_csv,
)


@pytest.fixture(scope="module")
def toy():
    return toy_survey(400, seed=11)


def _estimand(outcome="patient_outcomes_often", exposure="aware_info_standard", name="aware"):
    return Estimand(name, outcome, exposure, f"{exposure}[Yes]", covariates=tuple(COVARIATES))


# --------------------------------------------------------------------------------------------
# Logistic fits
# --------------------------------------------------------------------------------------------


def test_fit_logistic_matches_statsmodels(toy):
    df, _ = toy
    est = _estimand()
    X, names, rows = analysis_rows(df, est)
    y = event_indicator(df[est.outcome])
    ours = fit_logistic(X[rows], y[rows], names=names)
    ref = sm.Logit(y[rows], X[rows]).fit(disp=0)
    assert ours.converged and not ours.separated
    np.testing.assert_allclose(ours.params, ref.params, atol=1e-8)
    np.testing.assert_allclose(ours.std_errors, ref.bse, rtol=1e-6)


def test_batch_fit_equals_single_fits(toy):
    df, probs = toy
    est = _estimand()
    X, names, rows = analysis_rows(df, est)
    rng = np.random.default_rng(3)
    Y = (rng.random((rows.sum(), 5)) < probs[est.outcome][rows, None]).astype(float)
    batch = fit_logistic_batch(X[rows], Y)
    for r in range(5):
        single = fit_logistic(X[rows], Y[:, r])
        np.testing.assert_allclose(batch["params"][r], single.params, atol=1e-8)
        np.testing.assert_allclose(batch["std_errors"][r], single.std_errors, rtol=1e-6)


def test_design_matrix_names_and_reference_levels(toy):
    df, _ = toy
    X, names, complete = design_matrix(df, ["aware_info_standard", "age_group"])
    assert names == [
        "(Intercept)",
        "aware_info_standard[Yes]",
        "age_group[35-44]",
        "age_group[45-54]",
        "age_group[55+]",
    ]
    assert complete.all() and X.shape == (len(df), 5)
    np.testing.assert_array_equal(X[:, 1], (df["aware_info_standard"] == "Yes").to_numpy(float))


# --------------------------------------------------------------------------------------------
# True values
# --------------------------------------------------------------------------------------------


def test_true_value_recovers_the_generating_coefficient_when_the_generator_is_model3(toy):
    # The generator is itself a Model 3 logistic model: its projection is its own coefficient.
    df, _ = toy
    est = _estimand()
    X, names, rows = analysis_rows(df, est)
    beta = np.linspace(-0.5, 0.5, X.shape[1])
    beta[names.index(est.term)] = math.log(2.29)
    p = expit(X[rows] @ beta)
    truth = true_value(X[rows], p, names)
    np.testing.assert_allclose(truth.params, beta, atol=1e-8)
    assert math.exp(truth.coef(est.term)[0]) == pytest.approx(2.29, abs=1e-8)


def test_true_value_is_the_large_sample_limit_of_model3(toy):
    # A strong covariate outside Model 3 attenuates the odds ratio (non-collapsibility): the true
    # value is then NOT the generator's coefficient but what Model 3 converges to.
    df, _ = toy
    est = _estimand()
    X, names, rows = analysis_rows(df, est)
    X = X[rows]
    rng = np.random.default_rng(5)
    u = rng.random(len(X)) < 0.5  # omitted from Model 3
    j = names.index(est.term)
    beta = np.zeros(X.shape[1])
    beta[j] = 1.0
    p = expit(X @ beta + 3.0 * u - 1.5)
    truth = true_value(X, p, names).params[j]
    assert truth < 0.8  # attenuated well below the generator's 1.0
    copies = 150
    Xbig = np.tile(X, (copies, 1))
    ybig = (rng.random(len(Xbig)) < np.tile(p, copies)).astype(float)
    big = fit_logistic(Xbig, ybig)
    assert abs(big.params[j] - truth) < 4 * big.std_errors[j]
    assert abs(big.params[j] - 1.0) > 10 * big.std_errors[j]


# --------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------


def test_coverage_counts_wald_intervals_containing_the_truth():
    est = np.array([0.0, 1.0, 2.0])
    se = np.ones(3)
    # 95% Wald intervals: [-1.96, 1.96], [-0.96, 2.96], [0.04, 3.96]
    assert coverage(est, se, 0.5) == 1.0
    assert coverage(est, se, 2.5) == pytest.approx(2 / 3)
    assert coverage(est, se, -1.0) == pytest.approx(1 / 3)
    assert coverage(est, se, 5.0) == 0.0
    assert coverage(np.array([0.0, np.nan]), np.array([1.0, 1.0]), 0.0) == 1.0  # NaN ignored
    assert coverage_mc_se(0.95, 500) == pytest.approx(math.sqrt(0.95 * 0.05 / 500))
    assert coverage_mc_se(0.95, 500) == pytest.approx(0.009747, abs=1e-6)


# --------------------------------------------------------------------------------------------
# The study: determinism, structure, separation
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def toy_runs(toy):
    df, probs = toy
    ests = [_estimand(), _estimand("service_outcomes_often", "shares_outcomes", "shares")]
    one = simulate(df, replicates=40, seed=99, n_jobs=1, estimands=ests, probabilities=probs, chunk_size=10)
    two = simulate(df, replicates=40, seed=99, n_jobs=2, estimands=ests, probabilities=probs, chunk_size=10)
    again = simulate(df, replicates=40, seed=99, n_jobs=1, estimands=ests, probabilities=probs, chunk_size=10)
    other = simulate(df, replicates=40, seed=100, n_jobs=1, estimands=ests, probabilities=probs, chunk_size=10)
    return one, two, again, other


def test_same_seed_identical_whatever_n_jobs(toy_runs):
    one, two, again, other = toy_runs
    pd.testing.assert_frame_equal(one[0], two[0])
    pd.testing.assert_frame_equal(one[1], two[1])
    pd.testing.assert_frame_equal(one[0], again[0])
    assert not np.allclose(one[0]["log_or"], other[0]["log_or"])


def test_summary_structure(toy_runs):
    reps, summary = toy_runs[0]
    assert list(summary.columns[:6]) == ["estimand", "true_value", "mean_estimate", "coverage", "mc_se", "replicates"]
    assert list(summary.columns) == SIMULATION_COLUMNS
    assert list(summary["estimand"]) == ["aware", "shares"]
    assert (summary["replicates"] == 40).all() and (summary["failed"] == 0).all()
    assert len(reps) == 80 and set(reps.groupby("estimand")["replicate"].nunique()) == {40}
    row = summary.iloc[0]
    use = reps[reps["estimand"] == "aware"]
    assert row["mean_estimate"] == pytest.approx(math.exp(use["log_or"].mean()))
    assert row["bias"] == pytest.approx(use["log_or"].mean() - row["true_log_or"])
    assert row["empirical_se"] == pytest.approx(use["log_or"].std(ddof=1))
    assert row["coverage"] == pytest.approx(use["covers"].mean())
    ml = use[~use["separated"]]  # ML replicates: the Wald interval decides
    assert (
        ml["covers"]
        == (
            (ml["log_or"] - 1.959964 * ml["std_error"] <= row["true_log_or"])
            & (row["true_log_or"] <= ml["log_or"] + 1.959964 * ml["std_error"])
        )
    ).all()
    assert row["mc_se"] == pytest.approx(math.sqrt(row["coverage"] * (1 - row["coverage"]) / 40))


def test_csv_header_and_deterministic_formatting(toy_runs, tmp_path):
    _, summary = toy_runs[0]
    path = write_simulation_csv(summary, tmp_path)
    first = path.read_bytes()
    assert path.name == "simulation.csv"
    assert first.decode().splitlines()[0].startswith("estimand,true_value,mean_estimate,coverage,mc_se,replicates")
    write_simulation_csv(toy_runs[2][1], tmp_path)
    assert path.read_bytes() == first
    assert b"\r\n" not in first


def test_separated_replicates_are_refitted_by_firth(toy):
    df, probs = toy
    df = df.copy()
    # A covariate level of 3 respondents who almost surely say Yes: quasi-separation of that
    # nuisance term in most replicates.
    eth = np.array(df["ethnicity"].astype(object).to_numpy(), dtype=object)
    eth[:] = "White"
    eth[:3] = "Mixed or other"
    df["ethnicity"] = pd.Categorical(eth, categories=list(df["ethnicity"].cat.categories))
    # An exposure held by 4 respondents who almost surely say Yes: the exposure itself
    # separates in most replicates; ML's estimate would be infinite.
    exposure = np.zeros(len(df), dtype=int)
    exposure[10:14] = 1
    df["outcomes_inform_investment"] = pd.Categorical(np.where(exposure == 1, "Yes", "No"), categories=["No", "Yes"])
    p = probs["patient_outcomes_often"].copy()
    p[:3] = 0.9999
    p[10:14] = 0.9999
    ests = [_estimand(), _estimand("patient_outcomes_often", "outcomes_inform_investment", "rare")]
    reps, summary = simulate(
        df, replicates=30, seed=1, n_jobs=1, estimands=ests, probabilities={"patient_outcomes_often": p}, chunk_size=10
    )
    aware, rare = summary.iloc[0], summary.iloc[1]
    # One rule, as in every chapter: separated fits are Firth fits, finite and kept.
    assert aware["separated"] > 20 and aware["failed"] == 0 and aware["replicates"] == 30
    assert rare["separated"] > 20 and rare["failed"] == 0
    firth = reps[(reps["estimand"] == "rare") & reps["separated"]]
    assert firth["log_or"].abs().max() < 8 and np.isfinite(firth["std_error"]).all()
    assert np.isfinite(aware["coverage"]) and np.isfinite(rare["coverage"])


def test_firth_refit_matches_the_chapters_firth_fit(toy):
    # The simulation's Firth refit gives the estimate of helpers.analysis.sensitivity.firth_term, and its
    # coverage decision (a penalised LR test at the true value) agrees with that profile CI.
    from helpers.analysis.sensitivity import firth_term
    from helpers.analysis.simulation import firth_replicate

    df, _ = toy
    est = _estimand()
    X, names, rows = analysis_rows(df, est)
    X, y = X[rows], event_indicator(df[est.outcome])[rows]
    j = names.index(est.term)
    b, se, (lo, hi), p = firth_term(X, y, j)
    for truth in (lo - 0.05, lo + 0.05, b, hi - 0.05, hi + 0.05):
        b2, se2, p2, covers = firth_replicate(X, y, j, truth)
        assert (
            b2 == pytest.approx(b, abs=1e-6) and se2 == pytest.approx(se, rel=1e-6) and p2 == pytest.approx(p, rel=1e-4)
        )
        assert covers == (lo <= truth <= hi), truth


def test_batch_weights_per_replicate_equal_subset_fits(toy):
    # A zero weight leaves a row out of that replicate (the selection scenarios rely on it).
    df, probs = toy
    est = _estimand()
    X, names, rows = analysis_rows(df, est)
    X = X[rows]
    rng = np.random.default_rng(4)
    Y = (rng.random((len(X), 3)) < probs["patient_outcomes_often"][rows][:, None]).astype(float)
    W = (rng.random((len(X), 3)) < 0.7).astype(float)
    batch = fit_logistic_batch(X, Y, weights=W)
    for r in range(3):
        keep = W[:, r] > 0
        single = fit_logistic(X[keep], Y[keep, r])
        np.testing.assert_allclose(batch["params"][r], single.params, atol=1e-8)
        np.testing.assert_allclose(batch["std_errors"][r], single.std_errors, rtol=1e-6)


def test_real_data_uses_the_fitted_model_as_generator(toy):
    df, _ = toy
    df = df.copy()
    df.attrs["source"] = "real"
    est = _estimand()
    _, summary = simulate(df, replicates=20, seed=3, n_jobs=1, estimands=[est], chunk_size=10)
    X, names, rows = analysis_rows(df, est)
    fitted = fit_logistic(X[rows], event_indicator(df[est.outcome])[rows], names=names)
    # The projection of a fitted logistic model onto itself is the fitted model.
    assert summary.loc[0, "true_value"] == pytest.approx(math.exp(fitted.coef(est.term)[0]), rel=1e-8)


# --------------------------------------------------------------------------------------------
# The default study on the synthetic data (slow)
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_default_simulation_coverage_on_synthetic_data(tmp_path):
    from helpers.data import load_survey

    df = load_survey()
    reps, summary = simulate(df, replicates=500, seed=2025, n_jobs=2)
    assert len(summary) == len(published_estimands()) == 4
    assert (summary["replicates"] + summary["failed"] == 500).all()
    for row in summary.itertuples():
        assert 0.93 - 1e-12 <= row.coverage <= 0.97 + 1e-12, (row.estimand, row.coverage)
        assert abs(row.bias) < 0.2, (row.estimand, row.bias)
    # The generator is calibrated so that its Model 3 projection is the published odds ratio.
    np.testing.assert_allclose(summary["true_value"], summary["published_or"], rtol=0.05)
    write_simulation_csv(summary, tmp_path)
    assert (tmp_path / "simulation.csv").exists()


def test_a_selected_sample_without_a_level_is_refitted_or_failed_never_a_crash():
    # Selection (zero weights) removes every respondent of a sparse level: that column is all
    # zero in the selected sample. The replicate is refitted without it; one whose exposure is
    # gone altogether is a failed replicate (NaN), not an exception.
    from helpers.analysis.simulation import policy_fit_batch

    rng = np.random.default_rng(4)
    n = 300
    x = (rng.random(n) < 0.5).astype(float)
    rare = np.zeros(n)
    rare[:6] = 1
    X = np.column_stack([np.ones(n), x, rare])
    Y = (rng.random((n, 3)) < 0.4).astype(float)
    W = np.ones((n, 3))
    W[:6, 0] = 0  # replicate 0: the rare level is not selected
    W[x == 1, 2] = 0  # replicate 2: no exposed respondent selected
    out = policy_fit_batch(X, Y, 1, 0.0, weights=W)
    assert np.isfinite(out["log_or"][:2]).all()
    assert np.isnan(out["log_or"][2]) and not out["converged"][2]


def _pid(task, payload):
    import os

    return os.getpid()


def test_helpers_max_workers_caps_the_process_pool(monkeypatch):
    from helpers.analysis.simulation import process_budget, run_chunks

    monkeypatch.setenv("HELPERS_MAX_WORKERS", "1")
    assert process_budget() == 1
    import os

    assert set(run_chunks(_pid, list(range(4)), {}, n_jobs=2)) == {os.getpid()}  # in this process
    monkeypatch.setenv("HELPERS_MAX_WORKERS", "not a number")
    assert process_budget() == (os.cpu_count() or 1)
